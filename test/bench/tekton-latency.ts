/**
 * How much the gateway adds to "a webhook is sent → its PipelineRun exists", on real Tekton Triggers.
 *
 *   npm run build && npx tsx test/bench/tekton-latency.ts [--deliveries=300] [--rate=10] [--listener-qps=50] [--kubeconfig=FILE]
 *
 * Starts a real control plane with Tekton Triggers v0.35.0 (root, Go; or uses --kubeconfig's cluster,
 * Tekton installed), installs the gateway, an EventListener (GitHub interceptor with a Secret, a
 * template that creates a v1 PipelineRun; its API client allowed --listener-qps requests a second,
 * see benchListener) and a route to it. Then sends `--deliveries` signed GitHub pushes along each of
 * two paths, interleaved (one path, then the other, the order swapped every pair), `--rate` a second
 * in all, open loop:
 *   direct:  a port-forward to the listener's pod, as `kubectl port-forward` makes it
 *   gateway: a port-forward to a gateway pod → HAProxy → the listener's Service → the same pod
 * Both go through the API server's port-forward once, so what differs is the gateway's own work and
 * its hop to the listener's Service. The time of a delivery runs from just before it is sent to the
 * moment a watch on PipelineRuns (one for both paths) sees the run labelled with the eventID the
 * listener answered. p50 and p99 per path, the gateway's share of each; goal: at most 5% on p99.
 * Results go to test/bench/results/tekton-latency-<time>.json (no run overwrites another). Exits 1
 * when the goal is missed or a delivery started nothing. Not part of `npm test`.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { GATEWAY_HTTP_PORT } from '../../src/haproxy/gateway-config.ts';
import { KubeClient } from '../../src/kube/client.ts';
import { runInformer } from '../../src/kube/informer.ts';
import { resolveKubeTarget } from '../../src/kube/kubeconfig.ts';
import { type ForwardedPort, forwardPodPort } from '../../src/kube/port-forward.ts';
import { receivesTraffic } from '../../src/kube/rollout.ts';
import type { KubeObject } from '../../src/manifests/types.ts';
import { EVENT_ID_LABEL } from '../../src/tekton/objects.ts';
import { buildDelivery, headersToSend } from '../../src/webhook/index.ts';
import { pluginPath, REPO_ROOT } from '../support/cli.ts';
import { percentile } from './report.ts';
import { buildTektonBinaries, TEKTON_TRIGGERS_VERSION } from '../real/binaries.ts';
import { forwardToListener } from '../real/listener-traffic.ts';
import { applyObjects, listenerObjects, waitForListener, webhookSecret } from '../real/listeners.ts';
import { startRealSandbox } from '../real/start.ts';
import { installTekton } from '../real/tekton.ts';

const { values } = parseArgs({
  options: {
    deliveries: { type: 'string', default: '300' },
    rate: { type: 'string', default: '10' },
    kubeconfig: { type: 'string' },
    'listener-qps': { type: 'string', default: '50' },
  },
});
const DELIVERIES = Number(values.deliveries);
const RATE = Number(values.rate);
const GOAL_SHARE = 0.05;
const WARM_UP = 10;
const SECRET = 'bench-webhook-secret';
// Of this run alone: a cluster given with --kubeconfig may hold an earlier run's.
const GATEWAY_NS = `bench-gateway-${process.pid}`;
const LISTENER_NS = `bench-ci-${process.pid}`;
const LISTENER = 'bench-listener';
/** 0: the listener as Tekton makes it, with client-go's default of 5 requests a second. */
const LISTENER_QPS = Number(values['listener-qps']);

type Path = 'direct' | 'gateway';
interface Sample {
  path: Path;
  sentAt: number;
  answeredMs: number;
  eventId: string;
  status: number;
}

const log = (line: string) => process.stderr.write(`${line}\n`);

/**
 * The listener, allowed more than client-go's default 5 requests a second to the API server: the
 * v0.35 sink makes two per PipelineRun (discovery, then the create), so by default it creates at most
 * 2.5 a second and a steady 10 a second would only measure its queue.
 */
const benchListener = (): KubeObject[] =>
  listenerObjects({
    namespace: LISTENER_NS,
    name: LISTENER,
    provider: 'github',
    secretName: 'github-webhook',
    eventTypes: ['push'],
    ...(LISTENER_QPS === 0 ? {} : { apiQps: LISTENER_QPS }),
  });
const dir = mkdtempSync(join(tmpdir(), 'tg-bench-tekton-'));

/** The cluster to measure on: the given one, or a real control plane of our own with Tekton. */
async function cluster(): Promise<{ kubeconfig: string; stop: () => Promise<void> }> {
  if (values.kubeconfig) return { kubeconfig: values.kubeconfig, stop: async () => undefined };
  await buildTektonBinaries({ log });
  const { plane, kubeconfig } = await startRealSandbox({
    node: true,
    kubeconfig: join(dir, 'kubeconfig'),
    log,
  });
  const kube = new KubeClient(resolveKubeTarget({ kubeconfig, requestTimeoutMs: 30_000 }));
  await installTekton(kubeconfig, kube, plane.dir).finally(() => kube.close());
  return { kubeconfig, stop: () => plane.stop() };
}

function plugin(kubeconfig: string, ...args: string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(
      'kubectl',
      ['trigger-gateway', ...args],
      { env: { PATH: pluginPath(), HOME: dir, KUBECONFIG: kubeconfig } },
      (error, stdout, stderr) =>
        error ? reject(new Error(`kubectl trigger-gateway ${args.join(' ')}: ${stderr}`)) : resolve(stdout),
    ),
  );
}

/** One signed push to `port`, over a kept-alive connection: the time it was sent and the listener's answer. */
function send(agent: Agent, port: number, path: string): Promise<Omit<Sample, 'path'>> {
  const delivery = buildDelivery({ provider: 'github', secret: SECRET });
  return new Promise((resolve, reject) => {
    const sentAt = performance.now();
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        agent,
        headers: { ...headersToSend(delivery), 'Content-Length': delivery.body.length },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          const eventId = (JSON.parse(body || '{}') as { eventID?: string }).eventID ?? '';
          resolve({ sentAt, answeredMs: performance.now() - sentAt, eventId, status: res.statusCode ?? 0 });
        });
      },
    );
    req.on('error', reject);
    req.end(delivery.body);
  });
}

const { kubeconfig, stop } = await cluster();
const kube = new KubeClient(resolveKubeTarget({ kubeconfig, requestTimeoutMs: 30_000 }));
const forwards: ForwardedPort[] = [];
const watching = new AbortController();
try {
  log('installing the gateway, the listener and the route');
  await plugin(kubeconfig, 'install', '-n', GATEWAY_NS);
  await applyObjects(kubeconfig, dir, [
    webhookSecret(LISTENER_NS, 'github-webhook', SECRET),
    ...benchListener(),
  ]);
  await waitForListener(kube, LISTENER_NS, LISTENER);
  await plugin(
    kubeconfig,
    'route',
    'add',
    '/github',
    '--event-listener',
    LISTENER,
    '--listener-namespace',
    LISTENER_NS,
    '-n',
    GATEWAY_NS,
  );

  // When each PipelineRun was first seen, by the eventID it carries: one watch for both paths.
  const seenAt = new Map<string, number>();
  void runInformer<KubeObject>(
    kube,
    { apiVersion: 'tekton.dev/v1', kind: 'PipelineRun', namespace: LISTENER_NS },
    (runs) => {
      const now = performance.now();
      for (const run of runs) {
        const eventId = run.metadata.labels?.[EVENT_ID_LABEL];
        if (eventId && !seenAt.has(eventId)) seenAt.set(eventId, now);
      }
    },
    (error) => log(`PipelineRun watch: ${error instanceof Error ? error.message : String(error)}`),
    watching.signal,
  );

  const direct = await forwardToListener(kube, LISTENER_NS, LISTENER);
  const gatewayPod = (
    await kube.list('v1', 'Pod', {
      namespace: GATEWAY_NS,
      labelSelector: 'app.kubernetes.io/name=trigger-gateway',
    })
  ).find(receivesTraffic as (pod: KubeObject) => boolean);
  const gateway = await forwardPodPort(
    kube,
    { name: gatewayPod?.metadata.name ?? '', namespace: GATEWAY_NS },
    GATEWAY_HTTP_PORT,
  );
  forwards.push(direct, gateway);
  const targets: Record<Path, { port: number; urlPath: string; agent: Agent }> = {
    direct: { port: direct.localPort, urlPath: '/', agent: new Agent({ keepAlive: true }) },
    gateway: { port: gateway.localPort, urlPath: '/github', agent: new Agent({ keepAlive: true }) },
  };

  const run = async (count: number): Promise<Sample[]> => {
    const started = performance.now();
    const sends: Array<Promise<Sample>> = [];
    for (let index = 0; index < count * 2; index += 1) {
      const pair = Math.floor(index / 2);
      // direct, gateway, then gateway, direct: neither path always goes first.
      const path: Path = (index % 2 === 0) === (pair % 2 === 0) ? 'direct' : 'gateway';
      const due = started + (index * 1000) / RATE;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      const target = targets[path];
      sends.push(send(target.agent, target.port, target.urlPath).then((sample) => ({ ...sample, path })));
    }
    return Promise.all(sends);
  };

  log(`warming up: ${WARM_UP} deliveries along each path`);
  await run(WARM_UP);
  log(`measuring: ${DELIVERIES} deliveries along each path, ${RATE} a second in all`);
  const samples = await run(DELIVERIES);
  const deadline = Date.now() + 60_000;
  while (samples.some((sample) => !seenAt.has(sample.eventId)) && Date.now() < deadline) await sleep(200);

  const summary = (['direct', 'gateway'] as const).map((path) => {
    const mine = samples.filter((sample) => sample.path === path);
    const times = mine.flatMap((sample) => {
      const seen = seenAt.get(sample.eventId);
      return seen === undefined ? [] : [seen - sample.sentAt];
    });
    return {
      path,
      deliveries: mine.length,
      notAccepted: mine.filter((sample) => sample.status !== 202).length,
      noPipelineRun: mine.length - times.length,
      pipelineRunMs: { p50: percentile(times, 50), p99: percentile(times, 99), max: Math.max(...times) },
      answerMs: {
        p50: percentile(
          mine.map((s) => s.answeredMs),
          50,
        ),
        p99: percentile(
          mine.map((s) => s.answeredMs),
          99,
        ),
      },
      timesMs: times.map((time) => Math.round(time * 100) / 100),
    };
  });
  const [straight, through] = summary as [(typeof summary)[0], (typeof summary)[0]];
  const share = {
    p50: through.pipelineRunMs.p50 / straight.pipelineRunMs.p50 - 1,
    p99: through.pipelineRunMs.p99 / straight.pipelineRunMs.p99 - 1,
  };
  const results = {
    command: `npx tsx test/bench/tekton-latency.ts --deliveries=${DELIVERIES} --rate=${RATE} --listener-qps=${LISTENER_QPS}`,
    listenerApiQps: LISTENER_QPS === 0 ? "client-go's default (5, burst 10)" : LISTENER_QPS,
    tekton: `Triggers ${TEKTON_TRIGGERS_VERSION}`,
    cpus: cpus().length,
    loadavg: loadavg().map((load) => Math.round(load * 100) / 100),
    paths: {
      direct: 'port-forward to the listener pod (:8080)',
      gateway: 'port-forward to a gateway pod (:8080) → HAProxy → the listener Service → the listener pod',
    },
    summary,
    gatewayShare: share,
    goal: `the gateway adds at most ${GOAL_SHARE * 100}% to p99`,
    met: share.p99 <= GOAL_SHARE,
  };
  mkdirSync(join(REPO_ROOT, 'test/bench/results'), { recursive: true });
  const file = join(
    REPO_ROOT,
    'test/bench/results',
    `tekton-latency${LISTENER_QPS === 0 ? '-default-qps' : ''}-${new Date().toISOString().slice(0, 16).replace(':', '')}.json`,
  );
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  const ms = (value: number) => `${value.toFixed(1)} ms`;
  for (const row of summary)
    log(
      `${row.path.padEnd(8)} p50 ${ms(row.pipelineRunMs.p50)}  p99 ${ms(row.pipelineRunMs.p99)}  (202 in ${ms(row.answerMs.p50)} p50; ${row.noPipelineRun} without a PipelineRun)`,
    );
  log(
    `the gateway's share: p50 ${(share.p50 * 100).toFixed(1)}%, p99 ${(share.p99 * 100).toFixed(1)}% (goal: at most ${GOAL_SHARE * 100}% on p99) → ${file}`,
  );
  process.exitCode =
    results.met && summary.every((row) => row.noPipelineRun === 0 && row.notAccepted === 0) ? 0 : 1;
} finally {
  watching.abort();
  for (const forward of forwards) await forward.close();
  await kube.close();
  await stop();
  rmSync(dir, { recursive: true, force: true });
}
