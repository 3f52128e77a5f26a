/**
 * Which HAProxy checks a new haproxy.cfg before it is written, and its verdict. This machine's, when
 * it has one of the same major.minor as the gateway pods run (or the pods' cannot be told); else the
 * pods' own, by exec into a running gateway pod with the config on stdin (`haproxy -c -f
 * /dev/stdin`); else this machine's of another version; else none, and the result says why. A config
 * the chosen HAProxy refuses is never written.
 *
 * What the pod's check cannot see: the route map is read from the path the pods load haproxy.cfg
 * from, and that file in the pod is still the live config, so the check reads the live config's
 * route map, not the new one's. The map's lines are checked by our parser instead (a map line HAProxy
 * would refuse cannot be written), and HAProxy reads any map file without failing on its entries.
 */
import { ExitCode, GatewayError } from '../errors.ts';
import { apiStatusOf } from '../kube/errors.ts';
import { EXEC_V4, execInPod, StdinNotClosableError } from '../kube/exec.ts';
import type { KubeClient } from '../kube/client.ts';
import { isPodReady } from '../kube/rollout.ts';
import { labelSelectorOf } from '../kube/resources.ts';
import { CONFIG_KEY } from '../manifests/render.ts';
import type { KubeObject } from '../manifests/types.ts';
import type { Progress } from '../ui/progress.ts';
import type { ConfigMount } from './config-mount.ts';
import {
  alertLines,
  checkWithHaproxy,
  configForCheck,
  findHaproxyBinary,
  localHaproxyVersion,
  majorMinor,
  type PodConfigFiles,
} from './haproxy-check.ts';
import { readHaproxyVersion, type StatusPod } from './status.ts';

/** Who checked a new config with HAProxy, and why not another. */
export interface ConfigCheck {
  by: 'local' | 'pod' | 'none';
  /** The major.minor of the HAProxy that checked it. */
  version?: string;
  /** The local binary, or the gateway pod, that checked it. */
  binary?: string;
  pod?: string;
  /** Why the others did not (another version, none here, exec not allowed), and what was unknown. */
  notes: string[];
}

/** Where a check can run, found once per command. */
export interface CheckPlan {
  namespace: string;
  local: { binary: string; version: string | undefined } | undefined;
  pod: { name: string; namespace: string; container: string; version: string | undefined } | undefined;
  notes: string[];
}

interface DeploymentSpec extends KubeObject {
  spec?: { selector?: { matchLabels?: Record<string, string> } };
}

const CHECK_COMMAND = ['haproxy', '-c', '-dr', '-f', '/dev/stdin'];
/**
 * The config reaches haproxy through a pipe of the pod's shell: a container's exec stdin belongs to
 * the runtime (root, mode 0600), so a non-root haproxy cannot open /dev/stdin on it; the shell's own
 * pipe belongs to the container's user. `take` reads stdin: cat until its end, or head -c N.
 */
const pipedCheck = (take: string) => ['sh', '-c', `${take} | ${CHECK_COMMAND.join(' ')}`];
/** What a container without a shell answers for sh (runc: 127, or 126 with "not found"). */
const NO_SHELL = /exec(utable)? .*not found|no such file or directory|not found in \$PATH/i;

/** The files the gateway pods see, `cfg` as their haproxy.cfg and the ConfigMap's other keys as they are. */
export function podFiles(mount: ConfigMount, data: Record<string, string>, cfg: string): PodConfigFiles {
  const files = new Map(
    mount.files.map((file) => [file.path, file.key === CONFIG_KEY ? cfg : (data[file.key] ?? '')]),
  );
  return { configPath: mount.configPath, mountPaths: mount.mountPaths, files };
}

/**
 * This machine's HAProxy and a Ready gateway pod with the version it runs, each if there is one.
 * `deployment` is the live one; undefined when there is none yet (no pod to ask).
 */
export async function planConfigCheck(
  kube: KubeClient,
  namespace: string,
  deployment: KubeObject | undefined,
  container: string,
): Promise<CheckPlan> {
  const notes: string[] = [];
  const binary = findHaproxyBinary();
  const local = binary ? { binary, version: await localHaproxyVersion(binary) } : undefined;
  if (!deployment) return { namespace, local, pod: undefined, notes: ['no gateway pod runs yet'] };
  const labels = (deployment as DeploymentSpec).spec?.selector?.matchLabels;
  let pods: StatusPod[] = [];
  try {
    if (labels)
      pods = await kube.list<StatusPod>('v1', 'Pod', { namespace, labelSelector: labelSelectorOf(labels) });
  } catch (error) {
    if (apiStatusOf(error)?.code !== 403) throw error;
    notes.push('not allowed to list the gateway pods');
  }
  const ready = pods
    .filter((pod) => isPodReady(pod) && !pod.metadata.deletionTimestamp)
    .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name))[0];
  if (!ready) return { namespace, local, pod: undefined, notes: [...notes, 'no gateway pod is ready'] };
  const version = await readHaproxyVersion(kube, ready, namespace).catch((error: unknown) => {
    notes.push(
      `the version pod ${ready.metadata.name} runs could not be read (${apiStatusOf(error)?.message ?? String(error)})`,
    );
    return undefined;
  });
  return { namespace, local, pod: { name: ready.metadata.name, namespace, container, version }, notes };
}

/** The verdict of one HAProxy on the new config (and on the live one, to tell "already broken"). */
interface Verdict {
  valid: boolean;
  alerts: string[];
  liveValid: () => Promise<boolean>;
}

/**
 * Checks `after` (the config about to be written; `before` is the live one) with the HAProxy the plan
 * picks; throws a GatewayError, nothing written, when that HAProxy refuses it.
 */
export async function checkNewConfig(
  kube: KubeClient,
  plan: CheckPlan,
  files: { before: PodConfigFiles | undefined; after: PodConfigFiles },
  what: { change: string; configMap: string },
): Promise<ConfigCheck> {
  const { local, pod } = plan;
  const notes = [...plan.notes];
  const sameVersion =
    local?.version !== undefined &&
    pod?.version !== undefined &&
    majorMinor(local.version) === majorMinor(pod.version);
  const useLocal = async (): Promise<ConfigCheck> => {
    const { binary, version } = local!;
    const verdict = await checkWithHaproxy(files.after, binary);
    const result = {
      by: 'local' as const,
      binary,
      notes,
      ...(version ? { version: majorMinor(version) } : {}),
    };
    if (!verdict.valid) {
      const liveValid = async () =>
        files.before === undefined || (await checkWithHaproxy(files.before, binary)).valid;
      throw await refusal(result, { valid: false, alerts: verdict.alerts, liveValid }, what, plan.namespace);
    }
    return result;
  };
  if (local && (!pod || pod.version === undefined || sameVersion)) return useLocal();
  if (!local) notes.unshift('no HAProxy on this machine');
  else
    notes.unshift(
      `this machine has HAProxy ${majorMinor(local.version ?? '?')}, the pods ${majorMinor(pod?.version ?? '?')}`,
    );
  if (pod) {
    const checked = await checkInPod(kube, pod, files, notes);
    if (checked) {
      const result = {
        by: 'pod' as const,
        pod: pod.name,
        notes,
        ...(pod.version ? { version: majorMinor(pod.version) } : {}),
      };
      if (!checked.valid) throw await refusal(result, checked, what, plan.namespace);
      return result;
    }
  }
  if (local) return useLocal();
  return { by: 'none', notes };
}

/** `haproxy -c` in the pod on the config fed to stdin; undefined (with a note) when it could not run there. */
async function checkInPod(
  kube: KubeClient,
  pod: NonNullable<CheckPlan['pod']>,
  files: { before: PodConfigFiles | undefined; after: PodConfigFiles },
  notes: string[],
): Promise<Verdict | undefined> {
  const run = async (files: PodConfigFiles) => {
    const cfg = configForCheck(files.files.get(files.configPath) ?? '');
    try {
      const piped = await execInPod(kube, pod, {
        container: pod.container,
        command: pipedCheck('cat'),
        stdin: cfg,
      });
      // An image without a shell: haproxy reads the exec's stdin itself (which works when it runs as root).
      if (piped.exitCode < 126 || !NO_SHELL.test(piped.stderr + piped.stdout)) return piped;
      return await execInPod(kube, pod, { container: pod.container, command: CHECK_COMMAND, stdin: cfg });
    } catch (error) {
      if (!(error instanceof StdinNotClosableError)) throw error;
      // v4 cannot end stdin: head stops after the config's bytes, which ends haproxy's stdin instead.
      return execInPod(kube, pod, {
        container: pod.container,
        command: pipedCheck(`head -c ${Buffer.byteLength(cfg)}`),
        stdin: cfg,
        stdinUntilEnd: false,
        protocols: [EXEC_V4],
      });
    }
  };
  let result: Awaited<ReturnType<typeof run>>;
  try {
    result = await run(files.after);
  } catch (error) {
    // Not allowed, the pod gone, or nothing to run it with: another check, or none, says so. A server
    // that does not answer (exit 4) or refuses the credentials (5) is the command's error.
    const status = apiStatusOf(error);
    if (status?.code === 403) notes.push(`not allowed to exec into pod ${pod.name} (pods/exec)`);
    else if (error instanceof GatewayError && !(status && [400, 404].includes(status.code))) throw error;
    else
      notes.push(
        `haproxy -c could not run in pod ${pod.name}: ${status?.message ?? (error instanceof Error ? error.message : String(error))}`,
      );
    return undefined;
  }
  const alerts = alertLines(result.stderr + result.stdout);
  if (result.exitCode !== 0 && alerts.length === 0) {
    notes.push(
      `haproxy -c in pod ${pod.name} failed without a verdict (exit ${result.exitCode}): ${result.stderr.trim().split('\n')[0] ?? ''}`,
    );
    return undefined;
  }
  return {
    valid: result.exitCode === 0,
    alerts,
    liveValid: async () => files.before === undefined || (await run(files.before)).exitCode === 0,
  };
}

/** Nothing was written: which HAProxy refused the config, its alerts, and whether the live one fares better. */
async function refusal(
  check: ConfigCheck,
  verdict: Verdict,
  what: { change: string; configMap: string },
  namespace: string,
): Promise<GatewayError> {
  const already = !(await verdict.liveValid());
  const who = describeChecker(check);
  return new GatewayError(
    already
      ? `${who} already rejects the live haproxy.cfg, so ${what.change} cannot be checked; nothing was written`
      : `${who} would reject the config ${what.change} produces; nothing was written`,
    {
      why: verdict.alerts.slice(0, 5).join('; ') || 'haproxy -c failed',
      next: [
        `kubectl -n ${namespace} edit configmap ${what.configMap}`,
        'see the change without writing it: add --dry-run',
      ],
      exitCode: ExitCode.clusterState,
    },
  );
}

/** "HAProxy 2.6 on this machine", "HAProxy 3.2 in pod trigger-gateway-…". */
export function describeChecker(check: ConfigCheck): string {
  const haproxy = `HAProxy${check.version ? ` ${check.version}` : ''}`;
  if (check.by === 'local') return `${haproxy} on this machine`;
  if (check.by === 'pod') return `${haproxy} in pod ${check.pod ?? ''}`;
  return 'no HAProxy';
}

/** One line: which HAProxy checked a new config, or that none did and why. */
export function describeConfigCheck(check: ConfigCheck): string {
  const notes = check.notes.length > 0 ? ` (${check.notes.join('; ')})` : '';
  if (check.by === 'none')
    return `Not checked by any HAProxy${notes}; a config the new pods refuse is rolled back.`;
  return `Checked by ${describeChecker(check)}${notes}.`;
}

/** Says on stderr which HAProxy checked the config, or that none did. */
export function reportConfigCheck(check: ConfigCheck, progress: Progress): void {
  if (check.by === 'none') progress.warn(describeConfigCheck(check));
  else progress.done(describeConfigCheck(check));
}
