import type { ObjectRef } from '../kube/client.ts';
import type { KubeObject } from '../manifests/types.ts';

export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY_US = 'kubectl-trigger-gateway';
/** Selects everything install creates, in any namespace. */
export const OWNED_SELECTOR = `${MANAGED_BY_LABEL}=${MANAGED_BY_US}`;

export function isManagedByUs(object: Pick<KubeObject, 'metadata'>): boolean {
  return object.metadata.labels?.[MANAGED_BY_LABEL] === MANAGED_BY_US;
}

/** How results name an object: kubectl's `kind/name` with the namespace beside it. */
export interface ObjectSummary {
  kind: string;
  name: string;
  namespace?: string;
  /** `deployment.apps/trigger-gateway`, as kubectl prints it. */
  id: string;
}

export function refOf(object: KubeObject): ObjectRef {
  return {
    apiVersion: object.apiVersion,
    kind: object.kind,
    name: object.metadata.name,
    namespace: object.metadata.namespace,
  };
}

export function summarize(object: Pick<KubeObject, 'apiVersion' | 'kind' | 'metadata'>): ObjectSummary {
  const group = object.apiVersion.includes('/') ? `.${object.apiVersion.split('/')[0]}` : '';
  const summary: ObjectSummary = {
    kind: object.kind,
    name: object.metadata.name,
    id: `${object.kind.toLowerCase()}${group}/${object.metadata.name}`,
  };
  if (object.metadata.namespace) summary.namespace = object.metadata.namespace;
  return summary;
}
