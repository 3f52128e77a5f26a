/**
 * The object that exposes the gateway (install --expose): checking a Gateway takes our HTTPRoute
 * before anything is written, waiting for the controller's verdict, removing the object of a kind no
 * longer chosen, and reading the public address back for status and test.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { ExitCode, GatewayError } from '../errors.ts';
import type { KubeClient } from '../kube/client.ts';
import { apiStatusOf } from '../kube/errors.ts';
import { EXPOSE_OBJECT } from '../manifests/render.ts';
import type { ExposeKind, GatewayOptions, KubeObject } from '../manifests/types.ts';
import type { Progress } from '../ui/progress.ts';
import {
  admittedBy,
  attachmentRefusals,
  type Condition,
  type EndpointSliceObject,
  explainRouteReason,
  type GatewayObject,
  gatewayId,
  type HttpRouteObject,
  httpRouteAddress,
  type IngressObject,
  ingressAddress,
  type LoadBalancerServiceObject,
  loadBalancerAt,
  NOT_EXPOSED,
  type OpenShiftRouteObject,
  openShiftRouteAddress,
  parentStatus,
  type PublicAddress,
  routeListener,
  servicePortTo,
} from './exposure-model.ts';
import { type ObjectSummary, OWNED_SELECTOR, refOf, summarize } from './objects.ts';

const GATEWAY_API = 'gateway.networking.k8s.io/v1';
const INSTANCE_SELECTOR = `${OWNED_SELECTOR},app.kubernetes.io/instance=trigger-gateway`;
const EXPOSED_KINDS = Object.entries(EXPOSE_OBJECT) as Array<
  [Exclude<ExposeKind, 'none'>, { apiVersion: string; kind: string }]
>;

/** The labels the route's namespace has, or will have when install creates it. */
async function namespaceLabels(kube: KubeClient, namespace: KubeObject): Promise<Record<string, string>> {
  const live = await kube.read({ apiVersion: 'v1', kind: 'Namespace', name: namespace.metadata.name });
  // The API server labels every namespace with its name.
  return {
    ...(live ? live.metadata.labels : namespace.metadata.labels),
    'kubernetes.io/metadata.name': namespace.metadata.name,
  };
}

/**
 * Before install writes: the Gateway exists and one of its listeners takes an HTTPRoute from the
 * gateway's namespace (allowedRoutes). A ReferenceGrant cannot fix this, so the error says what does.
 */
export async function checkGatewayAttachment(
  kube: KubeClient,
  options: GatewayOptions,
  namespace: KubeObject,
): Promise<void> {
  const ref = options.gateway;
  if (options.expose !== 'httproute' || !ref) return;
  const gatewayNamespace = ref.namespace ?? options.namespace;
  const gateway = await kube.read<GatewayObject>({
    apiVersion: GATEWAY_API,
    kind: 'Gateway',
    name: ref.name,
    namespace: gatewayNamespace,
  });
  if (!gateway) {
    throw new GatewayError(`Gateway ${gatewayNamespace}/${ref.name} not found`, {
      why: '--gateway names the Gateway the HTTPRoute attaches to, NAME.NAMESPACE when it is in another namespace than the gateway',
      next: [
        'kubectl get gateways -A',
        'then: kubectl trigger-gateway install --expose httproute --gateway NAME.NAMESPACE',
      ],
      exitCode: ExitCode.clusterState,
    });
  }
  const labels = await namespaceLabels(kube, namespace);
  const refusals = attachmentRefusals(gateway, options.namespace, labels, ref.section);
  if (refusals.length === 0) return;
  const listener = ref.section === undefined ? 'a listener' : `listener ${ref.section}`;
  throw new GatewayError(
    `Gateway ${gatewayNamespace}/${ref.name} does not allow routes from namespace ${options.namespace}`,
    {
      why: `${refusals.join('; ')}. A ReferenceGrant does not help here: it lets routes point at backends in other namespaces, while attaching to a Gateway is up to its listeners' allowedRoutes`,
      next: [
        `let ${listener} take routes from ${options.namespace}: set spec.listeners[].allowedRoutes.namespaces to from: All, or from: Selector with a selector matching namespace ${options.namespace}'s labels (kubectl -n ${gatewayNamespace} edit gateway ${ref.name})`,
        `or install into the Gateway's own namespace: kubectl trigger-gateway install -n ${gatewayNamespace} --expose httproute --gateway ${ref.name}`,
      ],
      exitCode: ExitCode.clusterState,
    },
  );
}

/** Our objects (managed-by and instance labels) in `namespace` that expose the gateway otherwise than `keep`. */
export async function otherExposures(
  kube: KubeClient,
  namespace: string,
  keep: ExposeKind,
): Promise<KubeObject[]> {
  const found: KubeObject[] = [];
  for (const [kind, type] of EXPOSED_KINDS) {
    // A kind the cluster does not serve lists as empty.
    if (kind !== keep)
      found.push(
        ...(await kube.list(type.apiVersion, type.kind, { namespace, labelSelector: INSTANCE_SELECTOR })),
      );
  }
  return found;
}

/** Removes exposure objects a previous install made (`otherExposures`); those already gone are left out. */
export async function removeExposures(kube: KubeClient, objects: KubeObject[]): Promise<ObjectSummary[]> {
  const removed: ObjectSummary[] = [];
  for (const object of objects) if (await kube.delete(refOf(object))) removed.push(summarize(object));
  return removed;
}

/** The controller's verdict on an HTTPRoute or a Route, as install reports it. */
export interface ExposureReport extends PublicAddress {
  /** HTTPRoute: its status.parents conditions for our Gateway; Route: the admitting router's. */
  conditions?: Condition[];
}

const INTERVAL_MS = 500;

function describeConditions(conditions: Condition[]): string {
  return conditions
    .map(
      (c) => `${c.type}=${c.status}${c.reason ? ` (${c.reason}${c.message ? `: ${c.message}` : ''})` : ''}`,
    )
    .join(', ');
}

/** The Gateway an HTTPRoute attaches to (its first parentRef), whose addresses are the public ones. */
async function readParentGateway(
  kube: KubeClient,
  route: HttpRouteObject,
): Promise<GatewayObject | undefined> {
  const ref = route.spec?.parentRefs?.[0];
  if (!ref) return undefined;
  return kube.read<GatewayObject>({
    apiVersion: GATEWAY_API,
    kind: 'Gateway',
    name: ref.name,
    namespace: ref.namespace ?? route.metadata.namespace,
  });
}

/** A list that a user may not be allowed to make (403): empty then. */
async function listIfAllowed<T extends KubeObject>(
  kube: KubeClient,
  apiVersion: string,
  kind: string,
  options: { namespace?: string; labelSelector?: string } = {},
): Promise<T[]> {
  try {
    return await kube.list<T>(apiVersion, kind, options);
  } catch (error) {
    if (apiStatusOf(error)?.code === 403) return [];
    throw error;
  }
}

/**
 * The port clients reach the route's listener on: the port of the LoadBalancer Service at the
 * Gateway's address that leads to the listener's port (Traefik publishes its entry point :8000 as
 * port 80). Undefined, and the listener's own port counts, when no such Service can be read.
 */
async function listenerPublicPort(
  kube: KubeClient,
  route: HttpRouteObject,
  gateway: GatewayObject | undefined,
): Promise<number | undefined> {
  const address = gateway?.status?.addresses?.[0]?.value;
  const listenerPort = routeListener(route, gateway)?.port;
  if (!gateway || !address || listenerPort === undefined) return undefined;
  // The data plane's Service is usually beside its Gateway; else anywhere the user may look.
  const service =
    loadBalancerAt(
      await listIfAllowed<LoadBalancerServiceObject>(kube, 'v1', 'Service', {
        namespace: gateway.metadata.namespace,
      }),
      address,
    ) ?? loadBalancerAt(await listIfAllowed<LoadBalancerServiceObject>(kube, 'v1', 'Service'), address);
  if (!service) return undefined;
  const slices = await listIfAllowed<EndpointSliceObject>(kube, 'discovery.k8s.io/v1', 'EndpointSlice', {
    namespace: service.metadata.namespace,
    labelSelector: `kubernetes.io/service-name=${service.metadata.name}`,
  });
  return servicePortTo(service, listenerPort, slices);
}

/** The HTTPRoute's public address, on its Gateway as clients reach it. */
async function readHttpRouteAddress(kube: KubeClient, route: HttpRouteObject): Promise<PublicAddress> {
  const gateway = await readParentGateway(kube, route);
  return httpRouteAddress(route, gateway, await listenerPublicPort(kube, route, gateway));
}

/** Why the Gateway's controller refused the route: its reason explained, and its message when it wrote one. */
function refusalWhy(
  condition: Condition,
  controller: string | undefined,
  route: HttpRouteObject,
  gateway: GatewayObject | undefined,
): string {
  return `${controller ?? 'its controller'} set ${condition.type}=False, reason ${condition.reason ?? 'none'}: ${explainRouteReason(condition.reason, route, gateway)}${condition.message ? `; its message: ${condition.message}` : ''}`;
}

/** The HTTPRoute's verdict: done when its Gateway's controller set Accepted and ResolvedRefs. */
async function httpRouteVerdict(
  kube: KubeClient,
  route: HttpRouteObject,
): Promise<ExposureReport | undefined> {
  const parent = parentStatus(route);
  const conditions = parent?.conditions ?? [];
  const accepted = conditions.find((c) => c.type === 'Accepted');
  const resolved = conditions.find((c) => c.type === 'ResolvedRefs');
  const ref = route.spec?.parentRefs?.[0];
  const which = ref ? `Gateway ${gatewayId(ref, route.metadata.namespace ?? '')}` : 'its Gateway';
  if (accepted?.status === 'False') {
    throw new GatewayError(`${which} did not accept the HTTPRoute: ${accepted.reason ?? 'no reason given'}`, {
      why: refusalWhy(accepted, parent?.controllerName, route, await readParentGateway(kube, route)),
      next: [
        `kubectl -n ${route.metadata.namespace} get httproute ${route.metadata.name} -o yaml`,
        ref
          ? `kubectl -n ${ref.namespace ?? route.metadata.namespace} describe gateway ${ref.name}`
          : 'kubectl get gateways -A',
      ],
      exitCode: ExitCode.clusterState,
    });
  }
  if (resolved?.status === 'False') {
    throw new GatewayError(
      `${which} cannot resolve the HTTPRoute's backend: ${resolved.reason ?? 'no reason given'}`,
      {
        why: refusalWhy(resolved, parent?.controllerName, route, undefined),
        next: [`kubectl -n ${route.metadata.namespace} get service trigger-gateway`],
        exitCode: ExitCode.clusterState,
      },
    );
  }
  if (accepted?.status !== 'True' || resolved?.status !== 'True') return undefined;
  return { ...(await readHttpRouteAddress(kube, route)), conditions };
}

function routeVerdict(route: OpenShiftRouteObject): ExposureReport | undefined {
  const admitted = admittedBy(route);
  if (admitted) return { ...openShiftRouteAddress(route), conditions: admitted.conditions ?? [] };
  const refusal = route.status?.ingress
    ?.flatMap((entry) => (entry.conditions ?? []).map((condition) => ({ entry, condition })))
    .find(({ condition }) => condition.type === 'Admitted' && condition.status === 'False');
  if (!refusal) return undefined;
  throw new GatewayError(
    `${refusal.entry.routerName ? `router ${refusal.entry.routerName}` : 'the router'} did not admit the Route: ${refusal.condition.reason ?? 'no reason given'}`,
    {
      why: refusal.condition.message || describeConditions(refusal.entry.conditions ?? []),
      next: [`kubectl -n ${route.metadata.namespace} get route ${route.metadata.name} -o yaml`],
      exitCode: ExitCode.clusterState,
    },
  );
}

/**
 * Waits for the controller of the HTTPRoute's Gateway (or OpenShift's router) to report on the object
 * just applied, within `timeoutMs`. A refusal is an error with the controller's own reason.
 */
export async function waitForExposure(
  kube: KubeClient,
  object: KubeObject,
  timeoutMs: number,
  progress: Progress,
): Promise<ExposureReport> {
  const deadline = Date.now() + timeoutMs;
  const id = summarize(object).id;
  const httpRoute = object.kind === 'HTTPRoute';
  progress.update(
    httpRoute
      ? `Waiting for the Gateway's controller to accept ${id}`
      : `Waiting for a router to admit ${id}`,
  );
  for (;;) {
    const live = await kube.read(refOf(object));
    if (!live) {
      throw new GatewayError(`${id} disappeared while waiting for it`, {
        why: 'someone deleted it right after install applied it',
        next: ['run the install again'],
        exitCode: ExitCode.clusterState,
      });
    }
    const verdict = httpRoute
      ? await httpRouteVerdict(kube, live as HttpRouteObject)
      : routeVerdict(live as OpenShiftRouteObject);
    if (verdict) return verdict;
    if (Date.now() + INTERVAL_MS > deadline) break;
    await delay(INTERVAL_MS);
  }
  const gateway = (object as HttpRouteObject).spec?.parentRefs?.[0];
  throw new GatewayError(
    httpRoute
      ? `no controller accepted ${id} within the timeout`
      : `no router admitted ${id} within the timeout`,
    {
      why: httpRoute
        ? `the controller of Gateway ${gateway ? gatewayId(gateway, object.metadata.namespace ?? '') : ''} has not written the route's status.parents (Accepted, ResolvedRefs): is a controller running for its GatewayClass?`
        : "no OpenShift router wrote the Route's status.ingress: is this an OpenShift cluster with a running router?",
      next: [
        httpRoute
          ? 'kubectl get gatewayclasses (ACCEPTED should be True)'
          : 'kubectl -n openshift-ingress get pods',
        'wait longer: kubectl trigger-gateway install … --timeout 10m, or skip the wait with --no-wait',
      ],
      exitCode: ExitCode.timeout,
    },
  );
}

/** How long a switch to an Ingress waits for its controller's address, which not every controller publishes. */
export const INGRESS_ADDRESS_WAIT_MS = 10_000;

/**
 * How long the old exposure keeps serving after the new one's controller answered: controllers write
 * status before their proxies route by it (Traefik applies a provider's changes at most every 2 s,
 * and the Ingress and Gateway providers each on their own clock), so removing the old at once can
 * leave the host unrouted for a moment.
 */
export const EXPOSURE_HANDOVER_MS = 5_000;

/**
 * The Ingress's public address once its controller published one, read until `timeoutMs` passes
 * (at least once): no controller has to publish it, so running out of time is no error.
 */
export async function waitForIngressAddress(
  kube: KubeClient,
  ingress: KubeObject,
  timeoutMs: number,
  progress: Progress,
): Promise<ExposureReport> {
  const deadline = Date.now() + timeoutMs;
  if (timeoutMs > 0)
    progress.update(`Waiting for the ingress controller to publish the address of ${summarize(ingress).id}`);
  for (;;) {
    const live = (await kube.read<IngressObject>(refOf(ingress))) ?? (ingress as IngressObject);
    const address = ingressAddress(live);
    if (address.address !== undefined || Date.now() + INTERVAL_MS > deadline) return address;
    await delay(INTERVAL_MS);
  }
}

/** Our objects of one exposure kind; none where it is not served, or where the user may not list it. */
async function listOurs(kube: KubeClient, type: { apiVersion: string; kind: string }, namespace: string) {
  const options = { namespace, labelSelector: INSTANCE_SELECTOR };
  // A user with the built-in view role may read Ingresses but not HTTPRoutes or Routes.
  return type.kind === 'Ingress'
    ? kube.list(type.apiVersion, type.kind, options)
    : listIfAllowed(kube, type.apiVersion, type.kind, options);
}

/** Reads how the gateway in `namespace` is reached: its Ingress, HTTPRoute or Route, whichever is ours. */
export async function readPublicAddress(kube: KubeClient, namespace: string): Promise<PublicAddress> {
  for (const [kind, type] of EXPOSED_KINDS) {
    const object = (await listOurs(kube, type, namespace))[0];
    if (!object) continue;
    if (kind === 'ingress') return ingressAddress(object as IngressObject);
    if (kind === 'route') return openShiftRouteAddress(object as OpenShiftRouteObject);
    return readHttpRouteAddress(kube, object as HttpRouteObject);
  }
  return NOT_EXPOSED;
}
