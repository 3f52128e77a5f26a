import { listRoutes } from '../haproxy/routes.ts';
import type { KubeClient } from '../kube/client.ts';
import { apiStatusOf } from '../kube/errors.ts';
import { CONFIG_KEY, ECHO_INSTALLED_BY_ANNOTATION } from '../manifests/render.ts';
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

/** The echo backend's objects, left in place because they are not this gateway's alone to remove. */
export interface KeptEcho {
  objects: ObjectSummary[];
  reason: string;
}

export interface UninstallResult {
  dryRun: boolean;
  removed: ObjectSummary[];
  kept: KeptNamespace[];
  /** Set when the echo backend stays: another gateway routes to it, or another gateway's install made it. */
  keptEcho?: KeptEcho;
}

export interface UninstallRequest {
  namespace: string;
  /** The echo backend install --with-echo adds, which every gateway of the cluster may route to. */
  echo: { namespace: string; service: string };
  dryRun: boolean;
}

/** Our gateways' ConfigMaps, found by their labels in every namespace. */
const GATEWAY_CONFIG_SELECTOR = `${OWNED_SELECTOR},app.kubernetes.io/component=gateway`;

/**
 * Why the echo backend must stay, or undefined when it is this gateway's to remove: install -n
 * `namespace` --with-echo applied it last (or, for objects from before the annotation, this gateway
 * routes to it), and no other gateway of ours routes to it.
 */
async function echoKeptBecause(
  kube: KubeClient,
  request: UninstallRequest,
  echoObjects: KubeObject[],
): Promise<string | undefined> {
  const routesToEcho = (configMap: KubeObject & { data?: Record<string, string> }) => {
    try {
      return listRoutes(configMap.data?.[CONFIG_KEY] ?? '').some(
        (route) =>
          route.service?.name === request.echo.service && route.service.namespace === request.echo.namespace,
      );
    } catch {
      // A config our parser cannot read is not proof of anything; another gateway's own problem.
      return false;
    }
  };
  let gateways: Array<KubeObject & { data?: Record<string, string> }>;
  try {
    gateways = await kube
      .listVersioned('v1', 'ConfigMap', { labelSelector: GATEWAY_CONFIG_SELECTOR })
      .then((list) => list.items);
  } catch (error) {
    if (apiStatusOf(error)?.code !== 403) throw error;
    return 'whether another gateway routes to it cannot be told: not allowed to list configmaps in all namespaces';
  }
  const others = gateways
    .filter((configMap) => configMap.metadata.namespace !== request.namespace && routesToEcho(configMap))
    .map((configMap) => configMap.metadata.namespace ?? '');
  if (others.length > 0)
    return `the gateway${others.length > 1 ? 's' : ''} in namespace${others.length > 1 ? 's' : ''} ${others.join(', ')} route${others.length > 1 ? '' : 's'} to it`;
  const installers = [
    ...new Set(
      echoObjects.flatMap((object) => object.metadata.annotations?.[ECHO_INSTALLED_BY_ANNOTATION] ?? []),
    ),
  ];
  if (installers.length === 0) {
    const own = gateways.find((configMap) => configMap.metadata.namespace === request.namespace);
    return own && routesToEcho(own)
      ? undefined
      : `this gateway does not route to it, so its install did not create it`;
  }
  return installers.includes(request.namespace)
    ? undefined
    : `install -n ${installers.join(', ')} --with-echo created it, not this gateway's`;
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
  const ownedIn = async (namespace: string) => {
    const found: KubeObject[] = [];
    for (const { apiVersion, kind } of OWNED_KINDS)
      found.push(...(await kube.list(apiVersion, kind, { namespace, labelSelector: OWNED_SELECTOR })));
    return found;
  };
  progress.update(
    `Looking for trigger-gateway objects in ${request.namespace} and ${request.echo.namespace}`,
  );
  const owned = await ownedIn(request.namespace);
  let keptEcho: KeptEcho | undefined;
  const namespaces = [request.namespace];
  if (request.echo.namespace !== request.namespace) {
    const echoObjects = await ownedIn(request.echo.namespace);
    const reason = echoObjects.length > 0 ? await echoKeptBecause(kube, request, echoObjects) : undefined;
    if (reason === undefined) {
      owned.push(...echoObjects);
      namespaces.push(request.echo.namespace);
    } else keptEcho = { objects: echoObjects.map((object) => summarize(object)), reason };
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
  return { dryRun: request.dryRun, removed, kept, ...(keptEcho ? { keptEcho } : {}) };
}
