/**
 * A burst of pushes through a real Gitea, each followed to its PipelineRun on real Tekton Triggers.
 *
 *   npm run build && npx tsx test/bench/gitea-burst.ts [--pushes=200] [--listener-qps=0] [--repositories=1]
 *
 * Starts a real control plane of its own with Tekton Triggers v0.35.0 and Traefik (root, Go), and a
 * real Gitea (v1.26.0) on the host; installs the gateway, a GitHub EventListener whose PipelineRuns
 * carry the pushed commit (param revision), a route to it, and registers the gateway at Gitea with
 * `webhook add` (events and secret from the listener, the address from the Ingress). Then commits
 * `--pushes` files through Gitea's contents API, one after the other as fast as Gitea takes them, to
 * one repository (or split over `--repositories`, one stream each, side by side: one repository's
 * commits are made one at a time); each commit makes Gitea send a push, through Traefik and the
 * gateway, to the listener. A commit's time runs from the request that makes it to the moment a
 * watch on PipelineRuns sees the run of that commit, and is split at the gateway's record of the push
 * (its first byte; Gitea's delivery UUID ties the two): Gitea (which queues the push and sends it
 * after it answers) and Traefik before it; the gateway, the listener and Tekton after. Counts:
 * commits, Gitea's deliveries (and their answers), the gateway's records, PipelineRuns, and the rate
 * PipelineRuns were created at. --listener-qps=0 is the listener as Tekton makes it (client-go's 5
 * requests a second); N sets KUBE_API_QPS=N. Results go to
 * test/bench/results/gitea-burst-<qps>-<repositories>-<time>.json (no run overwrites another). Exits 1
 * when a push started no PipelineRun within the wait. Not part of `npm test`.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { KubeClient } from '../../src/kube/client.ts';
import { runInformer } from '../../src/kube/informer.ts';
import { resolveKubeTarget } from '../../src/kube/kubeconfig.ts';
import type { KubeObject } from '../../src/manifests/types.ts';
import { pluginPath, REPO_ROOT } from '../support/cli.ts';
import { sendDelivery } from '../support/forges/server.ts';
import { GITEA_VERSION, TEKTON_TRIGGERS_VERSION } from '../real/binaries.ts';
import { GiteaApi, hookTasks } from '../real/gitea-api.ts';
import { startRealGitea } from '../real/gitea-server.ts';
import { applyObjects, listenerObjects, waitForListener } from '../real/listeners.ts';
import { startRealSandbox } from '../real/start.ts';
import { percentile } from './report.ts';

const { values } = parseArgs({
  options: {
    pushes: { type: 'string', default: '200' },
    'listener-qps': { type: 'string', default: '0' },
    repositories: { type: 'string', default: '1' },
  },
});
const REPOSITORIES = Number(values.repositories);
const PUSHES = Number(values.pushes);
/** 0: the listener as Tekton makes it, with client-go's default of 5 requests a second. */
const LISTENER_QPS = Number(values['listener-qps']);
const NAMESPACE = 'ci';
const LISTENER = 'gitea-listener';
/** How long after the last commit the PipelineRuns may take to appear. */
const WAIT_AFTER_MS = 10 * 60_000;

const log = (line: string) => process.stderr.write(`${line}\n`);
const dir = mkdtempSync(join(tmpdir(), 'tg-bench-gitea-'));

function plugin(kubeconfig: string, env: Record<string, string>, ...args: string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(
      'kubectl',
      ['trigger-gateway', ...args],
      { env: { PATH: pluginPath(), HOME: dir, KUBECONFIG: kubeconfig, ...env } },
      (error, stdout, stderr) =>
        error ? reject(new Error(`kubectl trigger-gateway ${args.join(' ')}: ${stderr}`)) : resolve(stdout),
    ),
  );
}

type PipelineRun = KubeObject & { spec?: { params?: Array<{ name: string; value: unknown }> } };
const revisionOf = (run: PipelineRun) =>
  run.spec?.params?.find((param) => param.name === 'revision')?.value as string | undefined;

/** p50, p99 and max of some milliseconds, rounded. */
const spread = (times: number[]) => ({
  p50: Math.round(percentile(times, 50)),
  p99: Math.round(percentile(times, 99)),
  max: Math.round(Math.max(...times)),
});

log(
  `a real control plane with Tekton Triggers ${TEKTON_TRIGGERS_VERSION} and Traefik, and Gitea ${GITEA_VERSION}`,
);
const { plane, kubeconfig, addOns } = await startRealSandbox({
  node: true,
  kubeconfig: join(dir, 'kubeconfig'),
  log,
});
const gitea = await startRealGitea({ log }).catch(async (error: unknown) => {
  await plane.stop();
  throw error;
});
const kube = new KubeClient(resolveKubeTarget({ kubeconfig, requestTimeoutMs: 30_000 }));
const watching = new AbortController();
try {
  const ingress = addOns?.ingressAddress ?? '';
  log('installing the gateway, the listener and the route');
  await plugin(kubeconfig, {}, 'install');
  await applyObjects(kubeconfig, dir, [
    ...listenerObjects({
      namespace: NAMESPACE,
      name: LISTENER,
      provider: 'github',
      secretName: 'gitea-webhook',
      eventTypes: ['push'],
      revision: true,
      ...(LISTENER_QPS === 0 ? {} : { apiQps: LISTENER_QPS }),
    }),
  ]);
  await waitForListener(kube, NAMESPACE, LISTENER);
  await plugin(
    kubeconfig,
    {},
    'route',
    'add',
    '/gitea',
    '--event-listener',
    LISTENER,
    '--listener-namespace',
    NAMESPACE,
  );
  // route add rolled the gateway pods: the old ones (without /gitea) serve until Traefik drops them.
  for (let served = 0; served < 5;) {
    const answer = await sendDelivery(
      `http://${ingress}/gitea`,
      { 'X-GitHub-Event': 'ping' },
      Buffer.from('{}'),
    );
    served = answer.status === 202 ? served + 1 : 0;
    if (served === 0) await sleep(500);
  }

  const admin = new GiteaApi(gitea);
  const repositories: Array<{ name: string; hook: number }> = [];
  for (let index = 1; index <= REPOSITORIES; index++) {
    const name = `${gitea.admin.username}/burst-${index}`;
    await admin.createRepository(`burst-${index}`);
    const added = JSON.parse(
      await plugin(
        kubeconfig,
        { GITEA_TOKEN: gitea.admin.token },
        ...[
          'webhook',
          'add',
          '/gitea',
          '--provider',
          'gitea',
          '--api-url',
          gitea.url,
          '--repo',
          name,
          '-o',
          'json',
        ],
      ),
    ) as { hook: { id: string }; url: string; events: { list: string[] } };
    log(`${name}: Gitea sends ${added.events.list.join(', ')} to ${added.url} (hook ${added.hook.id})`);
    repositories.push({ name, hook: Number(added.hook.id) });
  }

  // When each commit's PipelineRun was first seen, by the revision it carries.
  const seenAt = new Map<string, number>();
  void runInformer<PipelineRun>(
    kube,
    { apiVersion: 'tekton.dev/v1', kind: 'PipelineRun', namespace: NAMESPACE },
    (runs) => {
      const now = Date.now();
      for (const run of runs) {
        const revision = revisionOf(run);
        if (revision && !seenAt.has(revision)) seenAt.set(revision, now);
      }
    },
    (error) => log(`PipelineRun watch: ${error instanceof Error ? error.message : String(error)}`),
    watching.signal,
  );

  log(`committing ${PUSHES} files to ${REPOSITORIES} repositories, one after the other in each`);
  const commits: Array<{ sha: string; sentAt: number; committedAt: number }> = [];
  const burstStarted = Date.now();
  await Promise.all(
    repositories.map(async ({ name }, stream) => {
      for (let index = stream; index < PUSHES; index += REPOSITORIES) {
        const sentAt = Date.now();
        const sha = await admin.commitFile(name, `burst/${index}.txt`, `push ${index}\n`);
        commits.push({ sha, sentAt, committedAt: Date.now() });
      }
    }),
  );
  const burstMs = Date.now() - burstStarted;
  log(`${PUSHES} commits in ${(burstMs / 1000).toFixed(1)}s; waiting for their PipelineRuns`);
  const deadline = Date.now() + WAIT_AFTER_MS;
  while (commits.some((commit) => !seenAt.has(commit.sha)) && Date.now() < deadline) await sleep(500);

  // Gitea's record of each delivery (made, delivered, the listener's answer) and the gateway's.
  const tasks = repositories.flatMap((repository) => hookTasks(gitea.database, repository.hook));
  const records = JSON.parse(
    await plugin(kubeconfig, {}, 'deliveries', '--route', '/gitea', '--provider', 'gitea', '-o', 'json'),
  ) as unknown[];
  const toRun = commits.flatMap((c) => (seenAt.has(c.sha) ? [(seenAt.get(c.sha) ?? 0) - c.sentAt] : []));
  // Each commit's push as the gateway recorded it: Gitea's delivery UUID is the record's delivery ID.
  const recordedAt = new Map(
    (records as Array<{ deliveryId?: string; timeMs?: number }>).flatMap((record) =>
      record.deliveryId && record.timeMs ? [[record.deliveryId, record.timeMs] as const] : [],
    ),
  );
  const atGateway = new Map(
    tasks.flatMap((task) =>
      task.commit && recordedAt.has(task.uuid)
        ? [[task.commit, recordedAt.get(task.uuid) ?? 0] as const]
        : [],
    ),
  );
  const split = commits.flatMap((c) => {
    const gateway = atGateway.get(c.sha);
    const run = seenAt.get(c.sha);
    return gateway === undefined || run === undefined
      ? []
      : [{ before: gateway - c.sentAt, after: run - gateway }];
  });
  const lastRun = Math.max(...commits.flatMap((c) => (seenAt.has(c.sha) ? [seenAt.get(c.sha) ?? 0] : [])));
  const results = {
    command: `npx tsx test/bench/gitea-burst.ts --pushes=${PUSHES} --listener-qps=${LISTENER_QPS} --repositories=${REPOSITORIES}`,
    listenerApiQps: LISTENER_QPS === 0 ? "client-go's default (5, burst 10)" : LISTENER_QPS,
    versions: { tekton: `Triggers ${TEKTON_TRIGGERS_VERSION}`, gitea: GITEA_VERSION },
    cpus: cpus().length,
    loadavg: loadavg().map((load) => Math.round(load * 100) / 100),
    path: 'Gitea (host) → Traefik (LoadBalancer address) → gateway (HAProxy) → EventListener → GitHub interceptor → PipelineRun',
    commits: {
      count: commits.length,
      repositories: REPOSITORIES,
      seconds: burstMs / 1000,
      perSecond: commits.length / (burstMs / 1000),
    },
    giteaDeliveries: {
      made: tasks.length,
      delivered: tasks.filter((task) => task.delivered).length,
      accepted202: tasks.filter((task) => task.status === 202).length,
    },
    gatewayRecords: records.length,
    pipelineRuns: toRun.length,
    missing: commits.filter((commit) => !seenAt.has(commit.sha)).map((commit) => commit.sha),
    commitToPipelineRunMs: spread(toRun),
    /** Of the pushes the gateway recorded: the commit's request to the push's first byte at the gateway. */
    commitToGatewayMs: spread(split.map((one) => one.before)),
    /** The push's first byte at the gateway to its PipelineRun: the gateway, the listener, Tekton. */
    gatewayToPipelineRunMs: spread(split.map((one) => one.after)),
    splitCount: split.length,
    pipelineRunsPerSecond: toRun.length / ((lastRun - burstStarted) / 1000),
    commitMs: spread(commits.map((commit) => commit.committedAt - commit.sentAt)),
  };
  mkdirSync(join(REPO_ROOT, 'test/bench/results'), { recursive: true });
  const file = join(
    REPO_ROOT,
    'test/bench/results',
    `gitea-burst-${LISTENER_QPS === 0 ? 'default-qps' : `qps-${LISTENER_QPS}`}-${REPOSITORIES}-repos-${new Date().toISOString().slice(0, 16).replace(':', '')}.json`,
  );
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  const {
    commitToPipelineRunMs: run,
    commitMs,
    commitToGatewayMs: before,
    gatewayToPipelineRunMs: after,
  } = results;
  log(
    `${results.pipelineRuns} of ${PUSHES} pushes started a PipelineRun (Gitea delivered ${results.giteaDeliveries.delivered}, the gateway recorded ${records.length}); ` +
      `commit → PipelineRun p50 ${run.p50} ms, p99 ${run.p99} ms (Gitea answers a commit in ${commitMs.p50} ms p50); ` +
      `of that, commit → gateway p50 ${before.p50} ms, p99 ${before.p99} ms, gateway → PipelineRun p50 ${after.p50} ms, p99 ${after.p99} ms; ` +
      `${results.pipelineRunsPerSecond.toFixed(2)} PipelineRuns/s → ${file}`,
  );
  process.exitCode = results.missing.length === 0 ? 0 : 1;
} finally {
  watching.abort();
  await kube.close();
  await gitea.stop();
  await plane.stop();
  rmSync(dir, { recursive: true, force: true });
}
