import { ExitCode, GatewayError } from '../errors.ts';
import { configChecksum } from '../haproxy/gateway-config.ts';
import {
  type AddOutcome,
  addRoute,
  checkGatewayConfig,
  describeMatch,
  type GatewayRoute,
  listRoutes,
  removeRoute,
  sameMatch,
  type RouteMatch,
  type RouteSpec,
  unifiedDiff,
} from '../haproxy/routes.ts';
import type { KubeClient } from '../kube/client.ts';
import { apiStatusOf } from '../kube/errors.ts';
import { type ConfigMapObject, updateConfigMapWithRetry } from '../kube/read-modify-write.ts';
import { waitForRollout } from '../kube/rollout.ts';
import { CONFIG_CHECKSUM_ANNOTATION, CONFIG_KEY, loadBundledManifests } from '../manifests/render.ts';
import type { KubeObject } from '../manifests/types.ts';
import type { Progress } from '../ui/progress.ts';
import { type ConfigMount, findConfigMount } from './config-mount.ts';
import { checkWithHaproxy, type PodConfigFiles } from './haproxy-check.ts';
import { type GatewayLocation, gatewayNotInstalled } from './gateway.ts';

export interface RouteChangeOptions {
  dryRun: boolean;
  wait: boolean;
  timeoutMs: number;
}

export interface RouteChangeResult {
  namespace: string;
  change: AddOutcome | 'removed';
  route: GatewayRoute;
  /** Unified diff of haproxy.cfg; empty when nothing changed. */
  diff: string;
  dryRun: boolean;
  /** What validated the new config before it was written. */
  checkedWith: string[];
  /** Whether the route's Service exists; undefined when the route names no Service. */
  serviceExists: boolean | undefined;
  rollout: { ready: number; desired: number } | undefined;
  waited: boolean;
}

interface ConfigChange {
  cfg: string;
  change: AddOutcome | 'removed';
  route: GatewayRoute;
}

export function currentConfig(configMap: ConfigMapObject, location: GatewayLocation): string {
  const cfg = configMap.data?.[CONFIG_KEY];
  if (cfg === undefined) {
    throw new GatewayError(`configmap/${location.configMap} has no ${CONFIG_KEY} key`, {
      why: 'the gateway reads its whole configuration from that key',
      next: [`kubectl trigger-gateway install -n ${location.namespace} (it restores the bundled config)`],
      exitCode: ExitCode.clusterState,
    });
  }
  return cfg;
}

/**
 * The Deployment whose pods read the config: the live one; for our own gateway without one, the
 * bundled Deployment install would create again.
 */
async function gatewayDeployment(kube: KubeClient, location: GatewayLocation): Promise<KubeObject> {
  const live = await kube.read({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    name: location.deployment,
    namespace: location.namespace,
  });
  if (live) return live;
  const bundled = loadBundledManifests().gateway.find((object) => object.kind === 'Deployment');
  if (!location.handMade && bundled) return bundled;
  throw new GatewayError(`deployment/${location.deployment} not found in namespace ${location.namespace}`, {
    why: `the route map is read from where the gateway pods read ${CONFIG_KEY}, which only their Deployment says; nothing was written`,
    next: [`kubectl -n ${location.namespace} get deployments`],
    exitCode: ExitCode.clusterState,
  });
}

/** The files the gateway pods see, `cfg` as their haproxy.cfg and the ConfigMap's other keys as they are. */
function podFiles(mount: ConfigMount, data: Record<string, string>, cfg: string): PodConfigFiles {
  const files = new Map(
    mount.files.map((file) => [file.path, file.key === CONFIG_KEY ? cfg : (data[file.key] ?? '')]),
  );
  return { configPath: mount.configPath, mountPaths: mount.mountPaths, files };
}

/**
 * Our parser's and HAProxy's verdict on a config we are about to write, each seeing it as the gateway
 * pods will (the same paths, the same files): a config that would not load there never leaves here.
 */
async function validate(
  before: string,
  after: string,
  location: GatewayLocation,
  mount: ConfigMount,
  data: Record<string, string>,
): Promise<string[]> {
  checkGatewayConfig(after, { namespace: location.namespace, configPath: mount.configPath });
  const verdict = await checkWithHaproxy(podFiles(mount, data, after));
  if (!verdict.binary) return ['trigger-gateway parser'];
  if (!verdict.valid) {
    const already = !(await checkWithHaproxy(podFiles(mount, data, before), verdict.binary)).valid;
    throw new GatewayError(
      already
        ? 'HAProxy already rejects the live haproxy.cfg, so no route change can be checked'
        : 'HAProxy would reject the config this change produces; nothing was written',
      {
        why: verdict.alerts.slice(0, 5).join('; ') || 'haproxy -c failed',
        next: [
          `kubectl -n ${location.namespace} edit configmap ${location.configMap}`,
          'see the change without writing it: add --dry-run',
        ],
        exitCode: ExitCode.clusterState,
      },
    );
  }
  return ['trigger-gateway parser', `${verdict.binary} -c`];
}

/**
 * The pods read the config from a mounted ConfigMap; the checksum on the pod template is what makes
 * them roll. Several writers may race, so after patching, check again until both agree.
 */
async function syncChecksum(kube: KubeClient, location: GatewayLocation): Promise<boolean> {
  const deploymentRef = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    name: location.deployment,
    namespace: location.namespace,
  };
  const configMapRef = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    name: location.configMap,
    namespace: location.namespace,
  };
  for (let round = 0; round < 10; round++) {
    const configMap = await kube.read<ConfigMapObject>(configMapRef);
    const deployment = await kube.read<
      KubeObject & { spec?: { template?: { metadata?: { annotations?: Record<string, string> } } } }
    >(deploymentRef);
    if (!configMap || !deployment) return false;
    const wanted = configChecksum(configMap.data?.[CONFIG_KEY] ?? '');
    if (deployment.spec?.template?.metadata?.annotations?.[CONFIG_CHECKSUM_ANNOTATION] === wanted)
      return true;
    await kube.mergePatch(deploymentRef, {
      spec: { template: { metadata: { annotations: { [CONFIG_CHECKSUM_ANNOTATION]: wanted } } } },
    });
  }
  return true;
}

async function serviceExists(kube: KubeClient, route: GatewayRoute): Promise<boolean | undefined> {
  if (!route.service) return undefined;
  const service = await kube.read({
    apiVersion: 'v1',
    kind: 'Service',
    name: route.service.name,
    namespace: route.service.namespace,
  });
  return service !== undefined;
}

async function changeConfig(
  kube: KubeClient,
  location: GatewayLocation,
  edit: (cfg: string, configPath: string) => ConfigChange,
  options: RouteChangeOptions,
  progress: Progress,
): Promise<RouteChangeResult> {
  progress.update(
    `Reading deployment/${location.deployment} and configmap/${location.configMap} in ${location.namespace}`,
  );
  const deployment = await gatewayDeployment(kube, location);
  let checkedWith: string[] = [];
  let diff = '';
  const outcome = await updateConfigMapWithRetry(
    kube,
    { name: location.configMap, namespace: location.namespace },
    async (configMap) => {
      const before = currentConfig(configMap, location);
      const data = configMap.data ?? {};
      const mount = findConfigMount(deployment, {
        name: location.configMap,
        namespace: location.namespace,
        keys: Object.keys(data),
      });
      const change = edit(before, mount.configPath);
      diff = unifiedDiff(before, change.cfg, CONFIG_KEY);
      if (change.cfg === before) return { unchanged: true, result: change };
      progress.update('Checking the new haproxy.cfg');
      checkedWith = await validate(before, change.cfg, location, mount, data);
      return { data: { ...configMap.data, [CONFIG_KEY]: change.cfg }, result: change };
    },
    { notFound: () => gatewayNotInstalled(location.namespace), dryRun: options.dryRun },
  );
  const { change, route } = outcome.result;
  const result: RouteChangeResult = {
    namespace: location.namespace,
    change,
    route,
    diff,
    dryRun: options.dryRun,
    checkedWith,
    serviceExists: change === 'removed' ? undefined : await serviceExists(kube, route),
    rollout: undefined,
    waited: false,
  };
  if (!outcome.written) return result;
  progress.done(`configmap/${location.configMap} updated`);
  if (!(await syncChecksum(kube, location))) {
    progress.warn(`deployment/${location.deployment} is missing: the config is saved, but no pods run it`);
    return result;
  }
  if (!options.wait) return result;
  const state = await waitForRollout(
    kube,
    { name: location.deployment, namespace: location.namespace },
    { timeoutMs: options.timeoutMs, onProgress: (current) => progress.update(current.message) },
  );
  progress.done(state.message);
  return { ...result, rollout: { ready: state.ready, desired: state.desired }, waited: true };
}

export function addGatewayRoute(
  kube: KubeClient,
  location: GatewayLocation,
  spec: RouteSpec,
  overwrite: boolean,
  options: RouteChangeOptions,
  progress: Progress,
): Promise<RouteChangeResult> {
  return changeConfig(
    kube,
    location,
    (cfg, configPath) => {
      const added = addRoute(cfg, spec, { overwrite, namespace: location.namespace, configPath });
      const route = listRoutes(added.cfg, { namespace: location.namespace }).find((candidate) =>
        sameMatch(candidate.match, spec.match),
      );
      if (!route) throw new Error(`the route for ${describeMatch(spec.match)} is missing after adding it`);
      return { cfg: added.cfg, change: added.outcome, route };
    },
    options,
    progress,
  );
}

export function removeGatewayRoute(
  kube: KubeClient,
  location: GatewayLocation,
  match: RouteMatch,
  options: RouteChangeOptions,
  progress: Progress,
): Promise<RouteChangeResult> {
  return changeConfig(
    kube,
    location,
    (cfg, configPath) => {
      const removed = removeRoute(cfg, match, { namespace: location.namespace, configPath });
      return { cfg: removed.cfg, change: 'removed', route: removed.removed };
    },
    options,
    progress,
  );
}

export interface ListedRoute extends GatewayRoute {
  serviceExists: boolean | undefined;
}

/** The gateway's live haproxy.cfg, read from its ConfigMap. */
export async function readLiveConfig(kube: KubeClient, location: GatewayLocation): Promise<string> {
  const configMap = await kube.read<ConfigMapObject>({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    name: location.configMap,
    namespace: location.namespace,
  });
  if (!configMap) throw gatewayNotInstalled(location.namespace);
  return currentConfig(configMap, location);
}

export async function listGatewayRoutes(kube: KubeClient, location: GatewayLocation): Promise<ListedRoute[]> {
  const routes = listRoutes(await readLiveConfig(kube, location), { namespace: location.namespace });
  // One list per namespace the routes point into, not one read per route: gateways hold hundreds.
  const namespaces = [
    ...new Set(routes.flatMap((route) => (route.service ? [route.service.namespace] : []))),
  ];
  const existing = new Set<string>();
  // A user whose rights end at the gateway's namespace still gets the routes; what may not be looked at is unknown.
  const unreadable = new Set<string>();
  await Promise.all(
    namespaces.map(async (namespace) => {
      try {
        for (const service of await kube.list('v1', 'Service', { namespace }))
          existing.add(`${namespace}/${service.metadata.name}`);
      } catch (error) {
        if (apiStatusOf(error)?.code !== 403) throw error;
        unreadable.add(namespace);
      }
    }),
  );
  return routes.map((route) => ({
    ...route,
    serviceExists:
      route.service && !unreadable.has(route.service.namespace)
        ? existing.has(`${route.service.namespace}/${route.service.name}`)
        : undefined,
  }));
}
