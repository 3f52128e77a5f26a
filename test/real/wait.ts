/**
 * Waiting on conditions with a deadline: poll until the check returns a value, fail early when a
 * process it depends on exits, and say what was awaited (and the last answer) on timeout.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { ManagedProcess } from './processes.ts';

export interface WaitOptions {
  timeoutMs: number;
  intervalMs?: number;
  /** Processes whose exit fails the wait at once, with the end of their log. */
  processes?: ManagedProcess[];
}

/** A check returns the awaited value, or undefined (or throws) to be asked again. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  options: WaitOptions,
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  const processes = options.processes ?? [];
  let last = '';
  for (;;) {
    const gone = processes.find((process) => !process.running);
    if (gone) throw new Error(`${gone.describeExit()}\n(while waiting for ${what})`);
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = (error as Error).message;
    }
    const left = deadline - Date.now();
    if (left <= 0) {
      throw new Error(
        `timed out after ${Math.round(options.timeoutMs / 1000)}s waiting for ${what}${last ? ` (last: ${last})` : ''}`,
      );
    }
    // The next poll, or at once when a process exits.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      new Promise((resolve) => (timer = setTimeout(resolve, Math.min(options.intervalMs ?? 200, left)))),
      ...processes.map((process) => process.exited),
    ]);
    clearTimeout(timer);
  }
}

export interface TlsClient {
  ca?: string;
  cert?: string;
  key?: string;
  /** Only for health endpoints served with a self-signed certificate, as kubelet probes them. */
  insecure?: boolean;
}

export interface HttpAnswer {
  status: number;
  body: string;
}

/** One GET (over TLS for https: URLs); rejects on connection errors and after `timeoutMs`. */
export function httpGet(url: string, tls: TlsClient = {}, timeoutMs = 5000): Promise<HttpAnswer> {
  return httpSend('GET', url, undefined, tls, timeoutMs);
}

/** One request with an optional JSON body, as httpGet. */
export function httpSend(
  method: string,
  url: string,
  body: unknown,
  tls: TlsClient = {},
  timeoutMs = 5000,
): Promise<HttpAnswer> {
  const { insecure, ...pem } = tls;
  const request = url.startsWith('https:') ? httpsRequest : httpRequest;
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        ...pem,
        method,
        rejectUnauthorized: !insecure,
        agent: false,
        timeout: timeoutMs,
        headers: payload === undefined ? {} : { 'Content-Type': 'application/json' },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs}ms`)));
    req.on('error', reject);
    req.end(payload);
  });
}
