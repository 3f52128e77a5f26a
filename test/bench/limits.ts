/**
 * Route limits under abuse: does one abused route (or listener) leave the others serving?
 *
 *   npx tsx test/bench/limits.ts [--seconds=8] [--runs=3] [--rate=100] [--slow-clients=500] [--baseline=REV]
 *
 * Two real HAProxy gateways on 127.0.0.1, each with the same four routes to local listeners:
 *   - "with limits": the bundled config, routes written by addRoute with limits:
 *     /flooded --rate-limit 100/s, /hanging --max-concurrent 10, /measured and /other (defaults);
 *   - "before limits": the bundled config before route limits existed (read from git at --baseline, the last
 *     commit of main before they were merged), the same routes without limits.
 * Listeners are one tiny HAProxy answering 200 (as in run.ts), and for /hanging a Node server that
 * accepts every request and never answers. Load comes from this file run as child processes (open-loop
 * senders on loopback, so a slow answer never slows the sending). Three runs each, interleaved:
 *   unloaded  /measured alone at --rate requests/s: its p99 is the reference;
 *   flood     /measured at --rate while /flooded gets 10× its limit (1000/s);
 *   hanging   /measured at --rate while 200 requests at a time wait on the hanging listener;
 *   slowloris /measured at --rate while --slow-clients connections dribble one header byte a second.
 * For each: the success rate of /measured (2xx), its p99, and p99 / unloaded p99. Goals (for the
 * "limits" gateway): 100% success and p99 within 1.5× unloaded in every scenario. Prints a Markdown
 * table and writes test/bench/results/limits-<date>.json. Exits 1 when a goal is missed. Not part of
 * `npm test`: the figures mean something only on quiet cores.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { connect, createServer, type Socket } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { load } from 'js-yaml';
import { serviceAddress } from '../../src/haproxy/route-render.ts';
import { addRoute, type RouteLimitSettings, type RouteSpec } from '../../src/haproxy/routes.ts';
import { bundledGatewayConfig, findHaproxy } from '../support/haproxy.ts';
import { freePort } from '../support/ports.ts';
import { upstreamConfig } from './configs.ts';
import { cleanupAll, installCleanupHandlers, startBenchHaproxy } from './processes.ts';
import { percentile } from './report.ts';

const { values } = parseArgs({
  options: {
    role: { type: 'string' },
    port: { type: 'string' },
    path: { type: 'string' },
    rate: { type: 'string', default: '100' },
    seconds: { type: 'string', default: '8' },
    runs: { type: 'string', default: '3' },
    concurrency: { type: 'string', default: '200' },
    'slow-clients': { type: 'string', default: '500' },
    // main just before the route limits were merged into it.
    baseline: { type: 'string', default: '9c6a849' },
  },
});

// ---------------------------------------------------------------------------------------------
// Load roles, run as child processes so that the gateway, the senders and the measuring client do
// not share one event loop. Each prints one JSON line with its figures when done.

interface SenderFigures {
  sent: number;
  statuses: Record<string, number>;
  errors: number;
  latenciesMs: number[];
}

/** Open loop: `rate` requests a second for `seconds`, whatever the answers take. */
async function openLoop(port: number, path: string, rate: number, seconds: number): Promise<SenderFigures> {
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const figures: SenderFigures = { sent: 0, statuses: {}, errors: 0, latenciesMs: [] };
  const pending: Array<Promise<void>> = [];
  const started = performance.now();
  const total = Math.round(rate * seconds);
  const body = JSON.stringify({ ref: 'refs/heads/main', padding: 'x'.repeat(2000) });
  for (let n = 0; n < total; n++) {
    const due = started + (n * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    figures.sent++;
    const sentAt = performance.now();
    pending.push(
      new Promise<void>((resolve) => {
        const req = httpRequest(
          {
            host: '127.0.0.1',
            port,
            path,
            method: 'POST',
            agent,
            headers: { 'content-type': 'application/json', 'x-github-event': 'push' },
          },
          (res) => {
            res.resume();
            res.on('end', () => {
              const status = String(res.statusCode);
              figures.statuses[status] = (figures.statuses[status] ?? 0) + 1;
              figures.latenciesMs.push(performance.now() - sentAt);
              resolve();
            });
          },
        );
        req.setTimeout(60_000, () => req.destroy(new Error('timeout')));
        req.on('error', () => {
          figures.errors++;
          resolve();
        });
        req.end(body);
      }),
    );
  }
  await Promise.all(pending);
  agent.destroy();
  return figures;
}

/** Closed loop: `concurrency` requests always in flight to `path` (the hanging listener), for `seconds`. */
async function closedLoop(
  port: number,
  path: string,
  concurrency: number,
  seconds: number,
): Promise<SenderFigures> {
  const figures: SenderFigures = { sent: 0, statuses: {}, errors: 0, latenciesMs: [] };
  const until = performance.now() + seconds * 1000;
  const one = (): Promise<void> =>
    new Promise((resolve) => {
      figures.sent++;
      const req = httpRequest({ host: '127.0.0.1', port, path, method: 'POST', agent: false }, (res) => {
        res.resume();
        res.on('end', () => {
          const status = String(res.statusCode);
          figures.statuses[status] = (figures.statuses[status] ?? 0) + 1;
          resolve();
        });
      });
      req.setTimeout(Math.max(1, until - performance.now()), () => req.destroy());
      req.on('error', () => {
        figures.errors++;
        resolve();
      });
      req.end('{}');
    });
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < until) await one();
    }),
  );
  return figures;
}

/** Slowloris: `clients` connections sending a request's headers one byte a second, reopened when closed. */
async function slowClients(port: number, clients: number, seconds: number): Promise<SenderFigures> {
  const figures: SenderFigures = { sent: 0, statuses: {}, errors: 0, latenciesMs: [] };
  const until = performance.now() + seconds * 1000;
  const head = 'POST /measured HTTP/1.1\r\nHost: gateway\r\nX-Slow: ';
  const sockets = new Set<Socket>();
  const open = (): void => {
    if (performance.now() >= until) return;
    figures.sent++;
    const socket = connect({ host: '127.0.0.1', port });
    sockets.add(socket);
    let timer: NodeJS.Timeout | undefined;
    socket.on('connect', () => {
      socket.write(head);
      timer = setInterval(() => socket.write('a'), 1000);
    });
    socket.on('data', (chunk: Buffer) => {
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(chunk.toString())?.[1] ?? 'other';
      figures.statuses[status] = (figures.statuses[status] ?? 0) + 1;
    });
    socket.on('error', () => {
      figures.errors++;
    });
    socket.on('close', () => {
      clearInterval(timer);
      sockets.delete(socket);
      open();
    });
  };
  for (let n = 0; n < clients; n++) open();
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  for (const socket of sockets) socket.destroy();
  return figures;
}

async function runRole(role: string): Promise<void> {
  const port = Number(values.port);
  const seconds = Number(values.seconds);
  let figures: SenderFigures;
  if (role === 'open') figures = await openLoop(port, values.path ?? '/', Number(values.rate), seconds);
  else if (role === 'closed')
    figures = await closedLoop(port, values.path ?? '/', Number(values.concurrency), seconds);
  else if (role === 'slow') figures = await slowClients(port, Number(values['slow-clients']), seconds);
  else throw new Error(`unknown role ${role}`);
  process.stdout.write(`${JSON.stringify(figures)}\n`);
}

// ---------------------------------------------------------------------------------------------
// The benchmark itself.

const SELF = fileURLToPath(import.meta.url);

/** Runs this file as a load role in a child process; resolves with its figures. */
function role(args: Record<string, string | number>): Promise<SenderFigures> {
  const flags = Object.entries(args).map(([key, value]) => `--${key}=${value}`);
  const child = spawn(process.execPath, [...process.execArgv, SELF, ...flags], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  return new Promise((resolve, reject) =>
    child.once('exit', (code) =>
      code === 0
        ? resolve(JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as SenderFigures)
        : reject(new Error(`load role exited ${code}`)),
    ),
  );
}

const ROUTES: Array<{ path: string; limits: RouteLimitSettings }> = [
  { path: '/flooded', limits: { rateLimit: { requests: 100, per: 's', perSource: false } } },
  { path: '/hanging', limits: { maxConcurrent: 10 } },
  { path: '/measured', limits: {} },
  { path: '/other', limits: {} },
];
const NO_LIMITS: RouteLimitSettings = {
  maxBody: null,
  rateLimit: null,
  allowFrom: null,
  maxConcurrent: null,
};

function spec(path: string, limits: RouteLimitSettings): RouteSpec {
  return {
    match: { type: 'path', path },
    service: { name: `el${path.replaceAll('/', '-')}`, namespace: 'ci', port: 8080 },
    limits,
  };
}

/** The bundled haproxy.cfg as it was before route limits (--baseline). */
function mainBundledConfig(): string {
  const yaml = execFileSync('git', ['show', `${values.baseline}:manifests/20-configmap.yaml`], {
    encoding: 'utf8',
  });
  const configMap = load(yaml) as { data: Record<string, string> };
  const cfg = configMap.data['haproxy.cfg'];
  if (!cfg) throw new Error(`${values.baseline} has no bundled haproxy.cfg`);
  return cfg;
}

function gatewayConfig(base: string, withLimits: boolean, upstream: number, hanging: number): string {
  let cfg = base;
  for (const route of ROUTES) {
    const one = spec(route.path, withLimits ? route.limits : NO_LIMITS);
    cfg = addRoute(cfg, one, { overwrite: false }).cfg;
    // main writes no limits comment: its backends are exactly the server line.
    if (!withLimits) cfg = cfg.replace(/^ *# limits following the gateway defaults: none\n/m, '');
    const target = route.path === '/hanging' ? hanging : upstream;
    cfg = cfg.replace(serviceAddress(one.service), `127.0.0.1:${target}`);
  }
  return cfg;
}

interface Measurement {
  gateway: string;
  scenario: string;
  run: number;
  successRate: number;
  p99Ms: number;
  p50Ms: number;
  achievedRate: number;
  abuse?: Record<string, number>;
}

async function main(): Promise<void> {
  const haproxy = findHaproxy();
  if (!haproxy) throw new Error('haproxy is not installed (apt-get install haproxy)');
  installCleanupHandlers();
  const seconds = Number(values.seconds);
  const runs = Number(values.runs);
  const rate = Number(values.rate);

  const upstreamPort = await freePort();
  await startBenchHaproxy(
    haproxy,
    'upstream',
    upstreamConfig(upstreamPort),
    { http: upstreamPort, stats: upstreamPort },
    undefined,
    undefined,
    false,
  );
  const hangingPort = await freePort();
  const held = new Set<Socket>();
  const hangingServer = createServer((socket) => {
    held.add(socket);
    socket.on('data', () => undefined);
    socket.on('close', () => held.delete(socket));
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => hangingServer.listen(hangingPort, '127.0.0.1', resolve));

  const gateways = [
    {
      name: 'with limits',
      cfg: gatewayConfig(bundledGatewayConfig(false), true, upstreamPort, hangingPort),
    },
    {
      name: 'before limits',
      cfg: gatewayConfig(mainBundledConfig(), false, upstreamPort, hangingPort),
    },
  ];
  const running = [];
  for (const gateway of gateways) {
    const ports = { http: await freePort(), stats: await freePort() };
    running.push({
      ...gateway,
      port: (await startBenchHaproxy(haproxy, gateway.name, gateway.cfg, ports, undefined, undefined)).ports
        .http,
    });
  }

  // Warm-up: connections, caches and the JIT of the senders, unrecorded.
  for (const gateway of running)
    await role({ role: 'open', port: gateway.port, path: '/measured', rate, seconds: 2 });

  const measurements: Measurement[] = [];
  const scenarios = ['unloaded', 'flood', 'hanging', 'slowloris'] as const;
  for (let run = 1; run <= runs; run++) {
    // Serpentine order: no gateway always goes first.
    const order = run % 2 === 1 ? running : [...running].reverse();
    for (const gateway of order) {
      for (const scenario of scenarios) {
        const measuredArgs = { role: 'open', port: gateway.port, path: '/measured', rate, seconds };
        const abuse =
          scenario === 'flood'
            ? role({ role: 'open', port: gateway.port, path: '/flooded', rate: 1000, seconds: seconds + 1 })
            : scenario === 'hanging'
              ? role({
                  role: 'closed',
                  port: gateway.port,
                  path: '/hanging',
                  concurrency: Number(values.concurrency),
                  seconds: seconds + 1,
                })
              : scenario === 'slowloris'
                ? role({
                    role: 'slow',
                    port: gateway.port,
                    'slow-clients': Number(values['slow-clients']),
                    seconds: seconds + 1,
                  })
                : undefined;
        // Let the abuse start before measuring.
        if (abuse) await new Promise((resolve) => setTimeout(resolve, 1000));
        const measured = await role(measuredArgs);
        const abused = abuse ? await abuse : undefined;
        for (const socket of held) socket.destroy();
        // Let the gateway close what the abuse left open before the next measurement.
        if (abuse) await new Promise((resolve) => setTimeout(resolve, 2000));
        const ok = Object.entries(measured.statuses)
          .filter(([status]) => status.startsWith('2'))
          .reduce((sum, [, count]) => sum + count, 0);
        const sorted = [...measured.latenciesMs].sort((a, b) => a - b);
        const measurement: Measurement = {
          gateway: gateway.name,
          scenario,
          run,
          successRate: ok / measured.sent,
          p99Ms: percentile(sorted, 99),
          p50Ms: percentile(sorted, 50),
          achievedRate: ok / seconds,
          ...(abused ? { abuse: { ...abused.statuses, errors: abused.errors, sent: abused.sent } } : {}),
        };
        measurements.push(measurement);
        process.stderr.write(
          `${gateway.name} ${scenario} run ${run}: ${(measurement.successRate * 100).toFixed(2)}% ok, p50 ${measurement.p50Ms.toFixed(2)} ms, p99 ${measurement.p99Ms.toFixed(2)} ms${abused ? `, abuse ${JSON.stringify(measurement.abuse)}` : ''}\n`,
        );
      }
    }
  }

  // Medians over the runs, side by side.
  const median = (numbers: number[]) => {
    const sorted = [...numbers].sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
  };
  const rows: string[] = [
    '| scenario | gateway | /measured success | p99 (ms) | p99 / unloaded p99 | abused route answers |',
    '|---|---|---|---|---|---|',
  ];
  let missed = false;
  for (const scenario of scenarios) {
    for (const gateway of running) {
      const these = measurements.filter((m) => m.gateway === gateway.name && m.scenario === scenario);
      const unloaded = median(
        measurements
          .filter((m) => m.gateway === gateway.name && m.scenario === 'unloaded')
          .map((m) => m.p99Ms),
      );
      const success = Math.min(...these.map((m) => m.successRate));
      const p99 = median(these.map((m) => m.p99Ms));
      const ratio = p99 / unloaded;
      const abuse = these[0]?.abuse;
      const answers = abuse
        ? Object.entries(abuse)
            .filter(([key]) => key !== 'sent')
            .map(([key, count]) => `${key}: ${count}`)
            .join(', ')
        : '-';
      if (gateway.name.startsWith('limits') && (success < 1 || ratio > 1.5)) missed = true;
      rows.push(
        `| ${scenario} | ${gateway.name} | ${(success * 100).toFixed(2)}% (worst of ${these.length}) | ${p99.toFixed(2)} | ${scenario === 'unloaded' ? '1.00' : ratio.toFixed(2)} | ${answers} (run 1) |`,
      );
    }
  }
  const table = rows.join('\n');
  process.stdout.write(`${table}\n`);
  const date = new Date().toISOString().slice(0, 10);
  const dir = fileURLToPath(new URL('./results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    `${dir}limits-${date}.json`,
    `${JSON.stringify(
      {
        command: `npx tsx test/bench/limits.ts --seconds=${seconds} --runs=${runs} --rate=${rate} --slow-clients=${values['slow-clients']}`,
        haproxy: execFileSync(haproxy, ['-v'], { encoding: 'utf8' }).split('\n')[0],
        cpus: cpus().length,
        loadavg: loadavg(),
        measurements,
        table,
      },
      null,
      2,
    )}\n`,
  );
  hangingServer.close();
  cleanupAll();
  process.exitCode = missed ? 1 : 0;
}

if (values.role) await runRole(values.role);
else await main();
