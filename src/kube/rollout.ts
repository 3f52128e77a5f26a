import { ExitCode, GatewayError } from '../errors.ts';
import type { KubeObject } from '../manifests/types.ts';
import { type KubeClient, limitsAfter } from './client.ts';
import { labelSelectorOf } from './resources.ts';

interface DeploymentLike extends KubeObject {
  metadata: KubeObject['metadata'] & { generation?: number; uid?: string };
  spec?: { replicas?: number; selector?: { matchLabels?: Record<string, string> } };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    readyReplicas?: number;
    availableReplicas?: number;
    conditions?: Array<{ type: string; status: string; reason?: string; message?: string }>;
  };
}

export interface PodLike extends KubeObject {
  status?: {
    phase?: string;
    conditions?: Array<{ type: string; status: string; reason?: string; message?: string }>;
    containerStatuses?: Array<{
      name: string;
      ready?: boolean;
      restartCount?: number;
      state?: ContainerState;
      lastState?: ContainerState;
    }>;
  };
}

interface ContainerState {
  waiting?: { reason?: string; message?: string };
  running?: { startedAt?: string };
  terminated?: { reason?: string; exitCode?: number };
}

/** A container of a new pod that exited or crash-loops: its rollout cannot succeed. */
export interface CrashedContainer {
  pod: string;
  container: string;
  /** What its status says, e.g. "exited with code 1 (Error)", "CrashLoopBackOff". */
  reason: string;
  /** Whether its output is the previous container's log: it was restarted and runs again. */
  previous: boolean;
}

const exited = (terminated: NonNullable<ContainerState['terminated']>) =>
  `exited with code ${terminated.exitCode ?? '?'}${terminated.reason ? ` (${terminated.reason})` : ''}`;

/**
 * The first container of `pods` that exited or crash-loops, from its status as the kubelet reports
 * it: terminated now, waiting in CrashLoopBackOff, terminated before (lastState), or restarted.
 */
export function crashedContainer(pods: PodLike[]): CrashedContainer | undefined {
  for (const pod of pods) {
    for (const container of pod.status?.containerStatuses ?? []) {
      const { state, lastState, restartCount = 0 } = container;
      const running = state?.running !== undefined;
      const reason = state?.terminated
        ? exited(state.terminated)
        : state?.waiting?.reason === 'CrashLoopBackOff'
          ? `CrashLoopBackOff${lastState?.terminated ? `, ${exited(lastState.terminated)}` : ''}`
          : lastState?.terminated
            ? exited(lastState.terminated)
            : restartCount > 0
              ? `restarted ${restartCount} times`
              : undefined;
      if (reason !== undefined)
        return { pod: pod.metadata.name, container: container.name, reason, previous: running };
    }
  }
  return undefined;
}

/** A new pod's container exited or crash-loops: the wait ended at once, naming it. */
export class PodCrashError extends GatewayError {
  constructor(
    readonly crashed: CrashedContainer,
    readonly deployment: { name: string; namespace: string },
  ) {
    super(`pod ${crashed.pod} of deployment ${deployment.namespace}/${deployment.name} crashed`, {
      why: `container ${crashed.container} ${crashed.reason}`,
      next: [
        `kubectl -n ${deployment.namespace} logs ${crashed.pod} -c ${crashed.container}${crashed.previous ? ' --previous' : ''}`,
      ],
      exitCode: ExitCode.clusterState,
    });
    this.name = 'PodCrashError';
  }
}

/** The pod's Ready condition is True. */
export const isPodReady = (pod: PodLike): boolean =>
  pod.status?.conditions?.some((condition) => condition.type === 'Ready' && condition.status === 'True') ??
  false;

/**
 * Ready and not being deleted: what an EndpointSlice calls ready, so new traffic goes to it. A pod
 * stays Ready while its preStop hook and graceful shutdown run, serving the config it started with.
 */
export const receivesTraffic = (pod: PodLike): boolean => isPodReady(pod) && !pod.metadata.deletionTimestamp;

export interface RolloutState {
  done: boolean;
  /** Rolled out as far as it will get: waiting longer will not help. */
  stuck: boolean;
  /** The pods cannot even be created (admission refused them, a quota is used up): what the server said. */
  refused?: string;
  message: string;
  ready: number;
  desired: number;
  /** Pods of older revisions still shutting down (only when the wait was asked to see them go). */
  draining?: number;
}

/** The rules `kubectl rollout status` applies to a Deployment. */
export function rolloutState(deployment: DeploymentLike): RolloutState {
  const desired = deployment.spec?.replicas ?? 1;
  const status = deployment.status ?? {};
  const ready = status.availableReplicas ?? 0;
  const updated = status.updatedReplicas ?? 0;
  const total = status.replicas ?? 0;
  const name = `deployment/${deployment.metadata.name}`;
  const base = { ready, desired, stuck: false, done: false };
  if ((status.observedGeneration ?? 0) < (deployment.metadata.generation ?? 1)) {
    return { ...base, message: `Waiting for ${name} spec update to be observed` };
  }
  // The ReplicaSet controller could not create the pods (Pod Security, a quota, a webhook): no wait helps.
  const failure = status.conditions?.find((c) => c.type === 'ReplicaFailure' && c.status === 'True');
  if (failure) {
    return {
      ...base,
      stuck: true,
      refused: failure.message ?? failure.reason ?? 'FailedCreate',
      message: `${name} cannot create its pods: ${failure.message ?? failure.reason ?? 'FailedCreate'}`,
    };
  }
  const progressing = status.conditions?.find((condition) => condition.type === 'Progressing');
  if (progressing?.reason === 'ProgressDeadlineExceeded') {
    return { ...base, stuck: true, message: `${name} exceeded its progress deadline` };
  }
  if (updated < desired) {
    return {
      ...base,
      message: `Waiting for ${name}: ${updated} of ${desired} new replicas have been updated`,
    };
  }
  if (total > updated) {
    return {
      ...base,
      message: `Waiting for ${name}: ${total - updated} old replicas are pending termination`,
    };
  }
  if (ready < updated) {
    return { ...base, message: `Waiting for ${name}: ${ready} of ${updated} updated replicas are available` };
  }
  return { ...base, done: true, message: `${name} rolled out: ${ready}/${desired} ready` };
}

/** Why the pods behind a deployment are not ready, one line per pod, from their own status. */
export function podProblems(pods: PodLike[]): string[] {
  const problems: string[] = [];
  for (const pod of pods) {
    const name = pod.metadata.name;
    for (const container of pod.status?.containerStatuses ?? []) {
      const waiting = container.state?.waiting;
      if (waiting?.reason)
        problems.push(`pod ${name}: ${waiting.reason}${waiting.message ? `: ${waiting.message}` : ''}`);
      else if (!container.ready) problems.push(`pod ${name}: container ${container.name} is not ready`);
    }
    const unschedulable = pod.status?.conditions?.find(
      (c) => c.type === 'PodScheduled' && c.status === 'False',
    );
    if (unschedulable)
      problems.push(
        `pod ${name}: ${unschedulable.reason ?? 'not scheduled'}: ${unschedulable.message ?? ''}`,
      );
  }
  return problems;
}

export interface WaitOptions {
  timeoutMs: number;
  onProgress: (state: RolloutState) => void;
  /** Between polls; the API server is asked at most this often. */
  intervalMs?: number;
  /**
   * Also wait, within the same deadline, until no pod of an older revision is left: a pod being
   * deleted still answers (its preStop hook, a graceful stop), with the old config, to whoever still
   * sends to it, such as an ingress controller that has not seen the endpoints change yet.
   */
  untilOldPodsGone?: boolean;
}

const REVISION = 'deployment.kubernetes.io/revision';
const TEMPLATE_HASH = 'pod-template-hash';

interface ReplicaSetLike extends KubeObject {
  metadata: KubeObject['metadata'] & { ownerReferences?: Array<{ uid?: string }> };
  spec?: { template?: { metadata?: { labels?: Record<string, string> } } };
}

/**
 * The pods of the Deployment's newest ReplicaSet (the one its revision names), once the controller has
 * seen the current spec: those the rollout waits for, whose crash ends it.
 */
async function newPods(kube: KubeClient, deployment: DeploymentLike, deadline: number): Promise<PodLike[]> {
  const limits = { timeoutMs: deadline - Date.now() };
  if (limits.timeoutMs <= 0) return [];
  const { namespace, annotations, uid } = deployment.metadata;
  const revision = annotations?.[REVISION];
  const labels = deployment.spec?.selector?.matchLabels ?? {};
  if (revision === undefined || Object.keys(labels).length === 0) return [];
  const labelSelector = Object.entries(labels)
    .map(([key, value]) => `${key}=${value}`)
    .join(',');
  const sets = await kube.list<ReplicaSetLike>('apps/v1', 'ReplicaSet', { namespace, labelSelector }, limits);
  const newest = sets.find(
    (set) =>
      set.metadata.annotations?.[REVISION] === revision &&
      set.metadata.ownerReferences?.some((owner) => owner.uid === uid),
  );
  const hash = newest?.metadata.labels?.[TEMPLATE_HASH];
  if (hash === undefined) return [];
  return kube.list<PodLike>(
    'v1',
    'Pod',
    { namespace, labelSelector: `${labelSelector},${TEMPLATE_HASH}=${hash}` },
    { timeoutMs: Math.max(1, deadline - Date.now()) },
  );
}

/** Waits until a deployment is fully rolled out, or explains from its pods why it is not. */
export async function waitForRollout(
  kube: KubeClient,
  ref: { name: string; namespace: string },
  options: WaitOptions,
): Promise<RolloutState> {
  const deadline = Date.now() + options.timeoutMs;
  const interval = options.intervalMs ?? 500;
  for (;;) {
    const deployment = await kube.read<DeploymentLike>({ apiVersion: 'apps/v1', kind: 'Deployment', ...ref });
    if (!deployment) {
      throw new GatewayError(`deployment ${ref.namespace}/${ref.name} disappeared while waiting for it`, {
        why: 'someone deleted it while it was rolling out',
        next: ['run the install again'],
        exitCode: ExitCode.clusterState,
      });
    }
    const state = rolloutState(deployment);
    if (state.done)
      return options.untilOldPodsGone ? drainOldPods(kube, deployment, state, options, deadline) : state;
    options.onProgress(state);
    // A new pod that exits will not get ready however long the wait: say so now (once the spec is seen).
    // Only a look: pods that cannot be read (not allowed, a slow server) leave the wait as it was.
    if ((deployment.status?.observedGeneration ?? 0) >= (deployment.metadata.generation ?? 1)) {
      const pods = await newPods(kube, deployment, deadline).catch(() => []);
      const crashed = crashedContainer(pods);
      if (crashed) throw new PodCrashError(crashed, ref);
    }
    if (state.stuck || Date.now() >= deadline)
      throw await rolloutFailure(kube, deployment, state, ref.namespace, deadline);
    await new Promise((resolve) =>
      setTimeout(resolve, Math.min(interval, Math.max(0, deadline - Date.now()))),
    );
  }
}

/**
 * After a rollout: waits until the pods of older revisions are gone, saying how many still shut
 * down; at the deadline it gives up waiting (the rollout itself is done) and `draining` says how many
 * were left. Pods that cannot be read leave it done as it was.
 */
async function drainOldPods(
  kube: KubeClient,
  deployment: DeploymentLike,
  done: RolloutState,
  options: WaitOptions,
  deadline: number,
): Promise<RolloutState> {
  for (;;) {
    const current = await newPods(kube, deployment, deadline).catch(() => undefined);
    const labels = deployment.spec?.selector?.matchLabels ?? {};
    const all = await kube
      .list<PodLike>('v1', 'Pod', {
        namespace: deployment.metadata.namespace,
        labelSelector: labelSelectorOf(labels),
      })
      .catch(() => undefined);
    if (!current || !all || current.length === 0) return done;
    const newNames = new Set(current.map((pod) => pod.metadata.name));
    const old = all.filter((pod) => !newNames.has(pod.metadata.name)).length;
    if (old === 0) return done;
    const name = `deployment/${deployment.metadata.name}`;
    if (Date.now() >= deadline) {
      return {
        ...done,
        draining: old,
        message: `${name} rolled out; ${old} old pod(s) were still shutting down`,
      };
    }
    options.onProgress({
      ...done,
      done: false,
      draining: old,
      message: `Waiting for ${name}: ${old} old pod(s) still shutting down (they answer with the old config until they stop)`,
    });
    await new Promise((resolve) =>
      setTimeout(resolve, Math.min(options.intervalMs ?? 500, Math.max(0, deadline - Date.now()))),
    );
  }
}

/** The error, with what the pods say when they can be read within a request timeout of the deadline. */
async function rolloutFailure(
  kube: KubeClient,
  deployment: DeploymentLike,
  state: RolloutState,
  namespace: string,
  deadline: number,
) {
  const labels = deployment.spec?.selector?.matchLabels ?? {};
  const selector = Object.entries(labels)
    .map(([key, value]) => `${key}=${value}`)
    .join(',');
  const name = deployment.metadata.name;
  if (state.refused !== undefined) {
    const podSecurity = state.refused.includes('PodSecurity');
    return new GatewayError(`the cluster refuses the pods of deployment ${namespace}/${name}`, {
      why: state.refused,
      next: [
        ...(podSecurity
          ? [
              `kubectl get namespace ${namespace} --show-labels   # the pod-security.kubernetes.io/enforce level`,
              `make the Deployment's pod template meet that level, or run kubectl trigger-gateway install to restore ours`,
            ]
          : []),
        `kubectl -n ${namespace} describe deployment ${name}`,
        `kubectl -n ${namespace} get events --field-selector reason=FailedCreate`,
      ],
      exitCode: ExitCode.clusterState,
    });
  }
  let problems: string[];
  try {
    const limits = limitsAfter(kube, deadline);
    if (!limits) throw new Error('no time was left to read them');
    problems = podProblems(
      await kube.list<PodLike>('v1', 'Pod', { namespace, labelSelector: selector }, limits),
    );
  } catch (error) {
    problems = [`its pods could not be read: ${error instanceof Error ? error.message : String(error)}`];
  }
  return new GatewayError(
    state.stuck ? state.message : `timed out waiting for deployment ${namespace}/${name} to roll out`,
    {
      why: [state.message, ...problems].join('; '),
      next: [
        `kubectl -n ${namespace} describe deployment ${name}`,
        `kubectl -n ${namespace} get events --sort-by=.lastTimestamp`,
        'wait longer with --timeout=10m, or skip waiting with --no-wait',
      ],
      exitCode: ExitCode.timeout,
    },
  );
}
