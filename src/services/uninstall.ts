import type { KubeClient } from '../kube/client.ts';
import type { KubeObject } from '../manifests/types.ts';
import type { Progress } from '../ui/progress.ts';
import { isManagedByUs, type ObjectSummary, OWNED_SELECTOR, refOf, summarize } from './objects.ts';

/** Namespaced kinds install creates, in the order they are removed (traffic first, config last). */
const OWNED_KINDS = [
  // Whichever install --expose made; a kind the cluster does not serve lists as empty.
  { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress' },
  { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute' },
  { apiVersion: 'route.openshift.io/v1', kind: 'Route' },
  { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget' },
  { apiVersion: 'v1', kind: 'Service' },
  { apiVersion: 'apps/v1', kind: 'Deployment' },
  { apiVersion: 'v1', kind: 'ConfigMap' },
  { apiVersion: 'v1', kind: 'ServiceAccount' },
];

/** Kinds whose presence means a namespace holds someone else's work and must be kept. */
const TENANT_KINDS = [
  { apiVersion: 'apps/v1', kind: 'Deployment' },
  { apiVersion: 'v1', kind: 'Service' },
  { apiVersion: 'v1', kind: 'ConfigMap' },
  { apiVersion: 'v1', kind: 'Secret' },
  { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress' },
  { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute' },
  { apiVersion: 'route.openshift.io/v1', kind: 'Route' },
  { apiVersion: 'triggers.tekton.dev/v1beta1', kind: 'EventListener' },
];

/** Objects the API server puts in every namespace by itself. */
function isClusterDefault(object: KubeObject & { type?: string }): boolean {
  return (
    (object.kind === 'ConfigMap' && object.metadata.name === 'kube-root-ca.crt') ||
    (object.kind === 'Secret' && object.type === 'kubernetes.io/service-account-token')
  );
}

export interface KeptNamespace {
  name: string;
  reason: string;
}

export interface UninstallResult {
  dryRun: boolean;
  removed: ObjectSummary[];
  kept: KeptNamespace[];
}

export interface UninstallRequest {
  namespace: string;
  /** Other namespaces install may have written to (the echo backend's). */
  extraNamespaces: string[];
  dryRun: boolean;
}

async function tenantObjects(kube: KubeClient, namespace: string): Promise<KubeObject[]> {
  const found = await Promise.all(
    TENANT_KINDS.map(({ apiVersion, kind }) => kube.list(apiVersion, kind, { namespace })),
  );
  return found.flat().filter((object) => !isManagedByUs(object) && !isClusterDefault(object));
}

/**
 * Removes what install created, found by our label, and nothing else. A namespace we created is
 * removed only when nothing but our objects is in it.
 */
export async function uninstallGateway(
  kube: KubeClient,
  request: UninstallRequest,
  progress: Progress,
): Promise<UninstallResult> {
  const namespaces = [...new Set([request.namespace, ...request.extraNamespaces])];
  progress.update(`Looking for trigger-gateway objects in ${namespaces.join(', ')}`);
  const owned: KubeObject[] = [];
  for (const namespace of namespaces) {
    for (const { apiVersion, kind } of OWNED_KINDS) {
      owned.push(...(await kube.list(apiVersion, kind, { namespace, labelSelector: OWNED_SELECTOR })));
    }
  }
  const ownedNamespaces = (await kube.list('v1', 'Namespace', { labelSelector: OWNED_SELECTOR })).filter(
    (ns) => namespaces.includes(ns.metadata.name),
  );

  const removed: ObjectSummary[] = [];
  for (const object of owned) {
    if (await kube.delete(refOf(object), { dryRun: request.dryRun })) removed.push(summarize(object));
  }
  const kept: KeptNamespace[] = [];
  for (const namespace of ownedNamespaces) {
    const others = await tenantObjects(kube, namespace.metadata.name);
    if (others.length > 0) {
      const examples = others.slice(0, 3).map((object) => summarize(object).id);
      kept.push({
        name: namespace.metadata.name,
        reason: `it holds objects trigger-gateway did not create: ${examples.join(', ')}${others.length > 3 ? ', …' : ''}`,
      });
      continue;
    }
    if (await kube.delete(refOf(namespace), { dryRun: request.dryRun })) removed.push(summarize(namespace));
  }
  return { dryRun: request.dryRun, removed, kept };
}
