/**
 * `kubectl exec` in process: a command in a pod's container through the API server (pods/exec), over
 * a WebSocket with the remote command channels, as kubectl 1.30+ speaks it. `v5.channel.k8s.io`
 * first (it can close stdin, [255, 0]), `v4.channel.k8s.io` from older API servers (it cannot: a
 * command that reads stdin to its end would wait forever, so a caller that needs the end asks for
 * v5 and is told when only v4 is spoken). Channels: 0 stdin, 1 stdout, 2 stderr, 3 the Status with
 * the exit code. The whole exchange is bounded by --request-timeout.
 */
import { ExitCode, GatewayError } from '../errors.ts';
import type { KubeClient } from './client.ts';
import type { WebSocketConnection } from './websocket.ts';

export const EXEC_V5 = 'v5.channel.k8s.io';
export const EXEC_V4 = 'v4.channel.k8s.io';
const CHANNEL = { stdin: 0, stdout: 1, stderr: 2, error: 3, close: 255 } as const;
/** Frames of stdin kept well under any server's message limit. */
const STDIN_CHUNK = 32 * 1024;

export interface ExecOptions {
  container: string;
  command: string[];
  /** Sent as the command's stdin, which is then closed (v5). */
  stdin?: string;
  /**
   * Whether the command reads stdin to its end (default true), which only v5 can signal: on v4 this
   * throws StdinNotClosableError at once. False for a command that stops reading by itself.
   */
  stdinUntilEnd?: boolean;
  /** The protocols to offer, in order (default v5, then v4). */
  protocols?: string[];
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** The protocol the server chose. */
  protocol: string;
}

/** The server speaks only v4, which cannot close the command's stdin. */
export class StdinNotClosableError extends Error {
  constructor(readonly protocol: string) {
    super(
      `the API server speaks ${protocol || 'no versioned protocol'} for pods/exec, which cannot close stdin`,
    );
    this.name = 'StdinNotClosableError';
  }
}

interface ExecStatus {
  status?: string;
  message?: string;
  reason?: string;
  details?: { causes?: Array<{ reason?: string; type?: string; message?: string }> };
}

/**
 * The exit code a Status on the error channel carries (Success: 0; NonZeroExitCode: its ExitCode
 * cause), or an Error with the server's message when the command could not run at all.
 */
export function exitCodeOf(status: ExecStatus): number | Error {
  if (status.status === 'Success') return 0;
  if (status.reason === 'NonZeroExitCode') {
    const cause = status.details?.causes?.find((c) => (c.reason ?? c.type) === 'ExitCode');
    const code = Number(cause?.message);
    if (Number.isInteger(code)) return code;
  }
  return new Error(status.message ?? 'the command could not be run');
}

/** Runs a command in a pod's container and collects its output and exit code. */
export async function execInPod(
  kube: KubeClient,
  pod: { name: string; namespace: string },
  options: ExecOptions,
): Promise<ExecResult> {
  const query = new URLSearchParams({ container: options.container, stdout: 'true', stderr: 'true' });
  for (const part of options.command) query.append('command', part);
  if (options.stdin !== undefined) query.set('stdin', 'true');
  const timeoutMs = kube.target.requestTimeoutMs;
  const started = Date.now();
  const { connection, protocol } = await kube.openExec(pod, query, options.protocols ?? [EXEC_V5, EXEC_V4]);
  if (options.stdin !== undefined && protocol !== EXEC_V5 && options.stdinUntilEnd !== false) {
    connection.destroy();
    throw new StdinNotClosableError(protocol);
  }
  const left = timeoutMs > 0 ? Math.max(1, timeoutMs - (Date.now() - started)) : 0;
  return collect(connection, protocol, options, left, () => timedOut(kube, pod, options, timeoutMs));
}

function collect(
  connection: WebSocketConnection,
  protocol: string,
  options: ExecOptions,
  timeoutMs: number,
  timeout: () => GatewayError,
): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const output = { stdout: [] as Buffer[], stderr: [] as Buffer[], error: [] as Buffer[] };
    const timer = timeoutMs > 0 ? setTimeout(() => fail(timeout()), timeoutMs) : undefined;
    const fail = (error: Error) => {
      clearTimeout(timer);
      connection.destroy();
      reject(error);
    };
    connection.on('message', (data) => {
      const payload = data.subarray(1);
      if (data[0] === CHANNEL.stdout) output.stdout.push(payload);
      else if (data[0] === CHANNEL.stderr) output.stderr.push(payload);
      else if (data[0] === CHANNEL.error) output.error.push(payload);
    });
    connection.on('error', () => undefined);
    connection.once('close', () => {
      clearTimeout(timer);
      const text = Buffer.concat(output.error).toString('utf8');
      let status: ExecStatus;
      try {
        status = JSON.parse(text) as ExecStatus;
      } catch {
        status = { message: text || 'the connection closed before the exit status came' };
      }
      const exitCode = exitCodeOf(status);
      if (exitCode instanceof Error) return reject(exitCode);
      resolve({
        exitCode,
        stdout: Buffer.concat(output.stdout).toString('utf8'),
        stderr: Buffer.concat(output.stderr).toString('utf8'),
        protocol,
      });
    });
    connection.start();
    if (options.stdin !== undefined) {
      const input = Buffer.from(options.stdin, 'utf8');
      for (let offset = 0; offset < input.length; offset += STDIN_CHUNK)
        connection.send(
          Buffer.concat([Buffer.from([CHANNEL.stdin]), input.subarray(offset, offset + STDIN_CHUNK)]),
        );
      if (protocol === EXEC_V5) connection.send(Buffer.from([CHANNEL.close, CHANNEL.stdin]));
    }
  });
}

function timedOut(
  kube: KubeClient,
  pod: { name: string; namespace: string },
  options: ExecOptions,
  timeoutMs: number,
): GatewayError {
  return new GatewayError(
    `${options.command.join(' ')} in pod ${pod.namespace}/${pod.name} did not finish within ${timeoutMs / 1000}s`,
    {
      why: `--request-timeout bounds the whole exec; the cluster at ${kube.target.server} or the pod is slow`,
      next: ['raise the limit, e.g. --request-timeout=2m'],
      exitCode: ExitCode.unreachable,
    },
  );
}
