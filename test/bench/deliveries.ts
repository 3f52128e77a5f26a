/**
 * `deliveries` on a busy gateway: reading and filtering 10,000 records, and the memory of `--follow`
 * under a steady stream.
 *
 *   npm run build && npx tsx test/bench/deliveries.ts [--deliveries=10000] [--runs=7] [--rate=100] [--follow-seconds=120]
 *
 * Starts a control plane with real HAProxy pods (2 gateway pods), installs the gateway with the echo
 * backend and sends `--deliveries` real webhooks through it, half straight to each pod, so each pod's
 * log holds its records as HAProxy wrote them (a mix of GitHub, GitLab and Bitbucket headers; one in
 * ten to a path without a route, a 404). Then:
 *   1. times `kubectl trigger-gateway deliveries` (all of them, as a table into a pipe) and a filtered
 *      one (`--route /trigger --provider github --status 2xx -o json`): `--runs` runs each after one
 *      warm-up, interleaved; medians. Goal: under a second.
 *   2. runs `deliveries --follow -o json` (its output read and counted, nothing kept) while `--rate`
 *      webhooks a second arrive for `--follow-seconds`, sampling its resident memory every 5 s from
 *      /proc: many more deliveries than ten busy minutes bring, in two. Checks every one was printed.
 * Results go to test/bench/results/deliveries-<date>.json. Exits 1 when a goal is missed. Not part
 * of `npm test`.
 */
import { execFile, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { parseDeliveryLog } from '../../src/haproxy/delivery-log.ts';
import { pluginPath, REPO_ROOT } from '../support/cli.ts';
import { type KubeObject, startControlPlane } from '../support/control-plane/index.ts';
import { median } from './report.ts';

const { values } = parseArgs({
  options: {
    deliveries: { type: 'string', default: '10000' },
    runs: { type: 'string', default: '7' },
    rate: { type: 'string', default: '100' },
    'follow-seconds': { type: 'string', default: '120' },
  },
});
const DELIVERIES = Number(values.deliveries);
const RUNS = Number(values.runs);
const RATE = Number(values.rate);
const FOLLOW_SECONDS = Number(values['follow-seconds']);
const GOAL_MS = 1000;

const plane = await startControlPlane({ dataPlane: true });
const dir = mkdtempSync(join(tmpdir(), 'tg-bench-deliveries-'));
const env = { PATH: pluginPath(), HOME: dir, KUBECONFIG: plane.writeKubeconfig(join(dir, 'kubeconfig')) };

function kubectl(...args: string[]): Promise<{ ms: number; stdout: string }> {
  const started = performance.now();
  return new Promise((resolve, reject) =>
    execFile('kubectl', args, { env, maxBuffer: 256 * 1024 * 1024 }, (error, stdout, stderr) =>
      error ? reject(new Error(stderr)) : resolve({ ms: performance.now() - started, stdout }),
    ),
  );
}

const gatewayPods = () => plane.list('pods', 'trigger-gateway') as KubeObject[];

/** The n-th webhook: mostly GitHub pushes, some pull requests, GitLab, and unrouted Bitbucket. */
function webhook(n: number): { path: string; headers: Record<string, string> } {
  const id = `bench-${n}`;
  switch (n % 10) {
    case 0:
      return { path: '/nowhere', headers: { 'X-Event-Key': 'repo:push', 'X-Request-UUID': id } };
    case 1:
      return { path: '/trigger/gl', headers: { 'X-Gitlab-Event': 'Push Hook', 'X-Gitlab-Event-UUID': id } };
    case 2:
      return {
        path: '/trigger/pr',
        headers: { 'X-GitHub-Event': 'pull_request', 'X-GitHub-Delivery': id, 'X-GitHub-Hook-ID': '42' },
      };
    default:
      return {
        path: '/trigger/push',
        headers: { 'X-GitHub-Event': 'push', 'X-GitHub-Delivery': id, 'X-GitHub-Hook-ID': '42' },
      };
  }
}

/** One kept-alive connection pool per gateway pod; webhooks alternate between the pods. */
function sender(pods: KubeObject[]) {
  const targets = pods.map((pod) => ({
    address: plane.dataPlane.podAddress(pod, 8080),
    agent: new Agent({ keepAlive: true, maxSockets: 4 }),
  }));
  let sent = 0;
  return async (): Promise<number> => {
    const n = sent++;
    const target = targets[n % targets.length];
    if (!target) throw new Error('no gateway pods');
    const { path, headers } = webhook(n);
    return new Promise((resolve, reject) => {
      const body = '{"ref":"refs/heads/main","repository":{"full_name":"acme/app"}}';
      const req = httpRequest(
        {
          ...target.address,
          path,
          method: 'POST',
          headers: { ...headers, 'Content-Type': 'application/json' },
          agent: target.agent,
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  };
}

function recordsInLogs(): number {
  return gatewayPods().reduce((sum, pod) => sum + parseDeliveryLog(plane.dataPlane.logs(pod)).length, 0);
}

function rssMiB(pid: number): number | undefined {
  try {
    const kb = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB/m)?.[1];
    return kb ? Math.round(Number(kb) / 1024) : undefined;
  } catch {
    return undefined;
  }
}

try {
  await kubectl('trigger-gateway', 'install', '--with-echo');
  const pods = gatewayPods();
  if (pods.length !== 2) throw new Error(`expected 2 gateway pods, found ${pods.length}`);
  const send = sender(pods);
  // The echo backend resolves on HAProxy's clock: wait until a first request gets through.
  for (let tries = 0; (await send().catch(() => 0)) !== 200; tries++) {
    if (tries > 600) throw new Error('the gateway never answered 200');
    await sleep(100);
  }

  // 1. Fill the logs with real records, 4 requests in flight, until they hold the number wanted (the
  // first requests, sent while waiting for the gateway, count too); how many were sent is reported.
  const fillStarted = performance.now();
  let sentToFill = 0;
  let before = -1;
  for (let missing = DELIVERIES - recordsInLogs(); missing > 0; missing = DELIVERIES - recordsInLogs()) {
    // The logs keep a bounded size (the data plane's, like the kubelet's): stop when they no longer grow.
    if (DELIVERIES - missing <= before) throw new Error(`the pods' logs hold no more than ${before} records`);
    before = DELIVERIES - missing;
    let remaining = missing;
    sentToFill += missing;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (remaining-- > 0) await send();
      }),
    );
    // The last lines may still be on their way from HAProxy's stdout: count again after a moment.
    await sleep(500);
  }
  const fillSeconds = (performance.now() - fillStarted) / 1000;
  const recorded = recordsInLogs();
  console.log(
    `recorded ${recorded} deliveries on 2 pods (${sentToFill} sent for them) in ${fillSeconds.toFixed(1)} s`,
  );

  const commands = {
    all: ['trigger-gateway', 'deliveries'],
    filtered: [
      'trigger-gateway',
      'deliveries',
      '--route',
      '/trigger',
      '--provider',
      'github',
      '--status',
      '2xx',
      '-o',
      'json',
    ],
  };
  const times: Record<keyof typeof commands, number[]> = { all: [], filtered: [] };
  const listed: Record<keyof typeof commands, number> = { all: 0, filtered: 0 };
  for (let run = 0; run <= RUNS; run++) {
    for (const name of ['all', 'filtered'] as const) {
      const { ms, stdout } = await kubectl(...commands[name]);
      listed[name] =
        name === 'all' ? stdout.trimEnd().split('\n').length - 1 : (JSON.parse(stdout) as unknown[]).length;
      if (run > 0) times[name].push(Math.round(ms));
    }
  }
  const reading = Object.fromEntries(
    (['all', 'filtered'] as const).map((name) => [
      name,
      {
        command: `kubectl ${commands[name].join(' ')}`,
        listed: listed[name],
        medianMs: median(times[name]),
        runsMs: times[name],
      },
    ]),
  );
  for (const [name, figures] of Object.entries(reading))
    console.log(
      `${name}: ${figures.listed} listed, median ${figures.medianMs} ms (${figures.runsMs.join(', ')})`,
    );

  // 2. --follow under a steady stream.
  const follow = spawn(
    join(REPO_ROOT, 'bin', 'run.js'),
    ['deliveries', '--follow', '-o', 'json', '--kubeconfig', env.KUBECONFIG],
    { env },
  );
  let printed = 0;
  let stderr = '';
  follow.stdout.on('data', (chunk: Buffer) => {
    for (const byte of chunk) if (byte === 10) printed++;
  });
  follow.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => follow.once('exit', (code) => resolve(code)));
  while ((stderr.match(/^\+ /gm) ?? []).length < 2) {
    if (follow.exitCode !== null) throw new Error(`deliveries --follow ended: ${stderr}`);
    await sleep(50);
  }
  const samples: Array<{ seconds: number; rssMiB: number | undefined; printed: number }> = [];
  const followStarted = performance.now();
  let streamed = 0;
  let nextSample = 0;
  const inFlight = new Set<Promise<unknown>>();
  // A steady `RATE` a second, paced by the clock; the sample every 5 s reads /proc.
  while (performance.now() - followStarted < FOLLOW_SECONDS * 1000) {
    const elapsed = (performance.now() - followStarted) / 1000;
    while (streamed < elapsed * RATE) {
      streamed++;
      const request = send().finally(() => inFlight.delete(request));
      inFlight.add(request);
    }
    if (elapsed >= nextSample) {
      samples.push({ seconds: Math.round(elapsed), rssMiB: rssMiB(follow.pid ?? 0), printed });
      console.log(`${Math.round(elapsed)}s  ${samples.at(-1)?.rssMiB ?? '?'} MiB  ${printed} printed`);
      nextSample += 5;
    }
    await sleep(10);
  }
  await Promise.all(inFlight);
  const deadline = Date.now() + 60_000;
  while (printed < streamed && Date.now() < deadline) await sleep(50);
  samples.push({
    seconds: Math.round((performance.now() - followStarted) / 1000),
    rssMiB: rssMiB(follow.pid ?? 0),
    printed,
  });
  follow.kill('SIGINT');
  const exitCode = await exited;
  const measured = samples.flatMap((sample) => (sample.rssMiB === undefined ? [] : [sample.rssMiB]));
  const firstHalf = measured.slice(0, Math.ceil(measured.length / 2));
  const secondHalf = measured.slice(Math.ceil(measured.length / 2));

  const result = {
    date: new Date().toISOString(),
    cpu: cpus()[0]?.model.trim(),
    cores: cpus().length,
    node: execFileSync('node', ['--version'], { env, encoding: 'utf8' }).trim(),
    recorded,
    sentToFill,
    generated: 'real webhooks sent through the 2 real HAProxy gateway pods; their records are the pods’ logs',
    fillSeconds: Math.round(fillSeconds * 10) / 10,
    goalMs: GOAL_MS,
    reading,
    follow: {
      command: 'kubectl trigger-gateway deliveries --follow -o json',
      seconds: FOLLOW_SECONDS,
      ratePerSecond: RATE,
      sent: streamed,
      printed,
      exitCode,
      maxMiB: Math.max(...measured),
      medianFirstHalfMiB: median(firstHalf),
      medianSecondHalfMiB: median(secondHalf),
      samples,
    },
  };
  const resultsDir = join(REPO_ROOT, 'test', 'bench', 'results');
  mkdirSync(resultsDir, { recursive: true });
  const file = join(resultsDir, `deliveries-${new Date().toISOString().slice(0, 10)}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  console.log(
    `follow: ${printed}/${streamed} printed, RSS max ${result.follow.maxMiB} MiB, median ${result.follow.medianFirstHalfMiB} → ${result.follow.medianSecondHalfMiB} MiB, exit ${exitCode}; written to ${file}`,
  );
  const met =
    Object.values(reading).every((figures) => figures.medianMs < GOAL_MS) &&
    printed === streamed &&
    exitCode === 0;
  process.exitCode = met ? 0 : 1;
} finally {
  await plane.stop();
}
