/** Parsing request URLs into the resource request they address, and the HTTP exchange types. */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { connectSubresource, type ResourceType, type ServedResources } from './resources.ts';
import { methodNotAllowed, pathNotFound } from './status.ts';
import type { UserSpec } from './types.ts';

export interface ApiRequest {
  method: string;
  /** Path within the workspace (without any /clusters/<name> prefix). */
  path: string;
  query: URLSearchParams;
  /** The query as sent, with its `?` ('' without one), for requests passed on (pods/proxy). */
  search: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  user: UserSpec;
}

/** What an upgrade handler did: 101 and the protocol now spoken, or the error status it answered. */
export interface Upgraded {
  status: number;
  protocol?: string;
}

/** Takes over the connection of a request with an `Upgrade` header (the HTTP server's 'upgrade' event). */
export type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer) => Upgraded;

export type Reply =
  | { status: number; body: unknown; contentType?: string }
  | { stream: (res: ServerResponse) => void }
  | { upgrade: UpgradeHandler };

export const json = (body: unknown, status = 200): Reply => ({ status, body });

export interface ResourceRequest {
  type: ResourceType;
  verb: string;
  namespace?: string;
  name?: string;
  subresource?: string;
  /** Further verbs the request must be allowed as well (a WebSocket GET on pods/portforward: create). */
  alsoAuthorize?: string[];
  /** pods/proxy: the path after `proxy`, exactly as sent ('' when nothing follows). */
  subpath?: string;
}

const VERBS: Record<string, [collection: string, item: string]> = {
  GET: ['list', 'get'],
  POST: ['create', 'create'],
  PUT: ['update', 'update'],
  PATCH: ['patch', 'patch'],
  DELETE: ['deletecollection', 'delete'],
};

/**
 * The resource a path addresses (/api/v1/..., /apis/<group>/<version>/...), undefined for
 * non-resource paths such as discovery. Resources the logical cluster does not serve are a 404.
 */
export function parseResourcePath(
  method: string,
  path: string,
  query: URLSearchParams,
  served: ServedResources,
): ResourceRequest | undefined {
  const segments = path.split('/').filter(Boolean).map(decodeSegment);
  let group: string;
  let version: string;
  let rest: string[];
  if (segments[0] === 'api' && segments.length > 2) {
    [group, version, rest] = ['', segments[1] ?? '', segments.slice(2)];
  } else if (segments[0] === 'apis' && segments.length > 3) {
    [group, version, rest] = [segments[1] ?? '', segments[2] ?? '', segments.slice(3)];
  } else return undefined;

  // namespaces/<ns>/<resource>/..., except a namespace's own subresources (namespaces/<ns>/status).
  const namespaceOwn = group === '' && rest.length === 3 && (rest[2] === 'status' || rest[2] === 'finalize');
  const scoped = rest[0] === 'namespaces' && rest.length >= 3 && !namespaceOwn;
  const [plural, name, subresource, ...extra] = scoped ? rest.slice(2) : rest;
  const namespace = scoped ? rest[1] : undefined;
  const type = plural ? served.byPath(group, version, plural) : undefined;
  const connect = type && subresource ? connectSubresource(type, subresource) : undefined;
  if (!type || (extra.length > 0 && !connect?.subpath) || (namespace && !type.namespaced)) {
    throw pathNotFound();
  }
  if (subresource && (!name || !(type.subresources.includes(subresource) || connect))) throw pathNotFound();
  if (connect) {
    const [verb, ...alsoAuthorize] = connect.methods[method] ?? [];
    if (!verb) throw methodNotAllowed();
    const before = segments.length - rest.length + (scoped ? 5 : 3);
    return {
      type,
      verb,
      ...(alsoAuthorize.length > 0 ? { alsoAuthorize } : {}),
      ...(namespace ? { namespace } : {}),
      name: name ?? '',
      subresource: subresource ?? '',
      ...(connect.subpath ? { subpath: pathAfter(path, before) } : {}),
    };
  }

  const verbs = VERBS[method];
  if (!verbs || (method === 'POST' && name)) throw methodNotAllowed();
  const [collectionVerb, itemVerb] = verbs;
  const watching = method === 'GET' && ['1', 'true'].includes(query.get('watch') ?? '');
  const verb = watching ? 'watch' : name ? itemVerb : collectionVerb;
  return {
    type,
    verb,
    ...(namespace ? { namespace } : {}),
    ...(name ? { name } : {}),
    ...(subresource ? { subresource } : {}),
  };
}

/** A path segment percent-decoded; one that is not valid percent-encoding stays as it is. */
function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** The path after its first `count` non-empty segments, undecoded: `/a/b/c/` after 2 is `/c/`. */
function pathAfter(path: string, count: number): string {
  let at = 0;
  for (let seen = 0; seen < count && at < path.length; seen++) {
    while (path[at] === '/') at++;
    const next = path.indexOf('/', at);
    at = next < 0 ? path.length : next;
  }
  return path.slice(at);
}
