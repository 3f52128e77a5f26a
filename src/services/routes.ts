import { ExitCode, GatewayError } from '../errors.ts';
import { configCapacity, isTooLongMessage } from '../haproxy/capacity.ts';
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
import { PodCrashError, waitForRollout } from '../kube/rollout.ts';
import { CONFIG_CHECKSUM_ANNOTATION, CONFIG_KEY, loadBundledManifests } from '../manifests/render.ts';
import type { KubeObject } from '../manifests/types.ts';
import type { Progress } from '../ui/progress.ts';
import {
  type CheckPlan,
  checkNewConfig,
  type ConfigCheck,
  planConfigCheck,
  podFiles,
  reportConfigCheck,
} from './config-check.ts';
import { findConfigMount } from './config-mount.ts';
import { type GatewayLocation, gatewayNotInstalled } from './gateway.ts';
import { crashedChange, type WrittenChange } from './rollback.ts';

export interface RouteChangeOptions {
  dryRun: boolean;
  wait: boolean;
  timeoutMs: number;
  /** Put the previous config back when the new pods crash on it (false: --no-rollback). */
  rollback: boolean;
}

export interface RouteChangeResult {
  namespace: string;
  change: AddOutcome | 'removed';
  route: GatewayRoute;
  /** Unified diff of haproxy.cfg; empty when nothing changed. */
  diff: string;
  dryRun: boolean;
  /** Which HAProxy checked the new config before it was written (besides our parser), or why none did. */
  check: ConfigCheck | undefined;
  /** Whether the route's Service exists; undefined when the route names no Service. */
  serviceExists: boolean | undefined;
  /** `draining`: pods of the old config still shutting down when --timeout ran out. */
  rollout: { ready: number; desired: number; draining?: number } | undefined;
  waited: boolean;
}

interface ConfigChange {
  cfg: string;
  change: AddOutcome | 'removed';
  route: GatewayRoute;
}

/**
 * The API server's 422 for a haproxy.cfg over the ConfigMap limit, with what the user can do: how many
 * routes the gateway holds, about how many fit, and the ways out. Any other error comes back as it is.
 */
export function explainConfigTooLarge(
  error: unknown,
  change: { live: string; wanted: string },
  namespace: string,
): unknown {
  const status = apiStatusOf(error);
  if (status?.code !== 422 || !isTooLongMessage(status.message)) return error;
  const capacity = configCapacity(change.live, change.wanted, listRoutes(change.live, { namespace }).length);
  const count = (n: number) => n.toLocaleString('en-US');
  return new GatewayError('the new haproxy.cfg does not fit in its ConfigMap; nothing was written', {
    why:
      `the API server refuses ConfigMaps over 1 MiB (${status.message}); the gateway holds ` +
      `${count(capacity.routes)} routes in ${count(capacity.bytes)} bytes of haproxy.cfg and this change adds ` +
      `${count(capacity.bytesPerRoute)} bytes, so about ${count(capacity.routesThatFit)} routes like it fit in one gateway`,
    next: [
      `remove routes no longer used: kubectl trigger-gateway route list -n ${namespace}, then route remove`,
      'send several repositories to one EventListener (its triggers tell them apart) instead of a route each',
      'put further routes in a second gateway: kubectl trigger-gateway install -n trigger-gateway-2',
    ],
    exitCode: ExitCode.clusterState,
    cause: error,
  });
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
  let check: ConfigCheck | undefined;
  let plan: CheckPlan | undefined;
  let diff = '';
  let attempted = { live: '', wanted: '' };
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
      checkGatewayConfig(change.cfg, { namespace: location.namespace, configPath: mount.configPath });
      plan ??= await planConfigCheck(kube, location.namespace, deployment, mount.container);
      const files = { before: podFiles(mount, data, before), after: podFiles(mount, data, change.cfg) };
      check = await checkNewConfig(kube, plan, files, {
        change: 'this route change',
        configMap: location.configMap,
      });
      reportConfigCheck(check, progress);
      attempted = { live: before, wanted: change.cfg };
      return { data: { ...configMap.data, [CONFIG_KEY]: change.cfg }, result: change };
    },
    { notFound: () => gatewayNotInstalled(location.namespace), dryRun: options.dryRun },
  ).catch((error: unknown) => {
    throw explainConfigTooLarge(error, attempted, location.namespace);
  });
  const { change, route } = outcome.result;
  const result: RouteChangeResult = {
    namespace: location.namespace,
    change,
    route,
    diff,
    dryRun: options.dryRun,
    check,
    serviceExists: change === 'removed' ? undefined : await serviceExists(kube, route),
    rollout: undefined,
    waited: false,
  };
  if (!outcome.written) return result;
  progress.done(`configmap/${location.configMap} updated`);
  const templateBefore = await podTemplate(kube, location);
  if (!(await syncChecksum(kube, location))) {
    progress.warn(`deployment/${location.deployment} is missing: the config is saved, but no pods run it`);
    return result;
  }
  if (!options.wait) return result;
  const written: WrittenChange = {
    namespace: location.namespace,
    configMap: { name: location.configMap, before: attempted.live, written: attempted.wanted },
    deployment:
      templateBefore === undefined
        ? undefined
        : { name: location.deployment, before: templateBefore, written: await podTemplate(kube, location) },
  };
  try {
    const state = await waitForRollout(
      kube,
      { name: location.deployment, namespace: location.namespace },
      {
        timeoutMs: options.timeoutMs,
        onProgress: (current) => progress.update(current.message),
        untilOldPodsGone: true,
      },
    );
    progress.done(state.message);
    const rollout = {
      ready: state.ready,
      desired: state.desired,
      ...(state.draining ? { draining: state.draining } : {}),
    };
    return { ...result, rollout, waited: true };
  } catch (error) {
    if (!(error instanceof PodCrashError)) throw error;
    throw await crashedChange(kube, error, written, options, progress);
  }
}

/** The gateway Deployment's pod template as the server holds it; undefined without the Deployment. */
async function podTemplate(kube: KubeClient, location: GatewayLocation): Promise<unknown> {
  const deployment = await kube.read<KubeObject & { spec?: { template?: unknown } }>({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    name: location.deployment,
    namespace: location.namespace,
  });
  return deployment?.spec?.template;
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
