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
    ingress?: Array<{ host?: string; routerName?: string; conditions?: Condition[] }>;
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
  /** Why there is no URL (or no address behind it) yet, in one line. */
  note?: string;
}

const conditionOf = (conditions: Condition[] | undefined, type: string) =>
  conditions?.find((condition) => condition.type === type);

export function ingressAddress(ingress: IngressObject): PublicAddress {
  const object = `ingress.networking.k8s.io/${ingress.metadata.name}`;
  const tlsHost = ingress.spec?.tls?.flatMap((tls) => tls.hosts ?? [])[0];
  const host = ingress.spec?.rules?.find((rule) => rule.host)?.host;
  const address = ingress.status?.loadBalancer?.ingress?.[0];
  const routable = Boolean(address && (address.hostname || address.ip)) && !(host ?? '').startsWith('*');
  const url = tlsHost
    ? `https://${tlsHost}/`
    : host
      ? `http://${host}/`
      : address?.hostname || address?.ip
        ? `http://${address.hostname ?? address.ip}/`
        : undefined;
  return {
    kind: 'ingress',
    object,
    ...(url ? { url } : {}),
    routable,
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
function listenerFor(gateway: GatewayObject | undefined, section: string | undefined): Listener | undefined {
  const listeners = gateway?.spec?.listeners ?? [];
  if (section !== undefined) return listeners.find((listener) => listener.name === section);
  return (
    listeners.find((listener) => listener.protocol === 'HTTPS') ??
    listeners.find((listener) => listener.protocol === 'HTTP')
  );
}

export function httpRouteAddress(route: HttpRouteObject, gateway: GatewayObject | undefined): PublicAddress {
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
  const listener = listenerFor(gateway, ref?.sectionName);
  const https = listener?.protocol === 'HTTPS';
  const port = listener?.port;
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
    ...(address === undefined ? { note: `${which} reports no address yet` } : {}),
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
