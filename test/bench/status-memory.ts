/**
 * Memory of the live `status` view over time, on a gateway with many routes.
 *
 *   npx tsx test/bench/status-memory.ts [--routes=100] [--minutes=10] [--sample=30] [--rate=10]
 *
 * Starts a control plane with real HAProxy pods, installs the gateway with the echo backend, routes
 * `--routes` paths to it (the production addRoute, then one `route add` through kubectl so the pods
 * roll to the final config), and runs `kubectl trigger-gateway status` on a pseudo-terminal (`script`)
 * for `--minutes` while `--rate` GitHub webhooks a second go through the gateway to the routes in turn
 * (the view's delivery feed reads every one), sampling the plugin's resident memory every `--sample`
 * seconds from /proc. Goal:
 * under 150 MiB at the end. Results go to test/bench/results/status-memory-<date>.json. Exits 1 when
 * the goal is missed. Not part of `npm test`.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { addRoute } from '../../src/haproxy/routes.ts';
import { pluginPath, REPO_ROOT } from '../support/cli.ts';
import { startControlPlane } from '../support/control-plane/index.ts';

const { values } = parseArgs({
  options: {
    routes: { type: 'string', default: '100' },
    minutes: { type: 'string', default: '10' },
    sample: { type: 'string', default: '30' },
    rate: { type: 'string', default: '10' },
  },
});
const ROUTES = Number(values.routes);
const MINUTES = Number(values.minutes);
const SAMPLE_SECONDS = Number(values.sample);
const RATE = Number(values.rate);
const GOAL_MIB = 150;

const plane = await startControlPlane({ dataPlane: true });
const dir = mkdtempSync(join(tmpdir(), 'tg-bench-memory-'));
const env = {
  PATH: pluginPath(),
  HOME: dir,
  KUBECONFIG: plane.writeKubeconfig(join(dir, 'kubeconfig')),
  TERM: 'xterm',
};

const kubectl = (...args: string[]) =>
  new Promise<void>((resolve, reject) =>
    execFile('kubectl', args, { env }, (error, _out, stderr) =>
      error ? reject(new Error(stderr)) : resolve(),
    ),
  );

/** Resident memory of the plugin's node process under `script`, in MiB, from /proc. */
function pluginRss(): number | undefined {
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      // bin/run.js, or the name kubectl runs it by; arguments are NUL-separated.
      const [, script = '', command] = cmdline.split('\u0000');
      if (!/(?:run\.js|kubectl-trigger_gateway)$/.test(script) || command !== 'status') continue;
      const rss = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB/m)?.[1];
      if (rss) return Math.round(Number(rss) / 1024);
    } catch {
      // the process went away between the listing and the read
    }
  }
  return undefined;
}

/** One GitHub webhook through the gateway Service; its status does not matter here, only that it is recorded. */
function sendDelivery(path: string, id: string): Promise<void> {
  const { host, port } = plane.dataPlane.serviceAddress('trigger-gateway', 'trigger-gateway', 80);
  const headers = { 'X-GitHub-Event': 'push', 'X-GitHub-Delivery': id, 'Content-Type': 'application/json' };
  return new Promise((resolve) => {
    const req = httpRequest({ host, port, path, method: 'POST', headers, agent: false }, (res) => {
      res.resume();
      res.on('end', resolve);
    });
    req.on('error', () => resolve());
    req.end('{"ref":"refs/heads/main"}');
  });
}

try {
  await kubectl('trigger-gateway', 'install', '--with-echo');
  const configMap = plane.get('configmaps', 'trigger-gateway-haproxy', 'trigger-gateway') as {
    data: Record<string, string>;
  } & Parameters<typeof plane.put>[0];
  let cfg = configMap.data['haproxy.cfg'] ?? '';
  for (let index = 1; index < ROUTES; index++) {
    cfg = addRoute(
      cfg,
      {
        match: { type: 'path', path: `/hook-${index}` },
        service: { name: 'httpecho', namespace: 'trigger', port: 80 },
      },
      { namespace: 'trigger-gateway', overwrite: false },
    ).cfg;
  }
  plane.put({ ...configMap, data: { ...configMap.data, 'haproxy.cfg': cfg } });
  await kubectl('trigger-gateway', 'route', 'add', `/hook-${ROUTES}`, 'httpecho.trigger:80');

  const view = spawn('script', ['-qfc', 'kubectl trigger-gateway status', '/dev/null'], { env });
  view.stdout.resume();
  const samples: Array<{ seconds: number; rssMiB: number | undefined; sent: number }> = [];
  const started = Date.now();
  let sent = 0;
  let nextSample = SAMPLE_SECONDS;
  // A steady RATE a second, paced by the clock; a sample every SAMPLE_SECONDS reads /proc.
  while (Date.now() - started < MINUTES * 60_000) {
    const elapsed = (Date.now() - started) / 1000;
    while (sent < elapsed * RATE) {
      sent += 1;
      await sendDelivery(`/hook-${(sent % ROUTES) + 1}/push`, `gh-bench-${sent}`);
    }
    if (elapsed >= nextSample) {
      nextSample += SAMPLE_SECONDS;
      const sample = { seconds: Math.round(elapsed), rssMiB: pluginRss(), sent };
      samples.push(sample);
      console.log(`${sample.seconds}s  ${sample.rssMiB ?? '?'} MiB  ${sent} deliveries`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  view.stdin.write('q');
  const measured = samples.flatMap((sample) => (sample.rssMiB === undefined ? [] : [sample.rssMiB]));
  const final = measured.at(-1);
  const result = {
    date: new Date().toISOString(),
    routes: ROUTES,
    minutes: MINUTES,
    ratePerSecond: RATE,
    deliveries: sent,
    goalMiB: GOAL_MIB,
    final,
    max: Math.max(...measured),
    samples,
  };
  const resultsDir = join(REPO_ROOT, 'test', 'bench', 'results');
  mkdirSync(resultsDir, { recursive: true });
  const file = join(resultsDir, `status-memory-${new Date().toISOString().slice(0, 10)}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`final ${final} MiB, max ${result.max} MiB (goal < ${GOAL_MIB} MiB); written to ${file}`);
  process.exitCode = final !== undefined && final < GOAL_MIB ? 0 : 1;
} finally {
  await plane.stop();
}
