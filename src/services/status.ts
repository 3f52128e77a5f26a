/**
 * `status`: what the gateway is doing, built from the API server's objects and HAProxy's own stats.
 * `buildGatewayStatus` is pure and shared by the one-shot reading here and the live one
 * (status-watch.ts), which only differ in how they get the objects.
 */
import { configChecksum, GATEWAY_STATS_PORT, METRICS_PATH, STATS_PATH } from '../haproxy/gateway-config.ts';
import { describeMatch, describeRouteTarget, type GatewayRoute, listRoutes } from '../haproxy/routes.ts';
import {
  type BackendStats,
  combineBackendStats,
  parseBuildVersion,
  parseStatsCsv,
} from '../haproxy/stats.ts';
import { parseWorkspaceUrl } from '../kcp/paths.ts';
import type { KubeClient } from '../kube/client.ts';
import { apiStatusOf } from '../kube/errors.ts';
import type { ConfigMapObject } from '../kube/read-modify-write.ts';
import { labelSelectorOf } from '../kube/resources.ts';
import { isPodReady, type PodLike } from '../kube/rollout.ts';
import { CONFIG_CHECKSUM_ANNOTATION } from '../manifests/render.ts';
import type { KubeObject } from '../manifests/types.ts';
import {
  type EventListenerObject,
  listenerOfService,
  listenerReadiness,
  TRIGGERS_API_VERSION,
} from '../tekton/objects.ts';
import { readPublicAddress } from './exposure.ts';
import { type IngressObject, ingressAddress, type PublicAddress } from './exposure-model.ts';
import { type GatewayLocation, gatewayNotInstalled } from './gateway.ts';
import { isManagedByUs } from './objects.ts';
import { currentConfig } from './routes.ts';
import type { GatewayStatus, ListenerStatus, PodStatus, RouteStatus, WarningEvent } from './status-model.ts';

const EVENT_LIMIT = 20;

export interface StatusPod extends PodLike {
  metadata: PodLike['metadata'] & { creationTimestamp?: string; annotations?: Record<string, string> };
  spec?: { containers?: Array<{ ports?: Array<{ name?: string; containerPort: number }> }> };
}

interface EventObject extends KubeObject {
  involvedObject?: { kind?: string; name?: string };
  reason?: string;
  message?: string;
  count?: number;
  lastTimestamp?: string;
  eventTime?: string;
}

interface EndpointsObject extends KubeObject {
  subsets?: Array<{ addresses?: unknown[] }>;
}

/** Everything status is built from; each source is undefined until read, with a notice when it cannot be. */
export interface StatusSources {
  configMap: ConfigMapObject | undefined;
  pods: StatusPod[];
  ingresses: IngressObject[] | undefined;
  /** How the gateway is reached, from whichever of Ingress, HTTPRoute or Route is ours. */
  exposure: PublicAddress | undefined;
  /** By namespace: the Services and Endpoints of the namespaces routes point into. */
  services: Map<string, KubeObject[]>;
  endpoints: Map<string, EndpointsObject[]>;
  /** By namespace: the EventListeners there, when Tekton Triggers is installed. */
  listeners: Map<string, EventListenerObject[]>;
  events: EventObject[];
  /** By pod name: HAProxy's backend stats read from that pod. */
  stats: Map<string, Map<string, BackendStats>>;
  version: string | undefined;
  /** By source, so a source that recovers takes its notice away. */
  notices: Map<string, string>;
}

export const emptySources = (): StatusSources => ({
  configMap: undefined,
  pods: [],
  ingresses: undefined,
  exposure: undefined,
  services: new Map(),
  endpoints: new Map(),
  listeners: new Map(),
  events: [],
  stats: new Map(),
  version: undefined,
  notices: new Map(),
});

/** A failed read, in one line a user can act on. */
export function noticeFor(what: string, error: unknown): string {
  const status = apiStatusOf(error);
  if (status?.code === 403) return `not allowed to ${what} (403): ${status.message}`;
  if (status?.code === 404) return `cannot ${what}: the cluster does not serve that API`;
  const message = error instanceof Error ? error.message : String(error);
  return `cannot ${what}: ${message}`;
}

function podStatus(pod: StatusPod, checksum: string | undefined): PodStatus {
  const containers = pod.status?.containerStatuses ?? [];
  const waiting = containers.find((container) => container.state?.waiting?.reason)?.state?.waiting?.reason;
  const podChecksum = pod.metadata.annotations?.[CONFIG_CHECKSUM_ANNOTATION];
  const ready = isPodReady(pod);
  return {
    name: pod.metadata.name,
    // As kubectl shows it: a pod being deleted still runs (its preStop hook, a graceful stop).
    phase: pod.metadata.deletionTimestamp ? 'Terminating' : (pod.status?.phase ?? 'Pending'),
    ready,
    readyContainers: `${containers.filter((container) => container.ready).length}/${Math.max(containers.length, pod.spec?.containers?.length ?? 0)}`,
    restarts: containers.reduce((total, container) => total + (container.restartCount ?? 0), 0),
    createdAt: pod.metadata.creationTimestamp ?? '',
    currentConfig: podChecksum === undefined || checksum === undefined ? undefined : podChecksum === checksum,
    ...(!ready && waiting ? { problem: waiting } : {}),
  };
}

/** The public URL: from the exposure read, else (until it is read) from our Ingress. */
function publicUrl(sources: StatusSources): string | undefined {
  if (sources.exposure) return sources.exposure.url;
  const ingress = sources.ingresses?.find((candidate) => isManagedByUs(candidate));
  return ingress ? ingressAddress(ingress).url : undefined;
}

/** Reads how the gateway is reached into `sources`, or a notice saying why it cannot. */
export async function readExposure(
  kube: KubeClient,
  sources: StatusSources,
  namespace: string,
): Promise<void> {
  await readInto(sources, 'exposure', 'read how the gateway is exposed', async () => {
    // Our Ingress, when the watch already holds it, is the answer (Ingresses come first): no list needed.
    const ingress = sources.ingresses?.find((candidate) => isManagedByUs(candidate));
    sources.exposure = ingress ? ingressAddress(ingress) : await readPublicAddress(kube, namespace);
  });
}

function warningEvents(
  events: EventObject[],
  location: GatewayLocation,
  ingressNames: string[],
): WarningEvent[] {
  const ours = (name: string) =>
    name.startsWith(location.deployment) || name === location.configMap || ingressNames.includes(name);
  const when = (event: EventObject) =>
    event.lastTimestamp ?? event.eventTime ?? (event.metadata.creationTimestamp as string | undefined) ?? '';
  return events
    .filter((event) => ours(event.involvedObject?.name ?? ''))
    .sort((a, b) => when(b).localeCompare(when(a)))
    .slice(0, EVENT_LIMIT)
    .map((event) => ({
      object: `${(event.involvedObject?.kind ?? 'object').toLowerCase()}/${event.involvedObject?.name ?? ''}`,
      reason: event.reason ?? '',
      message: (event.message ?? '').trim(),
      count: event.count ?? 1,
      lastSeen: when(event),
    }));
}

/** What status needs from one haproxy.cfg. */
interface ParsedConfig {
  cfg: string;
  namespace: string;
  routes: GatewayRoute[];
  checksum: string;
}

// The live view reads the same config every few seconds; parsing it again was most of each reading's garbage.
let lastParsed: ParsedConfig | undefined;

function parseConfig(cfg: string, namespace: string): ParsedConfig {
  if (lastParsed?.cfg !== cfg || lastParsed.namespace !== namespace) {
    lastParsed = { cfg, namespace, routes: listRoutes(cfg, { namespace }), checksum: configChecksum(cfg) };
  }
  return lastParsed;
}

function routeStatuses(sources: StatusSources, routes: GatewayRoute[]): RouteStatus[] {
  const readings = [...sources.stats.values()];
  return routes.map((route) => {
    const service = route.service;
    const services = service ? sources.services.get(service.namespace) : undefined;
    const endpoints = service ? sources.endpoints.get(service.namespace) : undefined;
    const serviceExists =
      service && services ? services.some((s) => s.metadata.name === service.name) : undefined;
    const ready = service
      ? endpoints
          ?.find((e) => e.metadata.name === service.name)
          ?.subsets?.reduce((total, subset) => total + (subset.addresses?.length ?? 0), 0)
      : undefined;
    const listener =
      service && listenerOfService(sources.listeners.get(service.namespace) ?? [], service.name);
    return {
      match: describeMatch(route.match),
      backendName: route.backend,
      backend: describeRouteTarget(route),
      service: service && { name: service.name, namespace: service.namespace, port: service.port },
      origin: route.origin,
      serviceExists,
      readyEndpoints: serviceExists === false ? 0 : endpoints ? (ready ?? 0) : undefined,
      stats: combineBackendStats(readings.flatMap((reading) => reading.get(route.backend) ?? [])),
      ...(listener ? { listener: listenerStatus(listener) } : {}),
    };
  });
}

function listenerStatus(listener: EventListenerObject): ListenerStatus {
  const { status, reason, message } = listenerReadiness(listener);
  return {
    name: listener.metadata.name,
    namespace: listener.metadata.namespace ?? '',
    ready: status,
    ...(reason ? { reason } : {}),
    ...(message ? { message } : {}),
  };
}

export interface StatusFrame {
  context: string;
  server: string;
  location: GatewayLocation;
}

/** The status as of `now`, from whatever sources have been read. Pure. */
export function buildGatewayStatus(frame: StatusFrame, sources: StatusSources, now: Date): GatewayStatus {
  // The config is parsed once per change: it is the largest thing status reads.
  const cfg = sources.configMap && safeConfig(sources.configMap, frame.location);
  const parsed = parseConfig(cfg ?? '', frame.location.namespace);
  const checksum = cfg === undefined ? undefined : parsed.checksum;
  return {
    context: frame.context,
    workspace: parseWorkspaceUrl(frame.server)?.path,
    namespace: frame.location.namespace,
    publicUrl: publicUrl(sources),
    exposure: sources.exposure,
    haproxyVersion: sources.version,
    pods: sources.pods.map((pod) => podStatus(pod, checksum)).sort((a, b) => a.name.localeCompare(b.name)),
    routes: routeStatuses(sources, parsed.routes),
    events: warningEvents(
      sources.events,
      frame.location,
      (sources.ingresses ?? []).map((i) => i.metadata.name),
    ),
    notices: [...sources.notices.values()],
    observedAt: now.toISOString(),
  };
}

/** The live haproxy.cfg; undefined when the ConfigMap lacks it (install restores it). */
function safeConfig(configMap: ConfigMapObject, location: GatewayLocation): string | undefined {
  try {
    return currentConfig(configMap, location);
  } catch {
    return undefined;
  }
}

/** The stats port of a gateway pod: the container port named "stats", else ours. */
const statsPort = (pod: StatusPod) =>
  pod.spec?.containers?.flatMap((container) => container.ports ?? []).find((port) => port.name === 'stats')
    ?.containerPort ?? GATEWAY_STATS_PORT;

/** HAProxy's stats from every Ready gateway pod, through the API server's pod proxy; the version once. */
export async function readStats(kube: KubeClient, sources: StatusSources, namespace: string): Promise<void> {
  const ready = sources.pods.filter(isPodReady);
  const stats = new Map<string, Map<string, BackendStats>>();
  const failures: string[] = [];
  await Promise.all(
    ready.map(async (pod) => {
      try {
        const csv = await kube.proxyGet(
          { name: pod.metadata.name, namespace },
          statsPort(pod),
          `${STATS_PATH};csv`,
        );
        stats.set(pod.metadata.name, parseStatsCsv(csv));
      } catch (error) {
        failures.push(noticeFor(`read HAProxy stats from pod ${pod.metadata.name}`, error));
      }
    }),
  );
  sources.stats = stats;
  if (failures.length > 0) sources.notices.set('stats', failures[0] ?? '');
  else sources.notices.delete('stats');
  const first = ready[0];
  if (sources.version === undefined && first && stats.has(first.metadata.name))
    sources.version = await readHaproxyVersion(kube, first, namespace).catch(() => undefined);
}

/** The HAProxy version a gateway pod runs (its build info metric), read through the pod proxy. */
export async function readHaproxyVersion(
  kube: KubeClient,
  pod: StatusPod,
  namespace: string,
): Promise<string | undefined> {
  const metrics = await kube.proxyGet({ name: pod.metadata.name, namespace }, statsPort(pod), METRICS_PATH);
  return parseBuildVersion(metrics);
}

/** Services and Endpoints are read in the namespaces the routes point into. */
export function routeNamespaces(sources: StatusSources, location: GatewayLocation): string[] {
  const cfg = (sources.configMap && safeConfig(sources.configMap, location)) ?? '';
  const { routes } = parseConfig(cfg, location.namespace);
  return [...new Set(routes.flatMap((route) => (route.service ? [route.service.namespace] : [])))].sort();
}

interface DeploymentObject extends KubeObject {
  spec?: { selector?: { matchLabels?: Record<string, string> } };
}

/** The gateway pods' label selector, from its Deployment. */
export async function gatewayPodSelector(
  kube: KubeClient,
  location: GatewayLocation,
): Promise<string | undefined> {
  const deployment = await kube.read<DeploymentObject>({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    name: location.deployment,
    namespace: location.namespace,
  });
  const labels = deployment?.spec?.selector?.matchLabels;
  return labels ? labelSelectorOf(labels) : undefined;
}

/** Reads one source into `sources`, turning a failure into its notice. */
async function readInto(
  sources: StatusSources,
  key: string,
  what: string,
  read: () => Promise<void>,
): Promise<void> {
  try {
    await read();
    sources.notices.delete(key);
  } catch (error) {
    sources.notices.set(key, noticeFor(what, error));
  }
}

/** One reading of everything, for `status` off a terminal and `-o json|yaml`. */
export async function readGatewayStatus(kube: KubeClient, location: GatewayLocation): Promise<GatewayStatus> {
  const { namespace } = location;
  const sources = emptySources();
  sources.configMap = await kube.read<ConfigMapObject>({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    name: location.configMap,
    namespace,
  });
  if (!sources.configMap) throw gatewayNotInstalled(namespace);
  const selector = await gatewayPodSelector(kube, location);
  await Promise.all([
    readInto(sources, 'pods', 'list the gateway pods', async () => {
      sources.pods = selector
        ? (await kube.listVersioned<StatusPod>('v1', 'Pod', { namespace, labelSelector: selector })).items
        : [];
      if (!selector) sources.notices.set('deployment', `deployment/${location.deployment} is missing`);
    }),
    readInto(sources, 'ingresses', 'list Ingresses', async () => {
      sources.ingresses = (
        await kube.listVersioned<IngressObject>('networking.k8s.io/v1', 'Ingress', { namespace })
      ).items;
    }),
    readExposure(kube, sources, namespace),
    readInto(sources, 'events', 'list events', async () => {
      sources.events = (
        await kube.listVersioned<EventObject>('v1', 'Event', { namespace, fieldSelector: 'type=Warning' })
      ).items;
    }),
    ...routeNamespaces(sources, location).map((routeNamespace) =>
      readInto(
        sources,
        `services/${routeNamespace}`,
        `list Services and Endpoints in ${routeNamespace}`,
        async () => {
          const [services, endpoints] = await Promise.all([
            kube.listVersioned('v1', 'Service', { namespace: routeNamespace }),
            kube.listVersioned<EndpointsObject>('v1', 'Endpoints', { namespace: routeNamespace }),
          ]);
          sources.services.set(routeNamespace, services.items);
          sources.endpoints.set(routeNamespace, endpoints.items);
        },
      ),
    ),
    ...routeNamespaces(sources, location).map((routeNamespace) =>
      readInto(
        sources,
        `listeners/${routeNamespace}`,
        `list EventListeners in ${routeNamespace}`,
        async () => {
          // None where Tekton Triggers is not installed: list answers [] for a kind the cluster does not serve.
          sources.listeners.set(
            routeNamespace,
            await kube.list<EventListenerObject>(TRIGGERS_API_VERSION, 'EventListener', {
              namespace: routeNamespace,
            }),
          );
        },
      ),
    ),
  ]);
  await readStats(kube, sources, namespace);
  return buildGatewayStatus(
    { context: kube.target.contextName, server: kube.target.server, location },
    sources,
    new Date(),
  );
}
