/**
 * Putting a change back when the gateway pods refuse it, as `helm --atomic` and `kubectl rollout
 * undo` do: a new pod crashed (rollout.ts ends the wait at once), so its HAProxy alerts are read from
 * its log, the previous haproxy.cfg goes back into the ConfigMap and the previous pod template into
 * the Deployment, each only while it still holds what this command wrote (read-modify-write at its
 * resourceVersion: someone else's later change stays), and the old pods are waited for.
 * `--no-rollback` keeps the failed state to debug it.
 */
import { isDeepStrictEqual } from 'node:util';
import { ExitCode, type ExitCodeValue, GatewayError } from '../errors.ts';
import type { KubeClient } from '../kube/client.ts';
import { ConflictError } from '../kube/client.ts';
import { apiStatusOf } from '../kube/errors.ts';
import { updateConfigMapWithRetry } from '../kube/read-modify-write.ts';
import { type PodCrashError, waitForRollout } from '../kube/rollout.ts';
import { CONFIG_KEY } from '../manifests/render.ts';
import type { KubeObject } from '../manifests/types.ts';
import type { Progress } from '../ui/progress.ts';

/** What a command wrote, beside what was there before it: enough to put it back. */
export interface WrittenChange {
  namespace: string;
  /** haproxy.cfg before and as written; undefined when the change made the ConfigMap (a first install). */
  configMap: { name: string; before: string; written: string } | undefined;
  /** The pod template before and as the server stored it; undefined when the Deployment is new. */
  deployment: { name: string; before: unknown; written: unknown } | undefined;
}

interface TemplatedDeployment extends KubeObject {
  spec?: { template?: unknown };
}

const LOG_LINES = 200;
const SHOWN_ALERTS = 10;

/** HAProxy's [ALERT] lines in the crashed container's log (its previous run when it runs again). */
async function crashAlerts(kube: KubeClient, crash: PodCrashError): Promise<string[]> {
  const { pod, container, previous } = crash.crashed;
  const read = async (fromPrevious: boolean) => {
    const signal = AbortSignal.timeout(Math.max(1000, kube.target.requestTimeoutMs || 30_000));
    const lines: string[] = [];
    const log = await kube.openPodLog(
      { name: pod, namespace: crash.deployment.namespace },
      { container, follow: false, tailLines: LOG_LINES, previous: fromPrevious },
      signal,
    );
    for await (const line of log) if (line.includes('[ALERT]')) lines.push(line.trim());
    return lines;
  };
  try {
    const alerts = await read(previous);
    return alerts.length > 0 || previous ? alerts : await read(true).catch(() => alerts);
  } catch {
    return [];
  }
}

/** Puts haproxy.cfg back, if the ConfigMap still holds what was written; says what it did. */
async function restoreConfig(kube: KubeClient, change: WrittenChange): Promise<string> {
  const written = change.configMap;
  if (!written) return 'no previous haproxy.cfg (a first install)';
  const outcome = await updateConfigMapWithRetry(
    kube,
    { name: written.name, namespace: change.namespace },
    (configMap) =>
      configMap.data?.[CONFIG_KEY] === written.written
        ? { data: { ...configMap.data, [CONFIG_KEY]: written.before }, result: true }
        : { unchanged: true, result: false },
    {
      notFound: () =>
        new GatewayError(`configmap/${written.name} disappeared while being rolled back`, {
          exitCode: ExitCode.clusterState,
        }),
    },
  );
  return outcome.result
    ? `configmap/${written.name}: haproxy.cfg as it was`
    : `configmap/${written.name} left as it is: someone changed its haproxy.cfg since`;
}

/** Puts the previous pod template back, if the Deployment still has the one written. */
async function restoreTemplate(kube: KubeClient, change: WrittenChange): Promise<string> {
  const written = change.deployment;
  if (!written) return 'the Deployment is new: no previous pod template';
  const ref = { apiVersion: 'apps/v1', kind: 'Deployment', name: written.name, namespace: change.namespace };
  for (;;) {
    const live = await kube.read<TemplatedDeployment>(ref);
    if (!live) return `deployment/${written.name} is gone`;
    if (isDeepStrictEqual(live.spec?.template, written.before))
      return `deployment/${written.name}: its previous pod template`;
    if (!isDeepStrictEqual(live.spec?.template, written.written))
      return `deployment/${written.name} left as it is: someone changed its pod template since`;
    try {
      await kube.replace({ ...live, spec: { ...live.spec, template: written.before } });
      return `deployment/${written.name}: its previous pod template`;
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
    }
  }
}

export interface CrashOptions {
  rollback: boolean;
  /** How long the old pods may take to serve again. */
  timeoutMs: number;
}

/**
 * The error a command ends with when a new pod crashed on its change: the pod's HAProxy alerts, and
 * either what was put back (exit 9) or, with --no-rollback, that the failed state was kept (exit 7).
 */
export async function crashedChange(
  kube: KubeClient,
  crash: PodCrashError,
  change: WrittenChange,
  options: CrashOptions,
  progress: Progress,
): Promise<GatewayError> {
  const alerts = await crashAlerts(kube, crash);
  const { pod, container, reason } = crash.crashed;
  const said = alerts.length > 0 ? `:\n      ${alerts.slice(0, SHOWN_ALERTS).join('\n      ')}` : '';
  const why = `pod ${pod}, container ${container}, ${reason}${said}`;
  const { namespace } = change;
  const deployment = crash.deployment.name;
  if (!options.rollback) {
    return new GatewayError('the new gateway pods crash on this change; kept as it is (--no-rollback)', {
      why,
      next: [
        `kubectl -n ${namespace} logs ${pod} -c ${container}`,
        `put it back: kubectl -n ${namespace} rollout undo deployment/${deployment}, and restore haproxy.cfg (kubectl -n ${namespace} edit configmap)`,
      ],
      exitCode: ExitCode.clusterState,
      cause: crash,
    });
  }
  if (!change.configMap && !change.deployment) {
    return new GatewayError('the new gateway pods crash; a first install has nothing to go back to', {
      why,
      next: [
        `kubectl -n ${namespace} logs ${pod} -c ${container}`,
        `remove it: kubectl trigger-gateway uninstall -n ${namespace}`,
      ],
      exitCode: ExitCode.clusterState,
      cause: crash,
    });
  }
  progress.warn(`pod ${pod} crashed on the new config; rolling back`);
  const restored = [await restoreConfig(kube, change), await restoreTemplate(kube, change)];
  progress.done(`Restored ${restored.join('; ')}`);
  let serving: string;
  let exitCode: ExitCodeValue = ExitCode.rolledBack;
  try {
    const state = await waitForRollout(
      kube,
      { name: deployment, namespace },
      { timeoutMs: options.timeoutMs, onProgress: (current) => progress.update(current.message) },
    );
    serving = `${state.ready}/${state.desired} pods serve the previous config`;
    progress.done(state.message);
  } catch (error) {
    if (apiStatusOf(error) || !(error instanceof GatewayError)) throw error;
    // Put back, but not serving again within --timeout: the wait's own exit code (8, or 7 for a crash).
    serving = `the previous pods do not serve yet: ${error.message}${error.why ? ` (${error.why})` : ''}`;
    exitCode = error.exitCode;
  }
  return new GatewayError('the gateway pods refused the new haproxy.cfg; the change was rolled back', {
    why: `${why}\n  restored: ${restored.join('; ')}; ${serving}`,
    next: [
      'see the change without writing it: add --dry-run',
      'keep the failed state to debug it: add --no-rollback',
    ],
    exitCode,
    cause: crash,
  });
}
