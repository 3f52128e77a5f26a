/** The REST verbs on resources: get, list, watch, create, update, patch, delete, deletecollection. */
import { load } from 'js-yaml';
import { serverSideApply } from './apply/server-side-apply.ts';
import { bodyFor, parseBody, parseJson, writeOptions } from './body.ts';
import { isObject, type JsonObject } from './json.ts';
import type { DeleteOptions, PropagationPolicy } from './objects.ts';
import { APPLY_PATCH, applyPatch, patchType } from './patch/index.ts';
import { apiExecRequest, execReply } from './exec/index.ts';
import { handleLog } from './pod-logs.ts';
import { handleProxy } from './pod-proxy.ts';
import { handlePortForward } from './port-forward/index.ts';
import type { ApiRequest, Reply, ResourceRequest } from './request.ts';
import { json } from './request.ts';
import { apiVersionOf, type ResourceType } from './resources.ts';
import { handleScale } from './scale.ts';
import { schemaFor } from './schema.ts';
import { fieldSelector, labelSelector, type Predicate } from './selectors.ts';
import { ApiError, badRequest, conflict } from './status.ts';
import { type IncludeObject, toTable, wantsTable } from './table.ts';
import type { KubeObject } from './types.ts';
import { serveWatch } from './watch.ts';
import type { Workspace } from './workspace.ts';

export function handleResource(ws: Workspace, req: ApiRequest, r: ResourceRequest): Reply {
  if (r.subresource === 'scale') return handleScale(ws, req, r);
  if (r.subresource === 'log') return handleLog(ws, req, r);
  if (r.subresource === 'portforward') return handlePortForward(ws, req, r);
  if (r.subresource === 'exec') return handleExec(ws, req, r);
  if (r.subresource === 'proxy') return handleProxy(ws, req, r);
  switch (r.verb) {
    case 'get':
      return render(ws, req, r.type, [ws.objects.get(r.type, r.namespace, r.name ?? '')], false);
    case 'list':
      return render(ws, req, r.type, ws.objects.list(r.type, r.namespace, ...filters(req, r)), true);
    case 'watch':
      return watch(ws, req, r);
    case 'create':
      return create(ws, req, r);
    case 'update':
      return json(ws.objects.update(r.type, bodyFor(r, parseBody(req)), writeOptions(req, r)));
    case 'patch':
      return patch(ws, req, r);
    case 'delete':
      return json(ws.objects.delete(r.type, r.namespace, r.name ?? '', deleteOptions(req)));
    default: {
      const options = deleteOptions(req);
      const deleted = ws.objects
        .list(r.type, r.namespace, ...filters(req, r))
        .map((o) => ws.objects.delete(r.type, o.metadata.namespace, o.metadata.name, options));
      return json(listOf(ws, r.type, deleted));
    }
  }
}

/** pods/exec: the data plane runs the command in the pod's view; without one, no container runs. */
function handleExec(ws: Workspace, req: ApiRequest, r: ResourceRequest): Reply {
  const pod = ws.objects.get(r.type, r.namespace, r.name ?? '');
  if (!(pod.spec as { nodeName?: string } | undefined)?.nodeName) {
    throw badRequest(`pod ${pod.metadata.name} does not have a host assigned`);
  }
  const exec = apiExecRequest(pod, req.query);
  if (!ws.exec) throw badRequest(`this control plane runs no containers (start it with dataPlane)`);
  return execReply(pod, exec, req.headers, ws.exec);
}

function filters(req: ApiRequest, r: ResourceRequest): Predicate[] {
  const byName: Predicate = (o) => r.name === undefined || o.metadata.name === r.name;
  const byNamespace: Predicate = (o) => !r.namespace || o.metadata.namespace === r.namespace;
  return [
    byNamespace,
    byName,
    labelSelector(req.query.get('labelSelector')),
    fieldSelector(req.query.get('fieldSelector'), r.type.plural),
  ];
}

const listOf = (ws: Workspace, type: ResourceType, items: KubeObject[]) => ({
  kind: `${type.kind}List`,
  apiVersion: apiVersionOf(type),
  metadata: { resourceVersion: String(ws.store.resourceVersion) },
  items,
});

function render(
  ws: Workspace,
  req: ApiRequest,
  type: ResourceType,
  objects: KubeObject[],
  asList: boolean,
): Reply {
  if (wantsTable(req.headers.accept)) {
    const resourceVersion = asList
      ? String(ws.store.resourceVersion)
      : String(objects[0]?.metadata.resourceVersion);
    return json(toTable(type.kind, objects, includeObject(req), resourceVersion));
  }
  return json(asList ? listOf(ws, type, objects) : objects[0]);
}

const includeObject = (req: ApiRequest) => (req.query.get('includeObject') ?? 'Metadata') as IncludeObject;

function watch(ws: Workspace, req: ApiRequest, r: ResourceRequest): Reply {
  const predicates = filters(req, r);
  const table = wantsTable(req.headers.accept);
  const timeout = Number(req.query.get('timeoutSeconds') ?? 0);
  const resourceVersion = req.query.get('resourceVersion') ?? undefined;
  return {
    stream: (res) =>
      serveWatch(
        ws.store,
        {
          resource: r.type.plural,
          kind: r.type.kind,
          apiVersion: apiVersionOf(r.type),
          filter: (o) => predicates.every((p) => p(o)),
          ...(resourceVersion ? { resourceVersion } : {}),
          ...(timeout > 0 ? { timeoutSeconds: timeout } : {}),
          initialEventsBookmark: req.query.get('sendInitialEvents') === 'true',
          bookmarks: req.query.get('allowWatchBookmarks') === 'true',
          encode: (o) =>
            table ? toTable(r.type.kind, [o], includeObject(req), String(o.metadata.resourceVersion)) : o,
        },
        res,
      ),
  };
}

function create(ws: Workspace, req: ApiRequest, r: ResourceRequest): Reply {
  const body = parseBody(req);
  if (!isObject(body)) throw badRequest('the request body must be an object');
  const object = body as unknown as KubeObject;
  object.metadata = isObject(object.metadata) ? object.metadata : { name: '' };
  return json(ws.objects.create(r.type, r.namespace, object, writeOptions(req, r)), 201);
}

function patch(ws: Workspace, req: ApiRequest, r: ResourceRequest): Reply {
  const contentType = patchType(req, r.type);
  if (contentType === APPLY_PATCH) return apply(ws, req, r);
  const current = ws.objects.get(r.type, r.namespace, r.name ?? '');
  const patched = applyPatch(
    contentType,
    current as unknown as JsonObject,
    parseJson(req.body),
    schemaFor(r.type),
  );
  return json(ws.objects.update(r.type, bodyFor(r, patched), writeOptions(req, r)));
}

function apply(ws: Workspace, req: ApiRequest, r: ResourceRequest): Reply {
  const manager = req.query.get('fieldManager');
  if (!manager) {
    throw new ApiError(
      422,
      'Invalid',
      'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
    );
  }
  let config: unknown;
  try {
    config = load(req.body.toString('utf8'));
  } catch (error) {
    throw badRequest(`error decoding YAML: ${(error as Error).message}`);
  }
  if (!isObject(config)) throw badRequest('the applied configuration must be an object');
  const object = bodyFor(r, config);
  const live = ws.store.get(r.type.plural, r.namespace, r.name ?? '');
  if (
    live &&
    object.metadata.resourceVersion &&
    object.metadata.resourceVersion !== live.metadata.resourceVersion
  ) {
    throw conflict(r.type, live.metadata.name);
  }
  const result = serverSideApply({
    type: r.type,
    live,
    config: object,
    manager,
    force: req.query.get('force') === 'true',
    ...(r.subresource ? { subresource: r.subresource } : {}),
  });
  const options = { ...writeOptions(req, r), applied: true };
  if (!live) return json(ws.objects.create(r.type, r.namespace, result, options), 201);
  return json(ws.objects.update(r.type, result, options));
}

function deleteOptions(req: ApiRequest): DeleteOptions {
  const body = req.body.length > 0 ? parseJson(req.body) : {};
  const options = isObject(body) ? body : {};
  const dryRun = [...req.query.getAll('dryRun'), ...(Array.isArray(options.dryRun) ? options.dryRun : [])];
  const policy = req.query.get('propagationPolicy') ?? options.propagationPolicy;
  const preconditions = isObject(options.preconditions) ? options.preconditions : {};
  return {
    dryRun: dryRun.includes('All'),
    ...(typeof policy === 'string' ? { propagationPolicy: policy as PropagationPolicy } : {}),
    preconditions: {
      ...(typeof preconditions.uid === 'string' ? { uid: preconditions.uid } : {}),
      ...(typeof preconditions.resourceVersion === 'string'
        ? { resourceVersion: preconditions.resourceVersion }
        : {}),
    },
  };
}
