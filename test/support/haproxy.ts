/**
 * Runs a real HAProxy on a gateway config: `haproxy -c`, and a foreground process bound to free
 * 127.0.0.1 ports. Tests use Debian's haproxy (2.6) when it is installed.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONFIG_PATH, GATEWAY_HTTP_PORT, GATEWAY_STATS_PORT } from '../../src/haproxy/gateway-config.ts';
import { BUILT_IN_DEFAULTS, LIMIT_NAMES, renderLimitLines } from '../../src/haproxy/route-limits.ts';
import { configForCheck, findHaproxyBinary } from '../../src/services/haproxy-check.ts';
import {
  DEFAULT_GATEWAY_OPTIONS,
  loadBundledManifests,
  renderGatewayManifests,
} from '../../src/manifests/render.ts';
import { freePort } from './ports.ts';

/** The haproxy the product itself would use for `haproxy -c`. */
export const findHaproxy = findHaproxyBinary;

export const HAPROXY_MISSING =
  'haproxy is not installed (apt-get install haproxy, or set HAPROXY_BIN); skipped here; CI requires it';

/** The lines a route backend gets from the built-in defaults (max-body 25MiB), for tests about where lines go. */
export function defaultLimitLines(indent = '    '): string[] {
  return renderLimitLines(BUILT_IN_DEFAULTS, LIMIT_NAMES).lines.map((line) => `${indent}${line}`);
}

/** The haproxy.cfg install would put in the ConfigMap, with or without the echo route. */
export function bundledGatewayConfig(withEcho: boolean): string {
  const objects = renderGatewayManifests(loadBundledManifests(), { ...DEFAULT_GATEWAY_OPTIONS, withEcho });
  const configMap = objects.find((object) => object.kind === 'ConfigMap') as
    { data?: Record<string, string> } | undefined;
  const cfg = configMap?.data?.['haproxy.cfg'];
  if (cfg === undefined) throw new Error('the rendered manifests have no haproxy.cfg');
  return cfg;
}

const FIXTURES = fileURLToPath(new URL('./fixtures/haproxy/', import.meta.url));

/** The hand-written configs under test/support/fixtures/haproxy/ (each holds the tool's empty or filled blocks). */
export const HAPROXY_FIXTURES = ['acl-per-route.cfg', 'header-acl.cfg', 'hand-edited.cfg'] as const;
/**
 * Hand-made gateways in the style written before the tool existed: no marked blocks at all. The
 * tabs and comments ones bind :8080 and route to x.y.svc.cluster.local:80, for pods of the data plane.
 */
export const ORIGINAL_FIXTURES = [
  'original-acl.cfg',
  'original-header.cfg',
  'original-tabs.cfg',
  'original-comments.cfg',
] as const;
export type HaproxyFixture = (typeof HAPROXY_FIXTURES)[number] | (typeof ORIGINAL_FIXTURES)[number];

/** A fixture's text; `crlf` gives the same config with CRLF line endings. */
export function haproxyFixture(name: HaproxyFixture, options: { crlf?: boolean } = {}): string {
  const text = readFileSync(join(FIXTURES, name), 'utf8');
  return options.crlf ? text.replaceAll('\n', '\r\n') : text;
}

export interface LocalPorts {
  http: number;
  stats: number;
}

/**
 * Hand-written server lines (those without `init-addr`) name in-cluster Services, which do not resolve
 * off-cluster and stop HAProxy, as they always did: points them at `address` instead.
 */
export function withLocalHandServers(cfg: string, address = '127.0.0.1:9'): string {
  return cfg.replace(/^([ \t]*server[ \t]+\S+[ \t]+)\S+(.*)$/gm, (line, prefix: string, rest: string) =>
    rest.includes('init-addr') ? line : `${prefix}${address}${rest}`,
  );
}

/**
 * The config as a local HAProxy can run it: binds moved to 127.0.0.1 ports, and the route map read from
 * `configPath` (the file it is written to) instead of the pod's mount path. Binds on other ports throw,
 * unless `otherBinds` is 'keep' (for `haproxy -c`, which binds nothing). `httpPort` is the port the
 * config's webhook frontend binds (the bundled config's by default; hand-made ones use 80 too).
 */
export function localizeConfig(
  cfg: string,
  ports: LocalPorts,
  configPath: string,
  otherBinds: 'throw' | 'keep' = 'throw',
  httpPort = GATEWAY_HTTP_PORT,
): string {
  const byPort = new Map([
    [httpPort, ports.http],
    [GATEWAY_STATS_PORT, ports.stats],
  ]);
  return cfg
    .replace(/^(\s*bind\s+)\S*:(\d+)/gm, (line, prefix: string, port: string) => {
      const local = byPort.get(Number(port));
      if (local !== undefined) return `${prefix}127.0.0.1:${local}`;
      if (otherBinds === 'keep') return line;
      throw new Error(`unexpected bind in the config: ${line.trim()}`);
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

/**
 * `haproxy -c` on the config (ports and paths localized); never throws on an invalid config. `files`
 * maps paths the config names (a TLS certificate, say) to contents written to the temp dir instead.
 */
export async function checkConfig(
  haproxy: string,
  cfg: string,
  files: Record<string, string> = {},
): Promise<CheckResult> {
  const dir = tempConfigDir();
  const path = join(dir, 'haproxy.cfg');
  try {
    let local = localizeConfig(cfg, { http: GATEWAY_HTTP_PORT, stats: GATEWAY_STATS_PORT }, path, 'keep');
    for (const [index, [original, content]] of Object.entries(files).entries()) {
      const copy = join(dir, `file-${index}`);
      writeFileSync(copy, content);
      local = local.replaceAll(original, copy);
    }
    // The product's own check rewrites the config the same way: no DNS lookups at check time.
    writeFileSync(path, configForCheck(local));
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

export interface StartOptions {
  /** The port the config's webhook frontend binds; the bundled config's by default. */
  httpPort?: number;
  /** Whether the config has the stats frontend to wait for (hand-made configs do not); true by default. */
  stats?: boolean;
}

/** Starts `haproxy -db` on the config with free local ports; resolves once its ports accept connections. */
export async function startHaproxy(
  haproxy: string,
  cfg: string,
  options: StartOptions = {},
): Promise<RunningHaproxy> {
  const ports = { http: await freePort(), stats: await freePort() };
  const dir = tempConfigDir();
  const path = join(dir, 'haproxy.cfg');
  writeFileSync(path, localizeConfig(cfg, ports, path, 'throw', options.httpPort));
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
    if (options.stats ?? true) await waitForPort(ports.stats, 200, () => dead);
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
  headers: Record<string, string> = {},
): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method, headers, agent: false }, (res) => {
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
