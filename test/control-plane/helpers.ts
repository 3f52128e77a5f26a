/** Running the real kubectl, and raw HTTPS requests, against a test control plane. */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ControlPlane, KubeconfigOptions } from '../support/control-plane/index.ts';

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

export interface Kubectl {
  (...args: string[]): Promise<Result>;
  /** Runs kubectl with `input` on stdin (for `-f -`). */
  withInput(input: string, ...args: string[]): Promise<Result>;
  /** A long-running kubectl (e.g. `get -w`); the caller kills it. */
  spawn(...args: string[]): ChildProcess;
  dir: string;
  cleanup(): void;
}

/** kubectl with its own kubeconfig and HOME (so the discovery cache is isolated) in a temp dir. */
export function kubectlFor(plane: ControlPlane, opts: KubeconfigOptions = {}): Kubectl {
  const dir = mkdtempSync(join(tmpdir(), 'control-plane-test-'));
  const env = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: dir,
    KUBECONFIG: plane.writeKubeconfig(join(dir, 'kubeconfig.yaml'), opts),
  };
  const run = (input: string | undefined, args: string[]) =>
    new Promise<Result>((resolve) => {
      const child = execFile('kubectl', args, { env }, (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      });
      if (input !== undefined) child.stdin?.end(input);
    });
  const kubectl = (...args: string[]) => run(undefined, args);
  return Object.assign(kubectl, {
    withInput: (input: string, ...args: string[]) => run(input, args),
    spawn: (...args: string[]) => spawn('kubectl', args, { env }),
    dir,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  });
}

export interface RawResponse {
  status: number;
  body: Record<string, unknown>;
  text: string;
}

/** One HTTPS request to the control plane (JSON in, JSON out). */
export function raw(
  plane: ControlPlane,
  method: string,
  path: string,
  opts: { body?: unknown; contentType?: string; token?: string | null; accept?: string } = {},
): Promise<RawResponse> {
  const payload =
    opts.body === undefined
      ? undefined
      : typeof opts.body === 'string'
        ? opts.body
        : JSON.stringify(opts.body);
  const headers: Record<string, string> = { Accept: opts.accept ?? 'application/json' };
  if (opts.token !== null) headers.Authorization = `Bearer ${opts.token ?? 'admin-token'}`;
  if (payload !== undefined) headers['Content-Type'] = opts.contentType ?? 'application/json';
  return new Promise((resolve, reject) => {
    const req = httpsRequest(new URL(path, plane.url), { method, headers, ca: plane.ca }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: Record<string, unknown> = {};
        try {
          body = JSON.parse(text) as Record<string, unknown>;
        } catch {
          // Non-JSON bodies (e.g. /healthz) are only available as text.
        }
        resolve({ status: res.statusCode ?? 0, body, text });
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}

/** The value at a field path of an object (test assertions on untyped objects). */
/** The resourceVersion of a list at `path`, to start a watch from. */
export async function listResourceVersion(plane: ControlPlane, path: string): Promise<string> {
  return dig<string>((await raw(plane, 'GET', path)).body, 'metadata', 'resourceVersion');
}

export function dig<T = unknown>(object: unknown, ...path: string[]): T {
  return path.reduce<unknown>(
    (value, key) => (value as Record<string, unknown> | undefined)?.[key],
    object,
  ) as T;
}

/** Polls `check` until it returns a truthy value (the control plane's controllers run asynchronously). */
export async function until<T>(check: () => T | undefined | false, what = 'condition'): Promise<T> {
  for (let attempt = 0; attempt < 2000; attempt++) {
    const value = check();
    if (value) return value;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Reads a child's stdout line by line until `match` accepts a line. */
export function waitForLine(child: ChildProcess, match: (line: string) => boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffer = '';
    const onData = (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      const found = lines.find(match);
      if (found !== undefined) {
        child.stdout?.off('data', onData);
        resolve(found);
      }
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`kubectl exited (${code}) before the expected line`)));
  });
}

export interface WatchEvent {
  type: string;
  object: Record<string, unknown>;
}

/**
 * Opens a watch over HTTPS (`path` with its query, e.g. `...?watch=1&resourceVersion=5`) and
 * resolves with its events once `done` accepts the events so far; rejects if the stream ends first.
 */
export function watchUntil(
  plane: ControlPlane,
  path: string,
  done: (events: WatchEvent[]) => boolean,
  opts: { token?: string } = {},
): Promise<WatchEvent[]> {
  const headers = { Accept: 'application/json', Authorization: `Bearer ${opts.token ?? 'admin-token'}` };
  return new Promise((resolve, reject) => {
    const events: WatchEvent[] = [];
    let settled = false;
    const req = httpsRequest(new URL(path, plane.url), { headers, ca: plane.ca }, (res) => {
      let buffer = '';
      res.on('data', (chunk: Buffer) => {
        buffer += chunk.toString('utf8');
        const lines = buffer.split('\n');
        buffer = lines.pop() ?? '';
        for (const line of lines.filter(Boolean)) events.push(JSON.parse(line) as WatchEvent);
        if (!settled && done(events)) {
          settled = true;
          resolve(events);
          req.destroy();
        }
      });
      res.on('end', () => {
        if (!settled)
          reject(new Error(`watch ${path} ended (status ${res.statusCode}) after ${events.length} events`));
      });
    });
    req.on('error', (error) => {
      if (!settled) reject(error);
    });
    req.end();
  });
}
