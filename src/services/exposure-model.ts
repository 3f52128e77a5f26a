/**
 * How the gateway is reached from outside, read from the objects that expose it: an Ingress, a Gateway
 * API HTTPRoute (with its Gateway) or an OpenShift Route. Pure: install, status and test share it.
 */
import type { ExposeKind, KubeObject } from '../manifests/types.ts';

export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

export interface IngressObject extends KubeObject {
  spec?: { tls?: Array<{ hosts?: string[] }>; rules?: Array<{ host?: string }> };
  status?: { loadBalancer?: { ingress?: Array<{ ip?: string; hostname?: string }> } };
}

export interface ParentRef {
  group?: string;
  kind?: string;
  name: string;
  namespace?: string;
  sectionName?: string;
}

export interface HttpRouteObject extends KubeObject {
  spec?: { parentRefs?: ParentRef[]; hostnames?: string[] };
  status?: { parents?: Array<{ parentRef: ParentRef; controllerName?: string; conditions?: Condition[] }> };
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>;
}

export interface Listener {
  name: string;
  protocol: string;
  port?: number;
  hostname?: string;
  allowedRoutes?: {
    namespaces?: { from?: string; selector?: LabelSelector };
    kinds?: Array<{ group?: string; kind: string }>;
  };
}

export interface GatewayObject extends KubeObject {
  spec?: { gatewayClassName?: string; listeners?: Listener[] };
  status?: { addresses?: Array<{ type?: string; value: string }> };
}

export interface OpenShiftRouteObject extends KubeObject {
  spec?: { host?: string; tls?: { termination?: string } };
  status?: {
    ingress?: Array<{
      host?: string;
      routerName?: string;
      routerCanonicalHostname?: string;
      conditions?: Condition[];
    }>;
  };
}

/** What status, test and install report about how the gateway is reached. */
export interface PublicAddress {
  /** Which object exposes the gateway; none when there is none of ours. */
  kind: ExposeKind;
  /** `httproute.gateway.networking.k8s.io/trigger-gateway`, when there is one. */
  object?: string;
  /** The public URL, e.g. https://hooks.example.com/; undefined until it is known. */
  url?: string;
  /** Whether a controller reports an address the URL leads to, so `test` can send there. */
  routable: boolean;
  /**
   * The address the controller reports (a load balancer's IP or host name, a router's canonical
   * host name): where the URL's host name should lead, and where `test` connects when it does not
   * resolve.
   */
  address?: string;
  /** Why there is no URL (or no address behind it) yet, in one line. */
  note?: string;
}

const conditionOf = (conditions: Condition[] | undefined, type: string) =>
  conditions?.find((condition) => condition.type === type);

export function ingressAddress(ingress: IngressObject): PublicAddress {
  const object = `ingress.networking.k8s.io/${ingress.metadata.name}`;
  const tlsHost = ingress.spec?.tls?.flatMap((tls) => tls.hosts ?? [])[0];
  const host = ingress.spec?.rules?.find((rule) => rule.host)?.host;
  const entry = ingress.status?.loadBalancer?.ingress?.[0];
  const address = entry?.ip || entry?.hostname || undefined;
  const routable = address !== undefined && !(host ?? '').startsWith('*');
  const url = tlsHost
    ? `https://${tlsHost}/`
    : host
      ? `http://${host}/`
      : address
        ? `http://${address}/`
        : undefined;
  return {
    kind: 'ingress',
    object,
    ...(url ? { url } : {}),
    routable,
    ...(address ? { address } : {}),
    ...(url ? {} : { note: 'the Ingress has no host or address yet' }),
  };
}

/** `NAME.NAMESPACE` of the Gateway a parentRef names, seen from the route's namespace. */
export const gatewayId = (ref: ParentRef, routeNamespace: string) =>
  `${ref.namespace ?? routeNamespace}/${ref.name}`;

/** The route's status entry for its first parent (ours has one), if the Gateway's controller wrote one. */
export function parentStatus(route: HttpRouteObject) {
  const namespace = route.metadata.namespace ?? '';
  const ref = route.spec?.parentRefs?.[0];
  if (!ref) return undefined;
  return route.status?.parents?.find(
    (parent) =>
      parent.parentRef.name === ref.name &&
      (parent.parentRef.namespace ?? namespace) === (ref.namespace ?? namespace) &&
      (parent.parentRef.sectionName ?? '') === (ref.sectionName ?? ''),
  );
}

/** The listener traffic for the route arrives on: the one it names, else the first HTTPS one, else HTTP. */
export function routeListener(
  route: HttpRouteObject,
  gateway: GatewayObject | undefined,
): Listener | undefined {
  const listeners = gateway?.spec?.listeners ?? [];
  const section = route.spec?.parentRefs?.[0]?.sectionName;
  if (section !== undefined) return listeners.find((listener) => listener.name === section);
  return (
    listeners.find((listener) => listener.protocol === 'HTTPS') ??
    listeners.find((listener) => listener.protocol === 'HTTP')
  );
}

/**
 * The route's public URL on its Gateway. `publicPort` is the listener's port as clients reach it,
 * when that differs from the listener's own (Traefik's listeners are its entry points' ports, which
 * its LoadBalancer Service publishes as 80 and 443).
 */
export function httpRouteAddress(
  route: HttpRouteObject,
  gateway: GatewayObject | undefined,
  publicPort?: number,
): PublicAddress {
  const object = `httproute.gateway.networking.k8s.io/${route.metadata.name}`;
  const ref = route.spec?.parentRefs?.[0];
  const which = ref ? `Gateway ${gatewayId(ref, route.metadata.namespace ?? '')}` : 'no Gateway';
  const accepted = conditionOf(parentStatus(route)?.conditions, 'Accepted');
  if (accepted?.status !== 'True') {
    const note = accepted
      ? `${which} did not accept the HTTPRoute: ${accepted.reason ?? ''}${accepted.message ? ` (${accepted.message})` : ''}`
      : `${which} has not accepted the HTTPRoute yet`;
    return { kind: 'httproute', object, routable: false, note };
  }
  const listener = routeListener(route, gateway);
  const https = listener?.protocol === 'HTTPS';
  const port = publicPort ?? listener?.port;
  const hostname = route.spec?.hostnames?.find((name) => !name.startsWith('*'));
  const address = gateway?.status?.addresses?.[0]?.value;
  const host = hostname ?? address ?? (listener?.hostname?.startsWith('*') ? undefined : listener?.hostname);
  if (!host) {
    return { kind: 'httproute', object, routable: false, note: `${which} reports no address yet` };
  }
  const defaultPort = https ? 443 : 80;
  const authority = port === undefined || port === defaultPort ? host : `${host}:${port}`;
  return {
    kind: 'httproute',
    object,
    url: `${https ? 'https' : 'http'}://${authority}/`,
    routable: address !== undefined,
    ...(address === undefined ? { note: `${which} reports no address yet` } : { address }),
  };
}

/** The ingress entry of a router that admitted the Route. */
export const admittedBy = (route: OpenShiftRouteObject) =>
  route.status?.ingress?.find((entry) => conditionOf(entry.conditions, 'Admitted')?.status === 'True');

export function openShiftRouteAddress(route: OpenShiftRouteObject): PublicAddress {
  const object = `route.route.openshift.io/${route.metadata.name}`;
  const admitted = admittedBy(route);
  const scheme = route.spec?.tls ? 'https' : 'http';
  if (!admitted) {
    const refused = route.status?.ingress
      ?.map((entry) => conditionOf(entry.conditions, 'Admitted'))
      .find((condition) => condition?.status === 'False');
    const note = refused
      ? `no router admitted the Route: ${refused.reason ?? ''}${refused.message ? ` (${refused.message})` : ''}`
      : 'no router has admitted the Route yet';
    return { kind: 'route', object, routable: false, note };
  }
  const host = admitted.host ?? route.spec?.host;
  return {
    kind: 'route',
    object,
    ...(host ? { url: `${scheme}://${host}/` } : {}),
    routable: host !== undefined,
    ...(admitted.routerCanonicalHostname ? { address: admitted.routerCanonicalHostname } : {}),
  };
}

export const NOT_EXPOSED: PublicAddress = {
  kind: 'none',
  routable: false,
  note: 'no Ingress, HTTPRoute or Route exposes the gateway (install --expose none); test uses a port-forward',
};

/** A namespace's labels against a Gateway listener's namespace selector. */
export function selectorMatches(selector: LabelSelector, labels: Record<string, string>): boolean {
  const byLabels = Object.entries(selector.matchLabels ?? {}).every(([key, value]) => labels[key] === value);
  const byExpressions = (selector.matchExpressions ?? []).every(({ key, operator, values = [] }) => {
    switch (operator) {
      case 'In':
        return key in labels && values.includes(labels[key] ?? '');
      case 'NotIn':
        return !(key in labels) || !values.includes(labels[key] ?? '');
      case 'Exists':
        return key in labels;
      case 'DoesNotExist':
        return !(key in labels);
      default:
        return false;
    }
  });
  return byLabels && byExpressions;
}

const describeSelector = (selector: LabelSelector | undefined) =>
  [
    ...Object.entries(selector?.matchLabels ?? {}).map(([key, value]) => `${key}=${value}`),
    ...(selector?.matchExpressions ?? []).map(
      ({ key, operator, values }) => `${key} ${operator}${values?.length ? ` (${values.join(', ')})` : ''}`,
    ),
  ].join(', ') || 'everything';

/**
 * Why none of the Gateway's listeners (or the one named by `section`) would take an HTTPRoute from
 * `routeNamespace`, one reason per listener; an empty list when one would. Follows allowedRoutes as
 * the Gateway API defines it: namespaces.from defaults to Same, kinds to the protocol's route kinds.
 */
export function attachmentRefusals(
  gateway: GatewayObject,
  routeNamespace: string,
  namespaceLabels: Record<string, string>,
  section: string | undefined,
): string[] {
  const listeners = (gateway.spec?.listeners ?? []).filter(
    (listener) => section === undefined || listener.name === section,
  );
  if (listeners.length === 0) {
    const names = (gateway.spec?.listeners ?? []).map((listener) => listener.name).join(', ') || 'none';
    return [
      section === undefined
        ? 'it has no listeners'
        : `it has no listener ${section} (its listeners: ${names})`,
    ];
  }
  const refusals: string[] = [];
  for (const listener of listeners) {
    const kinds = listener.allowedRoutes?.kinds;
    const takesHttpRoutes = kinds?.length
      ? kinds.some(
          (kind) =>
            kind.kind === 'HTTPRoute' &&
            (kind.group ?? 'gateway.networking.k8s.io') === 'gateway.networking.k8s.io',
        )
      : listener.protocol === 'HTTP' || listener.protocol === 'HTTPS';
    if (!takesHttpRoutes) {
      refusals.push(`listener ${listener.name} (${listener.protocol}) does not take HTTPRoutes`);
      continue;
    }
    const namespaces = listener.allowedRoutes?.namespaces;
    const from = namespaces?.from ?? 'Same';
    const gatewayNamespace = gateway.metadata.namespace ?? '';
    if (from === 'All') return [];
    if (from === 'Same') {
      if (routeNamespace === gatewayNamespace) return [];
      refusals.push(
        `listener ${listener.name} allows routes from its own namespace (${gatewayNamespace}) only`,
      );
      continue;
    }
    if (from === 'Selector') {
      if (namespaces?.selector && selectorMatches(namespaces.selector, namespaceLabels)) return [];
      refusals.push(
        `listener ${listener.name} allows routes from namespaces labelled ${describeSelector(namespaces?.selector)}, and ${routeNamespace} is not`,
      );
      continue;
    }
    refusals.push(`listener ${listener.name} allows routes from ${from}`);
  }
  return refusals;
}

export interface LoadBalancerServiceObject extends KubeObject {
  spec?: { type?: string; ports?: Array<{ name?: string; port: number; targetPort?: number | string }> };
  status?: { loadBalancer?: { ingress?: Array<{ ip?: string; hostname?: string }> } };
}

export interface EndpointSliceObject extends KubeObject {
  ports?: Array<{ name?: string; port?: number }> | null;
}

/** The LoadBalancer Service whose status has `address`: the one a Gateway's controller reports. */
export function loadBalancerAt(
  services: LoadBalancerServiceObject[],
  address: string,
): LoadBalancerServiceObject | undefined {
  return services.find(
    (service) =>
      service.spec?.type === 'LoadBalancer' &&
      (service.status?.loadBalancer?.ingress ?? []).some(
        (entry) => entry.ip === address || entry.hostname === address,
      ),
  );
}

/**
 * The port of `service` that leads to `listenerPort`: the listener's own when the Service has it,
 * else the port whose target it is (a named target as its EndpointSlices resolve it). Undefined when
 * no port leads there.
 */
export function servicePortTo(
  service: LoadBalancerServiceObject,
  listenerPort: number,
  slices: EndpointSliceObject[],
): number | undefined {
  const ports = service.spec?.ports ?? [];
  if (ports.some((port) => port.port === listenerPort)) return listenerPort;
  const resolved = (name: string | undefined) =>
    slices.flatMap((slice) => slice.ports ?? []).find((port) => (port.name ?? '') === (name ?? ''))?.port;
  return ports.find((port) => {
    const target = port.targetPort ?? port.port;
    return (typeof target === 'number' ? target : resolved(port.name)) === listenerPort;
  })?.port;
}

const listenerHostnames = (gateway: GatewayObject | undefined) =>
  (gateway?.spec?.listeners ?? [])
    .map((listener) => `${listener.name}: ${listener.hostname ?? 'any host'}`)
    .join(', ') || 'none';

/**
 * What a route condition's reason means, in the Gateway API's terms and this route's values: the
 * controller's own message is optional (Traefik writes none), the reasons are standard.
 */
export function explainRouteReason(
  reason: string | undefined,
  route: HttpRouteObject,
  gateway: GatewayObject | undefined,
): string {
  const namespace = route.metadata.namespace ?? '';
  const hostnames = route.spec?.hostnames?.join(', ') || 'none';
  switch (reason) {
    case 'NotAllowedByListeners':
      return `no listener of the Gateway takes HTTPRoutes from namespace ${namespace} (their allowedRoutes)`;
    case 'NoMatchingListenerHostname':
      return `the route's hostnames (${hostnames}) match no listener's hostname (${listenerHostnames(gateway)})`;
    case 'NoMatchingParent':
      return "no listener of the Gateway matches the route's parentRef, or none can take routes: kubectl describe gateway shows each listener's conditions (a port the controller does not serve, for one)";
    case 'UnsupportedValue':
      return 'the controller does not support a value the route uses';
    case 'BackendNotFound':
      return `the route's backend, Service trigger-gateway in namespace ${namespace}, does not exist`;
    case 'RefNotPermitted':
      return 'the route points at a backend in another namespace without a ReferenceGrant allowing it';
    case 'InvalidKind':
      return 'the route points at a backend kind the controller does not know';
    case 'UnsupportedProtocol':
      return "the controller does not support the backend's protocol";
    default:
      return reason ? `reason ${reason}` : 'no reason given';
  }
}
