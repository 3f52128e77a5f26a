/** Direct object access to one logical cluster, for tests seeding and inspecting it without HTTP. */
import { anyTypeByPlural } from './kcp/resources.ts';
import type { ClusterObjects, KubeObject } from './types.ts';
import type { Workspace } from './workspace.ts';

export function objectAccess(workspace: Workspace): ClusterObjects {
  const put = (object: KubeObject): KubeObject => {
    const type = workspace.resources.byKind(object.apiVersion, object.kind);
    if (!type) throw new Error(`unknown kind ${object.apiVersion} ${object.kind} (not served here)`);
    const namespace = type.namespaced ? (object.metadata.namespace ?? 'default') : undefined;
    const exists = workspace.store.get(type.plural, namespace, object.metadata.name);
    const { resourceVersion: _ignored, ...metadata } = object.metadata;
    const input = { ...object, metadata: { ...metadata, ...(namespace ? { namespace } : {}) } };
    const stored = exists
      ? workspace.objects.update(type, input)
      : workspace.objects.create(type, namespace, input);
    if (object.status === undefined || !type.subresources.includes('status')) return stored;
    return workspace.objects.update(type, { ...stored, status: object.status }, { subresource: 'status' });
  };
  return {
    get: (resource, name, namespace) => {
      const type = workspace.resources.byPlural(resource) ?? anyTypeByPlural(resource);
      return workspace.store.get(resource, type?.namespaced ? namespace : undefined, name);
    },
    list: (resource, namespace) => workspace.store.list(resource, namespace),
    put,
  };
}
