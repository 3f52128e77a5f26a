import { setTimeout as delay } from 'node:timers/promises';
import { ExitCode, GatewayError } from '../errors.ts';
import { type BoundExport, bindExport, type ExportRef } from '../kcp/bindings.ts';
import { requireKcp } from '../kcp/detect.ts';
import { workspaceUrl } from '../kcp/paths.ts';
import { switchWorkspace } from '../kcp/switch.ts';
import { clientFor } from '../kcp/workspace-object.ts';
import { type EnsuredWorkspace, ensureWorkspace } from '../kcp/workspaces.ts';
import type { KubeClient } from '../kube/client.ts';
import { PodCrashError, waitForRollout } from '../kube/rollout.ts';
import { GATEWAY_NAME } from '../haproxy/gateway-config.ts';
import {
  CONFIG_KEY,
  EXPOSE_OBJECT,
  loadBundledManifests,
  renderGatewayManifests,
} from '../manifests/render.ts';
import type { GatewayOptions, KubeObject } from '../manifests/types.ts';
import type { Progress } from '../ui/progress.ts';
import { BUILT_IN_DEFAULTS, readGatewayProtection, type RouteLimitValues } from '../haproxy/routes.ts';
import { checkServedApis } from './api-check.ts';
import {
  checkNewConfig,
  type ConfigCheck,
  planConfigCheck,
  podFiles,
  reportConfigCheck,
} from './config-check.ts';
import { findConfigMount } from './config-mount.ts';
import { crashedChange, type WrittenChange } from './rollback.ts';
import {
  checkGatewayAttachment,
  type ExposureReport,
  EXPOSURE_HANDOVER_MS,
  INGRESS_ADDRESS_WAIT_MS,
  otherExposures,
  removeExposures,
  waitForExposure,
  waitForIngressAddress,
} from './exposure.ts';
import { type IngressObject, ingressAddress, NOT_EXPOSED } from './exposure-model.ts';
import { isManagedByUs, type ObjectSummary, refOf, summarize } from './objects.ts';
import { findPodRanges } from './pod-ranges.ts';

export type InstallAction = 'created' | 'configured' | 'unchanged' | 'skipped' | 'removed';

export interface InstalledObject extends ObjectSummary {
  action: InstallAction;
  reason?: string;
}

export interface InstallResult {
  namespace: string;
  objects: InstalledObject[];
  /** The ConfigMap already held a haproxy.cfg (routes, hand edits), and it was kept as it is. */
  keptLiveConfig: boolean;
  rollout: Array<{ deployment: string; namespace: string; ready: number; desired: number }>;
  waited: boolean;
  /** kcp: the workspace installed into with --workspace, which the kubeconfig now points at. */
  workspace?: { path: string; type: string; action: 'created' | 'existed'; entered: boolean };
  /** kcp: the APIExports bound with --bind. */
  bindings?: BoundExport[];
  /** How the gateway is reached: the exposure object, its public URL, and its controller's verdict. */
  exposure: ExposureReport;
  /** Who the gateway believes about X-Forwarded-For, and the defaults of routes' limits, as installed. */
  protection: InstalledProtection;
  /** Which HAProxy checked a new or changed haproxy.cfg before it was applied; undefined when unchanged. */
  check?: ConfigCheck;
}

export interface InstalledProtection {
  trustedProxies: string[];
  /** Where the trusted proxies came from: --trusted-proxies, the live config, the Nodes' pod ranges, or nowhere. */
  trustedFrom: 'flag' | 'kept' | 'pod ranges' | 'none found';
  /** Why no pod range was found ('none found'). */
  why?: string;
  routeDefaults: RouteLimitValues;
}

export interface InstallRequest {
  options: GatewayOptions;
  wait: boolean;
  timeoutMs: number;
  /** Put the previous config and pod template back when the new gateway pods crash (false: --no-rollback). */
  rollback: boolean;
  /** kcp: install into this workspace (relative to the current one), created when missing. */
  workspace?: string | undefined;
  /** kcp: APIExports to bind before installing. */
  bind?: ExportRef[];
}

/** What `install --dry-run` prints: the objects as they would be applied to an empty cluster. */
export function renderInstall(options: GatewayOptions): KubeObject[] {
  return renderGatewayManifests(loadBundledManifests(), options);
}

type ConfigMapLike = KubeObject & { data?: Record<string, string> };
type DeploymentLike = KubeObject & { spec?: { template?: unknown } };

/**
 * The rendered haproxy.cfg checked by HAProxy (this machine's or the gateway pods', config-check.ts)
 * when it is new or differs from the live one; a config it refuses is never applied.
 */
async function checkRenderedConfig(
  kube: KubeClient,
  objects: KubeObject[],
  live: Array<KubeObject | undefined>,
  liveConfig: string | undefined,
  namespace: string,
): Promise<ConfigCheck | undefined> {
  const configMap = objects.find((object) => object.kind === 'ConfigMap') as ConfigMapLike | undefined;
  const deployment = objects.find((object) => object.kind === 'Deployment');
  const cfg = configMap?.data?.[CONFIG_KEY];
  if (!configMap || !deployment || cfg === undefined || cfg === liveConfig) return undefined;
  const data = configMap.data ?? {};
  const mount = findConfigMount(deployment, {
    name: configMap.metadata.name,
    namespace,
    keys: Object.keys(data),
  });
  const liveDeployment = live.find((object) => object?.kind === 'Deployment');
  const plan = await planConfigCheck(kube, namespace, liveDeployment, mount.container);
  const before = liveConfig === undefined ? undefined : podFiles(mount, data, liveConfig);
  return checkNewConfig(
    kube,
    plan,
    { before, after: podFiles(mount, data, cfg) },
    { change: 'this install', configMap: configMap.metadata.name },
  );
}

/** The haproxy.cfg in the cluster, from the live objects already read; only ours counts. */
function liveConfigOf(live: Array<KubeObject | undefined>): string | undefined {
  const configMap = live.find((object) => object?.kind === 'ConfigMap') as
    (KubeObject & { data?: Record<string, string> }) | undefined;
  return configMap && isManagedByUs(configMap) ? configMap.data?.[CONFIG_KEY] : undefined;
}

/**
 * Services before Deployments: gateway pods resolve their backends' Service names when they start,
 * and a name that does not exist yet is remembered as missing for a while (HAProxy's `hold nx`).
 */
const APPLY_ORDER = [
  'Namespace',
  'ServiceAccount',
  'ConfigMap',
  'Service',
  'PodDisruptionBudget',
  'Deployment',
  'Ingress',
  'HTTPRoute',
  'Route',
];

function applyRank(object: KubeObject): number {
  const rank = APPLY_ORDER.indexOf(object.kind);
  return rank < 0 ? APPLY_ORDER.length : rank;
}

/** A write failed after the dry run passed (a server fault, a race): say how far it got and how to finish. */
function stoppedHalfway(error: unknown, applied: number, total: number): unknown {
  if (!(error instanceof GatewayError)) return error;
  return new GatewayError(error.message, {
    why: `${error.why ? `${error.why}; ` : ''}install stopped after applying ${applied} of ${total} objects`,
    next: [
      'run the same install again: it applies what is missing and leaves the rest unchanged',
      ...error.next,
    ],
    exitCode: error.exitCode,
    cause: error,
  });
}

/**
 * Applies the bundled gateway with server-side apply: create, upgrade or no-op alike.
 * Nothing is written until every object has passed a server-side dry run, so a refusal
 * (permissions, validation, someone else's object in the way) leaves the cluster as it was.
 */
export async function installGateway(
  kube: KubeClient,
  request: InstallRequest,
  progress: Progress,
): Promise<InstallResult> {
  // One --timeout for all the waits together: the workspace, each binding, then the rollouts.
  const deadline = Date.now() + request.timeoutMs;
  const timeLeft = () => Math.max(0, deadline - Date.now());
  if (request.workspace === undefined && !request.bind?.length) return applyGateway(kube, request, progress);
  let workspace: EnsuredWorkspace | undefined;
  if (request.workspace !== undefined)
    workspace = await ensureWorkspace(kube, request.workspace, timeLeft(), progress);
  else await requireKcp(kube, 'install --bind');
  const target = workspace ? clientFor(kube, workspace.base, workspace.path) : kube;
  try {
    const bindings: BoundExport[] = [];
    for (const ref of request.bind ?? []) bindings.push(await bindExport(target, ref, timeLeft(), progress));
    const entered = workspace && {
      path: workspace.path,
      type: workspace.type,
      action: workspace.action,
      entered: true,
    };
    const onApplied = workspace
      ? async () => {
          // Once the gateway is there, the user's kubectl should look at it: enter the workspace.
          await switchWorkspace(kube.target, workspaceUrl(workspace.base, workspace.path));
          progress.done(`Switched to workspace ${workspace.path}`);
        }
      : undefined;
    const result = await applyGateway(target, { ...request, timeoutMs: timeLeft() }, progress, onApplied);
    return { ...result, ...(entered ? { workspace: entered } : {}), bindings };
  } finally {
    if (target !== kube) await target.close();
  }
}

/** What the rendered config says about clients and route defaults, and where its trusted proxies came from. */
function installedProtection(
  objects: KubeObject[],
  options: InstallRequest['options'],
  kept: boolean,
  why: string | undefined,
): InstalledProtection {
  const configMap = objects.find((object) => object.kind === 'ConfigMap') as
    (KubeObject & { data?: Record<string, string> }) | undefined;
  const written = readGatewayProtection(configMap?.data?.[CONFIG_KEY] ?? '');
  const trustedProxies = written?.trustedProxies ?? [];
  const trustedFrom =
    options.trustedProxies !== undefined
      ? 'flag'
      : kept
        ? 'kept'
        : trustedProxies.length > 0
          ? 'pod ranges'
          : 'none found';
  return {
    trustedProxies,
    trustedFrom,
    ...(trustedFrom === 'none found' && why ? { why } : {}),
    // A config without the client block gives its routes the built-in defaults (as route add does).
    routeDefaults: written?.defaults ?? { ...BUILT_IN_DEFAULTS },
  };
}

/** How the user would run this install again, for hints. */
const rerunCommand = (request: InstallRequest) =>
  `kubectl trigger-gateway install${request.workspace === undefined ? '' : ` --workspace ${request.workspace}`}`;

/** `kube` points at where the gateway goes (for --workspace, the workspace). */
async function applyGateway(
  kube: KubeClient,
  request: InstallRequest,
  progress: Progress,
  onApplied?: () => Promise<void>,
): Promise<InstallResult> {
  const { options } = request;
  const bundle = loadBundledManifests();
  progress.update('Checking that the cluster serves every kind the gateway needs');
  const rendered = renderGatewayManifests(bundle, options);
  await checkServedApis(kube, rendered, rerunCommand(request));
  const namespaceObject = rendered.find((object) => object.kind === 'Namespace');
  if (namespaceObject) await checkGatewayAttachment(kube, options, namespaceObject);
  progress.update(`Reading the current state of namespace ${options.namespace}`);
  // One read per object; the objects to apply only differ from the defaults by the live config.
  const live = await Promise.all(rendered.map((object) => kube.read(refOf(object))));
  const liveConfig = liveConfigOf(live);
  const kept = liveConfig === undefined ? undefined : readGatewayProtection(liveConfig);
  const podRanges =
    options.trustedProxies === undefined && kept === undefined ? await findPodRanges(kube) : undefined;
  const objects = renderGatewayManifests(bundle, options, {
    haproxyCfg: liveConfig,
    podRanges: podRanges?.cidrs,
  });
  const protection = installedProtection(objects, options, kept !== undefined, podRanges?.why);
  progress.update('Checking the new haproxy.cfg');
  const check = await checkRenderedConfig(kube, objects, live, liveConfig, options.namespace);
  if (check) reportConfigCheck(check, progress);

  const plan = objects.map((object, index) => ({ object, live: live[index] }));
  const foreign = plan.filter(
    ({ object, live }) => live && !isManagedByUs(live) && object.kind !== 'Namespace',
  );
  if (foreign.length > 0) {
    const names = foreign.map(({ object }) => summarize(object).id).join(', ');
    throw new GatewayError(
      `${names} already exist${foreign.length === 1 ? 's' : ''} and ${foreign.length === 1 ? 'was' : 'were'} not created by trigger-gateway`,
      {
        why: 'install only changes objects it created itself (label app.kubernetes.io/managed-by=kubectl-trigger-gateway)',
        next: [
          'install into another namespace: kubectl trigger-gateway install -n NAME',
          'or remove those objects first',
        ],
        exitCode: ExitCode.clusterState,
      },
    );
  }

  // A namespace that existed before us stays the user's: we neither label it nor ever delete it.
  const skipped = plan.filter(
    ({ object, live }) => object.kind === 'Namespace' && live && !isManagedByUs(live),
  );
  const toApply = plan
    .filter((entry) => !skipped.includes(entry))
    .sort((a, b) => applyRank(a.object) - applyRank(b.object));
  const newNamespaces = toApply.filter(({ object, live }) => object.kind === 'Namespace' && !live);

  progress.update('Checking every object with a server-side dry run');
  for (const { object } of newNamespaces) await kube.apply(object, { force: true });
  try {
    for (const { object } of toApply) {
      if (!newNamespaces.some((entry) => entry.object === object))
        await kube.apply(object, { force: true, dryRun: true });
    }
  } catch (error) {
    for (const { object } of newNamespaces) await kube.delete(refOf(object));
    throw error;
  }

  const results: InstalledObject[] = skipped.map(({ object }) => ({
    ...summarize(object),
    action: 'skipped',
    reason: 'it existed before install and is left as it is',
  }));
  const appliedObjects: Array<{ object: KubeObject; applied: KubeObject }> = [];
  for (const [index, { object, live }] of toApply.entries()) {
    let applied: KubeObject;
    try {
      applied = await kube.apply(object, { force: true });
    } catch (error) {
      throw stoppedHalfway(error, index, toApply.length);
    }
    const action: InstallAction = !live
      ? 'created'
      : applied.metadata.resourceVersion === live.metadata.resourceVersion
        ? 'unchanged'
        : 'configured';
    results.push({ ...summarize(object), action });
    appliedObjects.push({ object, applied });
    progress.update(`${summarize(object).id} ${action}`);
  }

  const exposureObject = appliedObjects.find(({ object }) => isExposure(object));
  const result: InstallResult = {
    namespace: options.namespace,
    objects: results,
    keptLiveConfig: liveConfig !== undefined,
    protection,
    rollout: [],
    waited: request.wait,
    exposure: exposureBeforeWait(options, exposureObject?.applied),
    ...(check ? { check } : {}),
  };
  // Only once the new exposure's controller has answered, and its proxy has had time to route by it:
  // traffic keeps flowing through a switch.
  const removeOldExposures = async (old: KubeObject[], handoverMs = 0) => {
    if (old.length === 0) return;
    if (handoverMs > 0) {
      progress.update(
        `Keeping ${old.map((object) => summarize(object).id).join(', ')} for ${handoverMs / 1000} s while the new one's proxy takes over`,
      );
      await delay(handoverMs);
    }
    for (const object of await removeExposures(kube, old)) {
      results.push({
        ...object,
        action: 'removed',
        reason: `install --expose ${options.expose} replaced it`,
      });
      progress.update(`${object.id} removed`);
    }
  };
  await onApplied?.();
  if (!request.wait) {
    await removeOldExposures(await otherExposures(kube, options.namespace, options.expose));
    return result;
  }
  // The gateway's and the echo backend's rollouts, then the exposure's controller, share the one --timeout.
  const rolloutDeadline = Date.now() + request.timeoutMs;
  for (const deployment of objects.filter((object) => object.kind === 'Deployment')) {
    const ref = {
      name: deployment.metadata.name,
      namespace: deployment.metadata.namespace ?? options.namespace,
    };
    let state: Awaited<ReturnType<typeof waitForRollout>>;
    try {
      state = await waitForRollout(kube, ref, {
        timeoutMs: Math.max(0, rolloutDeadline - Date.now()),
        onProgress: (current) => progress.update(current.message),
        untilOldPodsGone: true,
      });
    } catch (error) {
      const gateway = deployment.metadata.name === GATEWAY_NAME && ref.namespace === options.namespace;
      if (!(error instanceof PodCrashError) || !gateway) throw error;
      const written = writtenChange(options.namespace, plan, appliedObjects, liveConfig);
      throw await crashedChange(kube, error, written, request, progress);
    }
    progress.done(state.message);
    result.rollout.push({
      deployment: ref.name,
      namespace: ref.namespace,
      ready: state.ready,
      desired: state.desired,
    });
  }
  const timeLeft = () => Math.max(0, rolloutDeadline - Date.now());
  const oldExposures = await otherExposures(kube, options.namespace, options.expose);
  if (exposureObject && options.expose === 'ingress') {
    // An Ingress has no verdict to wait for: its controller's address, if it publishes one, is the sign.
    const switching = oldExposures.length > 0;
    result.exposure = await waitForIngressAddress(
      kube,
      exposureObject.applied,
      switching ? Math.min(INGRESS_ADDRESS_WAIT_MS, timeLeft()) : 0,
      progress,
    );
  } else if (exposureObject) {
    result.exposure = await waitForExposure(kube, exposureObject.applied, timeLeft(), progress);
    progress.done(
      result.exposure.url ? `Reachable at ${result.exposure.url}` : `${result.exposure.object} accepted`,
    );
  }
  await removeOldExposures(oldExposures, exposureObject ? Math.min(EXPOSURE_HANDOVER_MS, timeLeft()) : 0);
  return result;
}

/** What install wrote to the gateway's ConfigMap and Deployment, beside what was there before. */
function writtenChange(
  namespace: string,
  plan: Array<{ object: KubeObject; live: KubeObject | undefined }>,
  applied: Array<{ object: KubeObject; applied: KubeObject }>,
  liveConfig: string | undefined,
): WrittenChange {
  const find = (kind: string) => ({
    live: plan.find(({ object }) => object.kind === kind)?.live,
    applied: applied.find(({ object }) => object.kind === kind)?.applied,
  });
  const configMap = find('ConfigMap');
  const deployment = find('Deployment');
  const written = (configMap.applied as ConfigMapLike | undefined)?.data?.[CONFIG_KEY];
  const liveTemplate = (deployment.live as DeploymentLike | undefined)?.spec?.template;
  return {
    namespace,
    configMap:
      liveConfig === undefined || written === undefined || !configMap.applied
        ? undefined
        : { name: configMap.applied.metadata.name, before: liveConfig, written },
    deployment:
      liveTemplate === undefined || !deployment.applied
        ? undefined
        : {
            name: deployment.applied.metadata.name,
            before: liveTemplate,
            written: (deployment.applied as DeploymentLike).spec?.template,
          },
  };
}

const isExposure = (object: KubeObject) =>
  Object.values(EXPOSE_OBJECT).some(
    (type) => type.apiVersion === object.apiVersion && type.kind === object.kind,
  );

/** What install knows about the exposure right after applying it, before any controller has answered. */
function exposureBeforeWait(options: GatewayOptions, applied: KubeObject | undefined): ExposureReport {
  if (options.expose === 'none' || !applied) return NOT_EXPOSED;
  if (options.expose === 'ingress') return ingressAddress(applied as IngressObject);
  const verdict = options.expose === 'httproute' ? 'accepted the HTTPRoute' : 'admitted the Route';
  return {
    kind: options.expose,
    object: summarize(applied).id,
    routable: false,
    note: `not waited for: check that its controller ${verdict} with kubectl trigger-gateway status`,
  };
}
