/**
 * Stand-ins, for the tests, for the controllers that answer for exposure objects on a real cluster:
 * a Gateway API controller (for GatewayClasses naming CONTROLLER_NAME: accepts them, gives their
 * Gateways an address, and accepts or refuses HTTPRoutes by the listeners' rules) and an OpenShift
 * router (admits Routes, assigning a host when none is asked for, refusing one another namespace
 * already claimed). They work only through the API, reading specs and writing status, on either
 * control plane; the rules are written here from the Gateway API and OpenShift documentation, not
 * taken from the code under test.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { KubeClient } from '../../src/kube/client.ts';
import type { KubeObject } from '../../src/manifests/types.ts';
import { runExecutable } from './cli.ts';

export const CONTROLLER_NAME = 'trigger-gateway.dev/test-gateway-controller';
export const ROUTER_DOMAIN = 'apps.example.test';
const GATEWAY_API = 'gateway.networking.k8s.io/v1';
const ROUTE_API = 'route.openshift.io/v1';
const POLL_MS = 200;

interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
  lastTransitionTime?: string;
  observedGeneration?: number;
}

interface Spec {
  [key: string]: unknown;
}

type Loose = KubeObject & { spec?: Spec; status?: Record<string, unknown> };

interface ListenerSpec {
  name: string;
  hostname?: string;
  protocol: string;
  allowedRoutes?: {
    namespaces?: { from?: string; selector?: { matchLabels?: Record<string, string> } };
  };
}

interface ParentRefSpec {
  name: string;
  namespace?: string;
  sectionName?: string;
  kind?: string;
}

export interface ExposureControllers {
  stop(): Promise<void>;
}

const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

/**
 * Whether two status values say the same, as a controller compares them before writing: ignoring
 * transition times, fields the API server defaults (a parentRef's group and kind) and key order (the
 * API server sorts keys), so that a status the server stored is not written again and again.
 */
function sameStatus(a: unknown, b: unknown): boolean {
  const IGNORED = new Set(['lastTransitionTime', 'group', 'kind', 'observedGeneration']);
  const canonical = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(canonical);
    if (typeof value !== 'object' || value === null) return value;
    return Object.fromEntries(
      Object.entries(value)
        .filter(([key]) => !IGNORED.has(key))
        .sort(([x], [y]) => x.localeCompare(y))
        .map(([key, inner]) => [key, canonical(inner)]),
    );
  };
  return JSON.stringify(canonical(a ?? null)) === JSON.stringify(canonical(b ?? null));
}

const condition = (type: string, status: boolean, reason: string, message: string, generation?: unknown) => ({
  type,
  status: status ? 'True' : 'False',
  reason,
  message,
  lastTransitionTime: now(),
  ...(typeof generation === 'number' ? { observedGeneration: generation } : {}),
});

/** Listener hostname against a route hostname, wildcards as the Gateway API matches them. */
function hostnamesIntersect(listener: string | undefined, routeHostnames: string[]): boolean {
  if (!listener || routeHostnames.length === 0) return true;
  const matches = (pattern: string, name: string) =>
    pattern === name ||
    (pattern.startsWith('*.') &&
      name.endsWith(pattern.slice(1)) &&
      !name.slice(0, -pattern.length + 1).includes('*'));
  return routeHostnames.some((name) => matches(listener, name) || matches(name, listener));
}

export interface ExposureControllerOptions {
  /** What Gateways that ask for no address report in status.addresses. */
  gatewayAddress?: string;
  /**
   * Whether to play the Gateway API controller (default true); false where a real one runs (Traefik
   * on the real control plane), so only the OpenShift router is ours.
   */
  gatewayApi?: boolean;
}

/** Starts the stand-ins against `kube`, writing status with kubectl (`kubeconfig`), until stopped. */
export function startExposureControllers(
  kube: KubeClient,
  kubeconfig: string,
  { gatewayAddress = '192.0.2.10', gatewayApi = true }: ExposureControllerOptions = {},
): ExposureControllers {
  let running = true;
  const writeStatus = async (object: Loose, resource: string, status: Record<string, unknown>) => {
    const result = await runExecutable(
      'kubectl',
      [
        'patch',
        resource,
        object.metadata.name,
        ...(object.metadata.namespace ? ['-n', object.metadata.namespace] : []),
        '--subresource=status',
        '--type=merge',
        '-p',
        JSON.stringify({ status }),
      ],
      { KUBECONFIG: kubeconfig },
    );
    // The object may have gone meanwhile; the next pass sees what is there.
    if (result.exitCode !== 0 && !/NotFound|not found/.test(result.stderr)) {
      process.stderr.write(`exposure controllers: ${result.stderr}`);
    }
  };
  const served = async (apiVersion: string, resource: string) => {
    const list = await kube.discover<{ resources?: Array<{ name: string }> }>(`/apis/${apiVersion}`);
    return (list?.resources ?? []).some((entry) => entry.name === resource);
  };

  const reconcileGateways = async () => {
    // The tool itself never reads GatewayClasses, so its client has no type for them: kubectl reads them.
    const listed = await runExecutable('kubectl', ['get', 'gatewayclasses', '-o', 'json'], {
      KUBECONFIG: kubeconfig,
    });
    if (listed.exitCode !== 0) throw new Error(listed.stderr);
    const classes = (JSON.parse(listed.stdout) as { items: Loose[] }).items.filter(
      (gatewayClass) => gatewayClass.spec?.controllerName === CONTROLLER_NAME,
    );
    for (const gatewayClass of classes) {
      const conditions = [
        condition(
          'Accepted',
          true,
          'Accepted',
          'accepted by the test controller',
          gatewayClass.metadata.generation,
        ),
      ];
      if (!sameStatus(gatewayClass.status?.conditions, conditions))
        await writeStatus(gatewayClass, 'gatewayclass', { conditions });
    }
    const ours = new Set(classes.map((gatewayClass) => gatewayClass.metadata.name));
    const gateways = (await kube.list<Loose>(GATEWAY_API, 'Gateway')).filter((gateway) =>
      ours.has(String(gateway.spec?.gatewayClassName)),
    );
    for (const gateway of gateways) {
      // Addresses the Gateway asks for (spec.addresses), as controllers honour them; else the default.
      const requested = (gateway.spec?.addresses ?? []) as Array<{ type?: string; value: string }>;
      const status = {
        addresses: requested.length
          ? requested.map(({ type = 'IPAddress', value }) => ({ type, value }))
          : [{ type: 'IPAddress', value: gatewayAddress }],
        conditions: [
          condition('Accepted', true, 'Accepted', 'accepted', gateway.metadata.generation),
          condition('Programmed', true, 'Programmed', 'programmed', gateway.metadata.generation),
        ],
      };
      if (
        !sameStatus({ conditions: gateway.status?.conditions, addresses: gateway.status?.addresses }, status)
      )
        await writeStatus(gateway, 'gateway', status);
    }
    return gateways;
  };

  const verdict = async (route: Loose, ref: ParentRefSpec, gateway: Loose): Promise<Condition[]> => {
    const namespace = route.metadata.namespace ?? '';
    const generation = route.metadata.generation;
    const listeners = ((gateway.spec?.listeners ?? []) as ListenerSpec[]).filter(
      (listener) => ref.sectionName === undefined || listener.name === ref.sectionName,
    );
    const hostnames = (route.spec?.hostnames ?? []) as string[];
    const refused = (reason: string, message: string) => [
      condition('Accepted', false, reason, message, generation),
    ];
    if (listeners.length === 0) return refused('NoMatchingParent', `no listener named ${ref.sectionName}`);
    const labels =
      (await kube.read({ apiVersion: 'v1', kind: 'Namespace', name: namespace }))?.metadata.labels ?? {};
    const allowed = listeners.filter((listener) => {
      const from = listener.allowedRoutes?.namespaces?.from ?? 'Same';
      if (from === 'All') return true;
      if (from === 'Same') return namespace === gateway.metadata.namespace;
      const wanted = listener.allowedRoutes?.namespaces?.selector?.matchLabels ?? {};
      return from === 'Selector' && Object.entries(wanted).every(([key, value]) => labels[key] === value);
    });
    if (allowed.length === 0)
      return refused('NotAllowedByListeners', 'no listener allows routes from this namespace');
    if (!allowed.some((listener) => hostnamesIntersect(listener.hostname, hostnames)))
      return refused('NoMatchingListenerHostname', "no listener's hostname matches the route's hostnames");
    const backends = ((route.spec?.rules ?? []) as Array<{ backendRefs?: Array<{ name: string }> }>).flatMap(
      (rule) => rule.backendRefs ?? [],
    );
    const missing: string[] = [];
    for (const backend of backends) {
      const service = await kube.read({ apiVersion: 'v1', kind: 'Service', name: backend.name, namespace });
      if (!service) missing.push(backend.name);
    }
    return [
      condition('Accepted', true, 'Accepted', 'route accepted', generation),
      missing.length === 0
        ? condition('ResolvedRefs', true, 'ResolvedRefs', 'all references resolved', generation)
        : condition(
            'ResolvedRefs',
            false,
            'BackendNotFound',
            `service ${missing.join(', ')} not found`,
            generation,
          ),
    ];
  };

  const reconcileHttpRoutes = async (gateways: Loose[]) => {
    for (const route of await kube.list<Loose>(GATEWAY_API, 'HTTPRoute')) {
      const namespace = route.metadata.namespace ?? '';
      const parents: Array<Record<string, unknown>> = [];
      for (const ref of (route.spec?.parentRefs ?? []) as ParentRefSpec[]) {
        const gateway = gateways.find(
          (candidate) =>
            (ref.kind ?? 'Gateway') === 'Gateway' &&
            candidate.metadata.name === ref.name &&
            candidate.metadata.namespace === (ref.namespace ?? namespace),
        );
        if (gateway)
          parents.push({
            parentRef: ref,
            controllerName: CONTROLLER_NAME,
            conditions: await verdict(route, ref, gateway),
          });
      }
      if (parents.length === 0) continue;
      const others = ((route.status?.parents ?? []) as Array<{ controllerName?: string }>).filter(
        (parent) => parent.controllerName !== CONTROLLER_NAME,
      );
      const next = [...others, ...parents];
      if (!sameStatus(route.status?.parents, next)) await writeStatus(route, 'httproute', { parents: next });
    }
  };

  const reconcileRoutes = async () => {
    const routes = await kube.list<Loose>(ROUTE_API, 'Route');
    const hostOf = (route: Loose) =>
      (route.spec?.host as string | undefined) ||
      `${route.metadata.name}-${route.metadata.namespace}.${ROUTER_DOMAIN}`;
    const age = (route: Loose) => String(route.metadata.creationTimestamp ?? '');
    for (const route of routes) {
      const host = hostOf(route);
      // The oldest Route claims a host; one from another namespace asking for it later is refused.
      const claimant = routes
        .filter((other) => hostOf(other) === host && other.metadata.namespace !== route.metadata.namespace)
        .find(
          (other) =>
            age(other) < age(route) ||
            (age(other) === age(route) && other.metadata.name < route.metadata.name),
        );
      const admitted = claimant
        ? {
            type: 'Admitted',
            status: 'False',
            reason: 'HostAlreadyClaimed',
            message: `route ${claimant.metadata.name} already exposes ${host} and is older`,
            lastTransitionTime: now(),
          }
        : { type: 'Admitted', status: 'True', lastTransitionTime: now() };
      const entry = {
        host,
        routerName: 'default',
        routerCanonicalHostname: `router-default.${ROUTER_DOMAIN}`,
        wildcardPolicy: 'None',
        conditions: [admitted],
      };
      if (!sameStatus(route.status?.ingress, [entry]))
        await writeStatus(route, 'route', { ingress: [entry] });
    }
  };

  const loop = (async () => {
    while (running) {
      try {
        if (gatewayApi && (await served(GATEWAY_API, 'httproutes')))
          await reconcileHttpRoutes(await reconcileGateways());
        if (await served(ROUTE_API, 'routes')) await reconcileRoutes();
      } catch (error) {
        // A CRD deleted between the discovery and the list: the next pass sees the new state.
        if (running) process.stderr.write(`exposure controllers: ${String(error)}\n`);
      }
      await delay(POLL_MS);
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
    },
  };
}
