/** Reading request bodies and the write options every mutating request carries. */
import { isObject, type Json, type JsonObject } from './json.ts';
import type { WriteOptions } from './objects.ts';
import { decodeProtobuf, PROTOBUF } from './protobuf.ts';
import type { ApiRequest, ResourceRequest } from './request.ts';
import { badRequest } from './status.ts';
import type { KubeObject } from './types.ts';

/** The request body as the object named by the URL (PUT). */
export function bodyFor(r: ResourceRequest, body: Json): KubeObject {
  const object = (isObject(body) ? body : {}) as unknown as KubeObject;
  object.metadata = isObject(object.metadata) ? object.metadata : { name: '' };
  if (object.metadata.name !== r.name) {
    throw badRequest(
      `the name of the object (${object.metadata.name}) does not match the name on the URL (${r.name})`,
    );
  }
  if (r.type.namespaced) {
    if (object.metadata.namespace && object.metadata.namespace !== r.namespace) {
      throw badRequest(
        'the namespace of the provided object does not match the namespace sent on the request',
      );
    }
    object.metadata.namespace = r.namespace;
  }
  return object;
}

export function writeOptions(req: ApiRequest, r: ResourceRequest): WriteOptions {
  // Without ?fieldManager the real server names the manager after the User-Agent's product.
  const agent = String(req.headers['user-agent'] ?? 'unknown').split('/')[0] ?? 'unknown';
  return {
    dryRun: req.query.getAll('dryRun').includes('All'),
    fieldManager: req.query.get('fieldManager') ?? agent,
    ...(r.subresource ? { subresource: r.subresource } : {}),
  };
}

/** A POST/PUT body: JSON, or protobuf from kubectl's typed clients. */
export function parseBody(req: ApiRequest): Json {
  if (req.headers['content-type']?.startsWith(PROTOBUF)) return decodeProtobuf(req.body) as JsonObject;
  return parseJson(req.body);
}

export function parseJson(body: Buffer): Json {
  try {
    return JSON.parse(body.toString('utf8')) as Json;
  } catch (error) {
    throw badRequest(`couldn't get version/kind; json parse error: ${(error as Error).message}`);
  }
}
