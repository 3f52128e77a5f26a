/**
 * The kubelet's probes and lifecycle handlers: httpGet (HTTP or HTTPS, certificates not checked, a
 * status from 200 to 399 succeeds), tcpSocket and exec (an exit code of 0 succeeds), each bounded
 * by timeoutSeconds. The ProbeLoop runs one probe of one container with its period and thresholds.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import type { ExecResult } from './container-runtime.ts';

export interface Handler {
  httpGet?: {
    path?: string;
    port: number | string;
    host?: string;
    scheme?: 'HTTP' | 'HTTPS';
    httpHeaders?: Array<{ name: string; value: string }>;
  };
  tcpSocket?: { port: number | string; host?: string };
  exec?: { command?: string[] };
  sleep?: { seconds: number };
}

export interface Probe extends Handler {
  grpc?: { port: number };
  initialDelaySeconds?: number;
  periodSeconds?: number;
  timeoutSeconds?: number;
  successThreshold?: number;
  failureThreshold?: number;
}

export interface ProbeTarget {
  ip: string;
  ports: Array<{ name?: string; containerPort: number }>;
  exec(argv: string[], timeoutMs: number): Promise<ExecResult>;
}

export interface Outcome {
  ok: boolean;
  /** Why it failed, as the kubelet's Unhealthy event says it. */
  message: string;
}

function portNumber(port: number | string, target: ProbeTarget): number {
  if (typeof port === 'number') return port;
  const named = target.ports.find((p) => p.name === port)?.containerPort;
  if (named !== undefined) return named;
  if (/^\d+$/.test(port)) return Number(port);
  throw new Error(`port ${port} is not a port of the container`);
}

function httpGet(
  handler: NonNullable<Handler['httpGet']>,
  target: ProbeTarget,
  timeoutMs: number,
): Promise<Outcome> {
  const https = handler.scheme === 'HTTPS';
  const host = handler.host ?? target.ip;
  const port = portNumber(handler.port, target);
  const url = `${https ? 'https' : 'http'}://${host}:${port}${handler.path ?? '/'}`;
  const headers = Object.fromEntries((handler.httpHeaders ?? []).map((h) => [h.name, h.value]));
  return new Promise((resolve) => {
    const send = https ? httpsRequest : httpRequest;
    const req = send(url, { headers, agent: false, timeout: timeoutMs, rejectUnauthorized: false }, (res) => {
      res.resume();
      const status = res.statusCode ?? 0;
      res.on('end', () =>
        resolve(
          status >= 200 && status < 400
            ? { ok: true, message: '' }
            : { ok: false, message: `HTTP probe failed with statuscode: ${status}` },
        ),
      );
      res.on('error', (error) => resolve({ ok: false, message: `Get "${url}": ${error.message}` }));
    });
    req.on('timeout', () => req.destroy(new Error('context deadline exceeded (Client.Timeout exceeded)')));
    req.on('error', (error) => resolve({ ok: false, message: `Get "${url}": ${error.message}` }));
    req.end();
  });
}

function tcpSocket(
  handler: NonNullable<Handler['tcpSocket']>,
  target: ProbeTarget,
  timeoutMs: number,
): Promise<Outcome> {
  const host = handler.host ?? target.ip;
  const port = portNumber(handler.port, target);
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: timeoutMs });
    socket.once('connect', () => {
      socket.destroy();
      resolve({ ok: true, message: '' });
    });
    socket.once('timeout', () => socket.destroy(new Error('i/o timeout')));
    socket.once('error', (error) =>
      resolve({ ok: false, message: `dial tcp ${host}:${port}: ${error.message}` }),
    );
  });
}

/** Runs a probe or lifecycle handler once. */
export async function runHandler(handler: Handler, target: ProbeTarget, timeoutMs: number): Promise<Outcome> {
  try {
    if (handler.httpGet) return await httpGet(handler.httpGet, target, timeoutMs);
    if (handler.tcpSocket) return await tcpSocket(handler.tcpSocket, target, timeoutMs);
    if (handler.exec) {
      const result = await target.exec(handler.exec.command ?? [], timeoutMs);
      return result.exitCode === 0
        ? { ok: true, message: '' }
        : {
            ok: false,
            message: `command ${JSON.stringify(handler.exec.command)} exited with ${result.exitCode}: ${result.output.trim()}`,
          };
    }
    if (handler.sleep) {
      await new Promise((resolve) =>
        setTimeout(resolve, Math.min(handler.sleep?.seconds ?? 0, timeoutMs / 1000) * 1000),
      );
      return { ok: true, message: '' };
    }
    return { ok: false, message: 'a probe this node does not support (grpc)' };
  } catch (error) {
    return { ok: false, message: error instanceof Error ? error.message : String(error) };
  }
}

/**
 * One probe of one container, run every periodSeconds after initialDelaySeconds; `onChange` hears
 * the result when the thresholds flip it (successThreshold successes in a row, failureThreshold
 * failures in a row), `onFailure` every failed attempt. The first run is `firstAfterMs` after start
 * at the soonest: the kubelet probes once its relist (every second) has seen the container running.
 */
export class ProbeLoop {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private successes = 0;
  private failures = 0;
  private result: boolean | undefined;

  constructor(
    private readonly probe: Probe,
    private readonly target: ProbeTarget,
    private readonly onChange: (ok: boolean, message: string) => void,
    private readonly onFailure: (message: string) => void = () => undefined,
    firstAfterMs = 1000,
  ) {
    this.schedule(Math.max((probe.initialDelaySeconds ?? 0) * 1000, firstAfterMs));
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.tick(), ms);
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    const outcome = await runHandler(this.probe, this.target, (this.probe.timeoutSeconds ?? 1) * 1000);
    if (this.stopped) return;
    if (outcome.ok) {
      this.failures = 0;
      this.successes += 1;
      if (this.result !== true && this.successes >= (this.probe.successThreshold ?? 1)) this.flip(true, '');
    } else {
      this.successes = 0;
      this.failures += 1;
      this.onFailure(outcome.message);
      if (this.result !== false && this.failures >= (this.probe.failureThreshold ?? 3))
        this.flip(false, outcome.message);
    }
    this.schedule((this.probe.periodSeconds ?? 10) * 1000);
  }

  private flip(ok: boolean, message: string): void {
    this.result = ok;
    this.onChange(ok, message);
  }
}
