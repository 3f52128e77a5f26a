/**
 * What the gateway adds behind a real ingress controller:
 *
 *   npx tsx test/bench/ingress-latency.ts [--rate=100] [--seconds=30] [--runs=3] [--shared-cpus]
 *
 * On a real control plane of its own (test/real: root, Go, ip and nft), with Traefik in front as the
 * real suites set it up: `install --with-echo` (host gateway.bench.test) and, beside it, an Ingress of
 * the benchmark's own (host echo.bench.test) straight to the echo Service. One sender, a process of
 * its own on the host, posts 2 KB GitHub pushes to Traefik's LoadBalancer address, open loop (a slow
 * answer never slows the sending), interleaving request by request:
 *   direct      Traefik -> echo
 *   gateway     Traefik -> gateway -> echo, install's own /trigger route to the echo's ClusterIP
 *               Service, DNATed by the Node's kube-proxy rules (nftables) as on a real node
 * each at --rate requests/s. Keep-alive connections, as between proxies, and each run warms them up
 * for 2 s before it counts. The sender and the control plane stand for other machines: on 2 cores or
 * more they share CPU 0 and the pods (Traefik, the gateway, the echo) get the others, as a kubelet's
 * --reserved-cpus would keep them apart (--shared-cpus: every process on every core). Per run: p50 and p99 of
 * each; then medians of the runs, and the goal: the gateway adds at most 1 ms at p99 (the median of
 * the runs' gateway p99 minus direct p99). Prints a Markdown table and writes test/bench/results/ingress-latency-<time>.json.
 * Exits 1 when the goal is missed. Not part of any test run: the figures mean something only on quiet
 * cores; on a shared machine, `nice -n -10` keeps the neighbours' work from setting the tail (every
 * process of the control plane, Traefik and the pods included, inherits it).
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { cpus, getPriority, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { KubeClient } from '../../src/kube/client.ts';
import { resolveKubeTarget } from '../../src/kube/kubeconfig.ts';
import type { KubeObject } from '../../src/manifests/types.ts';
import { runExecutable } from '../support/cli.ts';
import { eventually } from '../support/eventually.ts';
import { findHaproxy } from '../support/haproxy.ts';
import { buildRealBinaries, buildTraefikBinaries, TRAEFIK_VERSION } from '../real/binaries.ts';
import { startRealControlPlane } from '../real/environment.ts';
import { applyObjects } from '../real/listeners.ts';
import { installTraefik } from '../real/traefik.ts';
import { cpuSplit, pinPods, reserveCpus } from './cpu-split.ts';
import { median, percentile } from './report.ts';

const { values } = parseArgs({
  options: {
    role: { type: 'string' },
    to: { type: 'string' },
    rate: { type: 'string', default: '100' },
    seconds: { type: 'string', default: '30' },
    warmup: { type: 'string', default: '0' },
    'shared-cpus': { type: 'boolean', default: false },
    runs: { type: 'string', default: '3' },
  },
});

const SERIES = [
  { name: 'direct', host: 'echo.bench.test', path: '/direct' },
  { name: 'gateway', host: 'gateway.bench.test', path: '/trigger' },
] as const;
type SeriesName = (typeof SERIES)[number]['name'];

interface SeriesFigures {
  sent: number;
  ok: number;
  errors: number;
  latenciesMs: number[];
}

/**
 * The sender (--role=send): every series at `rate` a second, interleaved, for `warmup` seconds that
 * are not counted and then `seconds` that are. The warm-up is the same process and connections as
 * the measured part: a new process's first requests open connections and run cold code for 100 ms
 * or more, which would be the measured tail.
 */
async function send(
  to: string,
  rate: number,
  seconds: number,
  warmup: number,
): Promise<Record<SeriesName, SeriesFigures>> {
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const body = JSON.stringify({ ref: 'refs/heads/main', padding: 'x'.repeat(2000) });
  const figures = Object.fromEntries(
    SERIES.map(({ name }) => [name, { sent: 0, ok: 0, errors: 0, latenciesMs: [] as number[] }]),
  ) as Record<SeriesName, SeriesFigures>;
  const pending: Array<Promise<void>> = [];
  const unmeasured = Math.round(rate * warmup) * SERIES.length;
  const total = unmeasured + Math.round(rate * seconds) * SERIES.length;
  const started = performance.now();
  for (let n = 0; n < total; n++) {
    const series = SERIES[n % SERIES.length] ?? SERIES[0];
    const wait = started + (n * 1000) / (rate * SERIES.length) - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    const counted = n < unmeasured ? { sent: 0, ok: 0, errors: 0, latenciesMs: [] } : figures[series.name];
    counted.sent++;
    const sentAt = performance.now();
    pending.push(
      new Promise<void>((resolve) => {
        const outgoing = request(
          {
            host: to,
            port: 80,
            path: series.path,
            method: 'POST',
            agent,
            headers: { Host: series.host, 'Content-Type': 'application/json', 'X-GitHub-Event': 'push' },
          },
          (response) => {
            response.resume();
            response.on('end', () => {
              if (response.statusCode === 200) counted.ok++;
              counted.latenciesMs.push(performance.now() - sentAt);
              resolve();
            });
          },
        );
        outgoing.setTimeout(30_000, () => outgoing.destroy(new Error('no answer within 30 s')));
        outgoing.on('error', () => {
          counted.errors++;
          resolve();
        });
        outgoing.end(body);
      }),
    );
  }
  await Promise.all(pending);
  agent.destroy();
  return figures;
}

const SELF = fileURLToPath(import.meta.url);
/** Each measured run's own warm-up, on the connections it then measures. */
const WARMUP_SECONDS = 2;

/** One run of the sender as a child process, so that nothing else shares its event loop. */
function sendRun(
  to: string,
  rate: number,
  seconds: number,
  warmup = 0,
): Promise<Record<SeriesName, SeriesFigures>> {
  const child = spawn(
    process.execPath,
    [
      ...process.execArgv,
      SELF,
      '--role=send',
      `--to=${to}`,
      `--rate=${rate}`,
      `--seconds=${seconds}`,
      `--warmup=${warmup}`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  return new Promise((resolve, reject) =>
    child.once('exit', (code) =>
      code === 0
        ? resolve(JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as Record<SeriesName, SeriesFigures>)
        : reject(new Error(`the sender exited ${code}`)),
    ),
  );
}

/** The benchmark's own object: the Ingress straight to the echo. */
const ECHO_OBJECTS: KubeObject[] = [
  {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name: 'echo-direct', namespace: 'trigger' },
    spec: {
      rules: [
        {
          host: 'echo.bench.test',
          http: {
            paths: [
              {
                path: '/',
                pathType: 'Prefix',
                backend: { service: { name: 'httpecho', port: { name: 'http' } } },
              },
            ],
          },
        },
      ],
    },
  },
];

interface RunResult {
  run: number;
  /** The machine's 1-minute load average after the run: the tail means little on busy cores. */
  loadAverage: number;
  series: Record<
    SeriesName,
    { sent: number; ok: number; errors: number; p50Ms: number; p90Ms: number; p99Ms: number }
  >;
}

async function main(): Promise<number> {
  const rate = Number(values.rate);
  const seconds = Number(values.seconds);
  const runs = Number(values.runs);
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const split = values['shared-cpus'] ? undefined : cpuSplit();
  if (split) reserveCpus(split);
  else if (!values['shared-cpus'])
    log('no CPU split (taskset is missing, or there is one core): every process runs on every core');
  const binaries = await buildRealBinaries({ log });
  await buildTraefikBinaries({ log });
  const plane = await startRealControlPlane({ binaries, log });
  try {
    const kubeconfig = plane.writeKubeconfig(join(plane.dir, 'admin.kubeconfig'));
    const kube = new KubeClient(resolveKubeTarget({ kubeconfig, requestTimeoutMs: 30_000 }));
    const traefik = await installTraefik(kubeconfig, kube, plane.dir);
    await kube.close();
    const plugin = async (...args: string[]) => {
      const done = await runExecutable('kubectl', ['trigger-gateway', ...args], { KUBECONFIG: kubeconfig });
      if (done.exitCode !== 0) throw new Error(`kubectl trigger-gateway ${args[0]}: ${done.stderr}`);
    };
    await plugin('install', '--with-echo', '--host', 'gateway.bench.test');
    await applyObjects(kubeconfig, plane.dir, ECHO_OBJECTS);
    // Every series answers 200 through Traefik before anything is measured.
    await eventually(
      async () => {
        const probe = await sendRun(traefik.address, 1, 2);
        for (const { name } of SERIES)
          if (probe[name].ok !== probe[name].sent) throw new Error(`${name} does not answer 200 yet`);
      },
      { timeoutMs: 120_000, intervalMs: 1000 },
    );
    if (split) {
      const moved = pinPods(split, binaries.container);
      log(
        `CPU ${split.reserved}: the sender and the control plane; CPU ${split.pods}: ${moved} processes of the pods`,
      );
    }
    log(`warming up for 5 s at ${rate} requests/s a series`);
    await sendRun(traefik.address, rate, 5);

    const results: RunResult[] = [];
    for (let run = 1; run <= runs; run++) {
      const figures = await sendRun(traefik.address, rate, seconds, WARMUP_SECONDS);
      const series = Object.fromEntries(
        SERIES.map(({ name }) => {
          const one = figures[name];
          const sorted = [...one.latenciesMs].sort((a, b) => a - b);
          return [
            name,
            {
              sent: one.sent,
              ok: one.ok,
              errors: one.errors,
              p50Ms: percentile(sorted, 50),
              p90Ms: percentile(sorted, 90),
              p99Ms: percentile(sorted, 99),
            },
          ];
        }),
      ) as RunResult['series'];
      results.push({ run, loadAverage: loadavg()[0] ?? Number.NaN, series });
      log(
        `run ${run}: ${SERIES.map(({ name }) => `${name} p50 ${series[name].p50Ms.toFixed(2)} ms p99 ${series[name].p99Ms.toFixed(2)} ms (${series[name].ok}/${series[name].sent} ok)`).join(', ')}`,
      );
    }

    const medianOf = (name: SeriesName, key: 'p50Ms' | 'p90Ms' | 'p99Ms') =>
      median(results.map((result) => result.series[name][key]));
    // Both series share each run's moments (interleaved request by request): the goal is judged on
    // the runs' own differences, paired, rather than on the difference of two medians.
    const addedByRun = results.map((result) => result.series.gateway.p99Ms - result.series.direct.p99Ms);
    const added = median(addedByRun);
    const allOk = results.every((result) =>
      SERIES.every(({ name }) => result.series[name].ok === result.series[name].sent),
    );
    const cell = (name: SeriesName, key: 'p50Ms' | 'p90Ms' | 'p99Ms') =>
      `${medianOf(name, key).toFixed(2)} ms${name === 'direct' ? '' : ` (+${(medianOf(name, key) - medianOf('direct', key)).toFixed(2)})`}`;
    const table = [
      '| path | p50 | p90 | p99 |',
      '| --- | ---: | ---: | ---: |',
      ...SERIES.map(
        ({ name }) =>
          `| ${name} | ${cell(name, 'p50Ms')} | ${cell(name, 'p90Ms')} | ${cell(name, 'p99Ms')} |`,
      ),
    ].join('\n');
    process.stdout.write(
      `${table}\n\nThe gateway adds ${added.toFixed(2)} ms at p99, the median of the runs' ${addedByRun.map((ms) => `${ms >= 0 ? '+' : ''}${ms.toFixed(2)}`).join(', ')} ms (goal: at most 1 ms).\n`,
    );
    const dir = join(import.meta.dirname, 'results');
    mkdirSync(dir, { recursive: true });
    // One file a run: the tail moves with the machine's load, and every reading is kept.
    const file = join(dir, `ingress-latency-${new Date().toISOString().slice(0, 16).replace(':', '')}.json`);
    writeFileSync(
      file,
      `${JSON.stringify(
        {
          benchmark: 'ingress-latency',
          date: new Date().toISOString(),
          command: `npx tsx test/bench/ingress-latency.ts --rate=${rate} --seconds=${seconds} --runs=${runs}${split ? '' : ' --shared-cpus'}`,
          environment: {
            cpus: cpus().length,
            cpu: cpus()[0]?.model,
            loadAverage: loadavg(),
            // Negative when run under nice -n -10, as on a shared machine.
            niceness: getPriority(),
            cpuSplit: split ? { senderAndControlPlane: split.reserved, pods: split.pods } : 'shared',
            traefik: TRAEFIK_VERSION,
            haproxy: execFileSync(findHaproxy() ?? 'haproxy', ['-v'], { encoding: 'utf8' }).split('\n')[0],
          },
          ratePerSeries: rate,
          seconds,
          body: '2 KB JSON, keep-alive connections',
          medians: Object.fromEntries(
            SERIES.map(({ name }) => [
              name,
              { p50Ms: medianOf(name, 'p50Ms'), p99Ms: medianOf(name, 'p99Ms') },
            ]),
          ),
          gatewayAddsAtP99Ms: added,
          gatewayAddsAtP99MsByRun: addedByRun,
          goalMet: allOk && added <= 1,
          runs: results,
        },
        null,
        2,
      )}\n`,
    );
    log(`results in ${file}`);
    return allOk && added <= 1 ? 0 : 1;
  } finally {
    await plane.stop();
  }
}

if (values.role === 'send') {
  const figures = await send(
    values.to ?? '',
    Number(values.rate),
    Number(values.seconds),
    Number(values.warmup),
  );
  process.stdout.write(`${JSON.stringify(figures)}\n`);
} else {
  process.exitCode = await main();
}
