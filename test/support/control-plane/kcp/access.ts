/**
 * kcp's answer when a logical cluster does not exist or the user may not enter it: the same 403
 * for both, worded by the authorizer from the request's attributes alone (no served types needed).
 */
import type { ApiRequest } from '../request.ts';
import { ApiError } from '../status.ts';

const REASON = 'workspace access not permitted';

interface Attributes {
  verb: string;
  group: string;
  resource: string;
  subresource: string;
  namespace: string;
  name: string;
}

const ITEM_VERBS: Record<string, string> = {
  POST: 'create',
  GET: 'get',
  HEAD: 'get',
  PUT: 'update',
  PATCH: 'patch',
  DELETE: 'delete',
};

/** The resource attributes of a path, as Kubernetes' RequestInfo reads them; undefined for non-resource paths. */
function resourceAttributes(method: string, path: string, query: URLSearchParams): Attributes | undefined {
  const segments = path.split('/').filter(Boolean).map(decodeURIComponent);
  let group: string;
  let parts: string[];
  if (segments[0] === 'api' && segments.length > 2) [group, parts] = ['', segments.slice(2)];
  else if (segments[0] === 'apis' && segments.length > 3)
    [group, parts] = [segments[1] ?? '', segments.slice(3)];
  else return undefined;
  let namespace = '';
  if (parts[0] === 'namespaces' && parts.length > 1) {
    namespace = parts[1] ?? '';
    if (parts.length > 2 && parts[2] !== 'status' && parts[2] !== 'finalize') parts = parts.slice(2);
  }
  const [resource = '', name = '', subresource = ''] = parts;
  let verb = ITEM_VERBS[method] ?? method.toLowerCase();
  if (!name && verb === 'get') verb = ['1', 'true'].includes(query.get('watch') ?? '') ? 'watch' : 'list';
  if (!name && verb === 'delete') verb = 'deletecollection';
  return { verb, group, resource, subresource, namespace, name };
}

export function workspaceAccessDenied(req: ApiRequest): ApiError {
  const user = req.user.name;
  const attributes = resourceAttributes(req.method, req.path, req.query);
  if (!attributes) {
    const verb = req.method.toLowerCase();
    return new ApiError(
      403,
      'Forbidden',
      `forbidden: User "${user}" cannot ${verb} path "${req.path}": ${REASON}`,
      {},
    );
  }
  const { verb, group, resource, subresource, namespace, name } = attributes;
  const shown = subresource ? `${resource}/${subresource}` : resource;
  const scope = namespace ? `in the namespace "${namespace}"` : 'at the cluster scope';
  const qualified = group ? `${resource}.${group}` : resource;
  return new ApiError(
    403,
    'Forbidden',
    `${qualified}${name ? ` "${name}"` : ''} is forbidden: User "${user}" cannot ${verb} resource "${shown}" in API group "${group}" ${scope}: ${REASON}`,
    { name, group, kind: resource },
  );
}
