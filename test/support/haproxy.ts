/**
 * Runs a real HAProxy on a gateway config: `haproxy -c`, and a foreground process bound to free
 * 127.0.0.1 ports. Tests use Debian's haproxy (2.6) when it is installed.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { CONFIG_PATH, GATEWAY_HTTP_PORT, GATEWAY_STATS_PORT } from '../../src/haproxy/gateway-config.ts';
import {
  DEFAULT_GATEWAY_OPTIONS,
  loadBundledManifests,
  renderGatewayManifests,
} from '../../src/manifests/render.ts';
import { freePort } from './ports.ts';

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** HAPROXY_BIN, else Debian's /usr/sbin/haproxy, else the first haproxy on PATH. */
export function findHaproxy(): string | undefined {
  const candidates = [
    process.env.HAPROXY_BIN,
    '/usr/sbin/haproxy',
    ...(process.env.PATH ?? '').split(delimiter).map((dir) => join(dir, 'haproxy')),
  ];
  return candidates.find((path): path is string => path !== undefined && path !== '' && isExecutable(path));
}

export const HAPROXY_MISSING =
  'haproxy is not installed (apt-get install haproxy, or set HAPROXY_BIN); skipped here; CI requires it';

/** The haproxy.cfg install would put in the ConfigMap, with or without the echo route. */
export function bundledGatewayConfig(withEcho: boolean): string {
  const objects = renderGatewayManifests(loadBundledManifests(), { ...DEFAULT_GATEWAY_OPTIONS, withEcho });
  const configMap = objects.find((object) => object.kind === 'ConfigMap') as
    { data?: Record<string, string> } | undefined;
  const cfg = configMap?.data?.['haproxy.cfg'];
  if (cfg === undefined) throw new Error('the rendered manifests have no haproxy.cfg');
  return cfg;
}

export interface LocalPorts {
  http: number;
  stats: number;
}

/**
 * The config as a local HAProxy can run it: binds moved to 127.0.0.1 ports, and the route map read from
 * `configPath` (the file it is written to) instead of the pod's mount path.
 */
export function localizeConfig(cfg: string, ports: LocalPorts, configPath: string): string {
  const byPort = new Map([
    [GATEWAY_HTTP_PORT, ports.http],
    [GATEWAY_STATS_PORT, ports.stats],
  ]);
  return cfg
    .replace(/^(\s*bind\s+)\S*:(\d+)/gm, (line, prefix: string, port: string) => {
      const local = byPort.get(Number(port));
      if (local === undefined) throw new Error(`unexpected bind in the config: ${line.trim()}`);
      return `${prefix}127.0.0.1:${local}`;
    })
    .replaceAll(CONFIG_PATH, configPath);
}

function tempConfigDir(): string {
  return mkdtempSync(join(tmpdir(), 'trigger-gateway-haproxy-'));
}

export interface CheckResult {
  ok: boolean;
  output: string;
}

/** `haproxy -c` on the config (ports and paths localized); never throws on an invalid config. */
export async function checkConfig(haproxy: string, cfg: string): Promise<CheckResult> {
  const dir = tempConfigDir();
  const path = join(dir, 'haproxy.cfg');
  try {
    writeFileSync(path, localizeConfig(cfg, { http: GATEWAY_HTTP_PORT, stats: GATEWAY_STATS_PORT }, path));
    return await new Promise((resolve) => {
      execFile(haproxy, ['-c', '-f', path], { timeout: 30_000 }, (error, stdout, stderr) => {
        resolve({ ok: error === null, output: `${stdout}${stderr}` });
      });
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Resolves once something accepts TCP connections on 127.0.0.1:port; gives up after `attempts`. */
export async function waitForPort(
  port: number,
  attempts = 200,
  isDead: () => boolean = () => false,
): Promise<void> {
  for (let attempt = 0; attempt < attempts; attempt++) {
    if (isDead()) throw new Error(`the process meant to listen on ${port} exited`);
    const accepted = await new Promise<boolean>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (accepted) return;
    // Back off a little between attempts; the count bounds the wait.
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`nothing accepted connections on 127.0.0.1:${port} after ${attempts} attempts`);
}

/** Whether a new TCP connection to 127.0.0.1:port is refused right now. */
export async function isRefused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

export interface RunningHaproxy {
  ports: LocalPorts;
  process: ChildProcess;
  /** Everything HAProxy printed so far. */
  output(): string;
  /** Resolves with the exit code once HAProxy has exited. */
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

/** Starts `haproxy -db` on the config with free local ports; resolves once both ports accept connections. */
export async function startHaproxy(haproxy: string, cfg: string): Promise<RunningHaproxy> {
  const ports = { http: await freePort(), stats: await freePort() };
  const dir = tempConfigDir();
  const path = join(dir, 'haproxy.cfg');
  writeFileSync(path, localizeConfig(cfg, ports, path));
  const child = spawn(haproxy, ['-db', '-f', path], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  let dead = false;
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      dead = true;
      rmSync(dir, { recursive: true, force: true });
      resolve(code);
    });
  });
  const running: RunningHaproxy = {
    ports,
    process: child,
    output: () => output,
    exited,
    async stop() {
      if (!dead) child.kill('SIGKILL');
      await exited;
    },
  };
  try {
    await waitForPort(ports.http, 200, () => dead);
    await waitForPort(ports.stats, 200, () => dead);
  } catch (error) {
    await running.stop();
    throw new Error(`haproxy did not start: ${(error as Error).message}\n${output}`);
  }
  return running;
}

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** One plain HTTP/1.1 request to 127.0.0.1 on a fresh connection (no keep-alive pool). */
export async function request(
  port: number,
  path: string,
  method = 'GET',
  body?: string,
): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        text += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}
