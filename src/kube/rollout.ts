import { ExitCode, GatewayError } from '../errors.ts';
import type { KubeObject } from '../manifests/types.ts';
import { type KubeClient, limitsAfter } from './client.ts';

interface DeploymentLike extends KubeObject {
  metadata: KubeObject['metadata'] & { generation?: number };
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
      state?: {
        waiting?: { reason?: string; message?: string };
        terminated?: { reason?: string; exitCode?: number };
      };
    }>;
  };
}

/** The pod's Ready condition is True: it receives traffic. */
export const isPodReady = (pod: PodLike): boolean =>
  pod.status?.conditions?.some((condition) => condition.type === 'Ready' && condition.status === 'True') ??
  false;

export interface RolloutState {
  done: boolean;
  /** Rolled out as far as it will get: waiting longer will not help. */
  stuck: boolean;
  /** The pods cannot even be created (admission refused them, a quota is used up): what the server said. */
  refused?: string;
  message: string;
  ready: number;
  desired: number;
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
    if (state.done) return state;
    options.onProgress(state);
    if (state.stuck || Date.now() >= deadline)
      throw await rolloutFailure(kube, deployment, state, ref.namespace, deadline);
    await new Promise((resolve) =>
      setTimeout(resolve, Math.min(interval, Math.max(0, deadline - Date.now()))),
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
