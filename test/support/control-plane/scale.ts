/** The autoscaling/v1 Scale subresource of deployments and replicasets (what `kubectl scale` uses). */
import { bodyFor, parseJson, writeOptions } from './body.ts';
import { isObject, type JsonObject } from './json.ts';
import { APPLY_PATCH, applyPatch, patchType } from './patch/index.ts';
import { type ApiRequest, json, type Reply, type ResourceRequest } from './request.ts';
import { schemaFor } from './schema.ts';
import { conflict, methodNotAllowed, unsupportedMediaType } from './status.ts';
import type { KubeObject } from './types.ts';
import type { Workspace } from './workspace.ts';

function toScale(o: KubeObject) {
  const { uid, resourceVersion, creationTimestamp } = o.metadata;
  const matchLabels = (o.spec as { selector?: { matchLabels?: Record<string, string> } }).selector
    ?.matchLabels;
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: {
      name: o.metadata.name,
      namespace: o.metadata.namespace,
      uid,
      resourceVersion,
      creationTimestamp,
    },
    spec: { replicas: Number((o.spec as { replicas?: number }).replicas ?? 1) },
    status: {
      replicas: Number((o.status as { replicas?: number } | undefined)?.replicas ?? 0),
      selector: Object.entries(matchLabels ?? {})
        .map(([k, v]) => `${k}=${v}`)
        .join(','),
    },
  };
}

export function handleScale(ws: Workspace, req: ApiRequest, r: ResourceRequest): Reply {
  const target = ws.objects.get(r.type, r.namespace, r.name ?? '');
  const scale = toScale(target);
  if (r.verb === 'get') return json(scale);
  let wanted: KubeObject;
  if (r.verb === 'update') wanted = bodyFor(r, parseJson(req.body));
  else if (r.verb === 'patch') {
    const contentType = patchType(req, r.type);
    if (contentType === APPLY_PATCH)
      throw unsupportedMediaType(['application/json-patch+json', 'application/merge-patch+json']);
    const patched = applyPatch(
      contentType,
      scale as unknown as JsonObject,
      parseJson(req.body),
      schemaFor(r.type),
    );
    wanted = bodyFor(r, patched);
  } else throw methodNotAllowed();
  if (
    wanted.metadata.resourceVersion &&
    wanted.metadata.resourceVersion !== target.metadata.resourceVersion
  ) {
    throw conflict(r.type, target.metadata.name);
  }
  const replicas = isObject(wanted.spec) ? wanted.spec.replicas : undefined;
  const next = { ...target, spec: { ...(target.spec as object), replicas } };
  const { subresource: _scale, ...options } = writeOptions(req, r);
  return json(toScale(ws.objects.update(r.type, next, options)));
}
