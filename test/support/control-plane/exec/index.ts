/**
 * pods/<name>/exec as the API server and the kubelet serve it, written once for both: the local
 * control plane answers the API's request itself, the real node agent answers the kubelet's /exec
 * that the real API server calls. Two transports:
 * - WebSocket channels (`v5.channel.k8s.io`, `v4.channel.k8s.io`; GET): what kubectl 1.30+ and the
 *   plugin speak to the API server. Each binary message starts with its channel: 0 stdin, 1 stdout,
 *   2 stderr, 3 the error channel (a metav1.Status, the exit code in it), 4 resize; v5 adds 255, the
 *   client's close of a channel ([255, 0] ends stdin). The server first sends an empty message on the
 *   lowest output channel, as the kubelet does, then the output, then the Status, then closes.
 * - SPDY/3.1 (`X-Stream-Protocol-Version: v4.channel.k8s.io`; POST): what the API server speaks to a
 *   kubelet (it translates the client's WebSocket, since our Node declares no WebSocket support). The
 *   client opens one stream per channel (header `streamType`: error, stdin, stdout, stderr); the server
 *   writes the Status on `error` and ends every stream.
 * What runs is the caller's ExecRunner; this module only moves bytes and reports the exit.
 */
import { PassThrough, type Readable, Writable } from 'node:stream';
import type { Duplex } from 'node:stream';
import type { Reply } from '../request.ts';
import { ApiError, badRequest } from '../status.ts';
import type { KubeObject } from '../types.ts';
import { SpdySession, type SpdyStream } from '../port-forward/spdy.ts';
import { type WebSocket, ws as wsModule } from '../port-forward/ws.ts';

/** The streams a command gets: each is undefined unless the client asked for it. */
export interface ExecStdio {
  stdin?: Readable;
  stdout?: Writable;
  stderr?: Writable;
}

/**
 * Runs `command` in a container of the pod and resolves with its exit code; rejects when it cannot be
 * run at all (no such container or executable), which the client hears as an InternalError.
 */
export type ExecRunner = (
  pod: KubeObject,
  container: string,
  command: string[],
  stdio: ExecStdio,
) => Promise<number>;

/** What the client asked to run, and which streams it wants. */
export interface ExecRequest {
  container: string;
  command: string[];
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

const WEBSOCKET_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'];
/** The kubelet serves v4 and older over SPDY (remotecommand.SupportedStreamingProtocols); v4 alone here. */
const SPDY_PROTOCOL = 'v4.channel.k8s.io';
const CHANNEL = { stdin: 0, stdout: 1, stderr: 2, error: 3, close: 255 } as const;

const server = new wsModule.WebSocketServer({
  noServer: true,
  clientTracking: false,
  perMessageDeflate: false,
  handleProtocols: (protocols) => WEBSOCKET_PROTOCOLS.find((p) => protocols.has(p)) ?? false,
});

/** The exec the API request names (`container`, `command`, `stdin`, …), the container defaulted as the API server does. */
export function apiExecRequest(pod: KubeObject, query: URLSearchParams): ExecRequest {
  const flag = (name: string) => ['1', 'true'].includes(query.get(name) ?? '');
  return execRequest(pod, query.get('container') ?? '', query.getAll('command'), {
    stdin: flag('stdin'),
    stdout: flag('stdout'),
    stderr: flag('stderr'),
    tty: flag('tty'),
  });
}

/** The exec a kubelet's /exec/<ns>/<pod>/<container> names (`input`, `output`, `error`, `tty` = 1). */
export function kubeletExecRequest(pod: KubeObject, container: string, query: URLSearchParams): ExecRequest {
  const flag = (name: string) => query.get(name) === '1';
  return execRequest(pod, container, query.getAll('command'), {
    stdin: flag('input'),
    stdout: flag('output'),
    stderr: flag('error'),
    tty: flag('tty'),
  });
}

function execRequest(
  pod: KubeObject,
  container: string,
  command: string[],
  streams: Omit<ExecRequest, 'container' | 'command'>,
): ExecRequest {
  const names = ((pod.spec as { containers?: Array<{ name: string }> }).containers ?? []).map((c) => c.name);
  if (!container) {
    if (names.length !== 1)
      throw badRequest(
        `a container name must be specified for pod ${pod.metadata.name}, choose one of: [${names.join(' ')}]`,
      );
    container = names[0] ?? '';
  } else if (!names.includes(container)) {
    throw badRequest(`container ${container} is not valid for pod ${pod.metadata.name}`);
  }
  if (command.length === 0) throw badRequest('you must specify at least 1 command');
  if (!streams.stdin && !streams.stdout && !streams.stderr)
    throw badRequest('you must specify at least 1 of stdin, stdout, stderr');
  return { container, command, ...streams };
}

/** The Status the error channel carries once the command is done. */
function exitStatus(outcome: { exitCode: number } | { error: Error }): object {
  if ('error' in outcome) {
    return new ApiError(
      500,
      'InternalError',
      `Internal error occurred: error executing command in container: ${outcome.error.message}`,
    ).toStatus();
  }
  if (outcome.exitCode === 0) return { metadata: {}, status: 'Success' };
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: exit status ${outcome.exitCode}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(outcome.exitCode) }] },
  };
}

/** Runs the command and settles with what the error channel must say. */
async function run(
  runner: ExecRunner,
  pod: KubeObject,
  exec: ExecRequest,
  stdio: ExecStdio,
): Promise<object> {
  try {
    return exitStatus({ exitCode: await runner(pod, exec.container, exec.command, stdio) });
  } catch (error) {
    return exitStatus({ error: error instanceof Error ? error : new Error(String(error)) });
  }
}

/** A Writable whose every chunk goes to `send`, ending when the command's output does. */
const sink = (send: (chunk: Buffer) => void) =>
  new Writable({
    write(chunk: Buffer, _encoding, done) {
      send(chunk);
      done();
    },
  });

/** The reply to an exec request: WebSocket channels or SPDY streams, as the client asked. */
export function execReply(
  pod: KubeObject,
  exec: ExecRequest,
  headers: Record<string, string | string[] | undefined>,
  runner: ExecRunner,
): Reply {
  const upgrade = String(headers.upgrade ?? '').toLowerCase();
  if (upgrade === 'websocket') return { upgrade: (req, socket, head) => serveWebSocket(req, socket, head) };
  if (!upgrade.includes('spdy/3.1')) throw badRequest('Upgrade request required');
  const offered = String(headers['x-stream-protocol-version'] ?? '')
    .split(',')
    .map((p) => p.trim());
  if (!offered.includes(SPDY_PROTOCOL)) {
    throw new ApiError(
      403,
      'Forbidden',
      `unable to upgrade: unable to negotiate protocol: client supports [${offered.join(' ')}], server accepts [${SPDY_PROTOCOL}]`,
    );
  }
  return {
    upgrade: (_req, socket, head) => {
      socket.write(
        'HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n' +
          `X-Stream-Protocol-Version: ${SPDY_PROTOCOL}\r\nDate: ${new Date().toUTCString()}\r\n\r\n`,
      );
      if (head.length > 0) socket.unshift(head);
      serveSpdy(socket, pod, exec, runner);
      return { status: 101, protocol: 'SPDY/3.1' };
    },
  };

  function serveWebSocket(req: Parameters<typeof server.handleUpgrade>[0], socket: Duplex, head: Buffer) {
    let protocol: string | undefined;
    server.handleUpgrade(req, socket, head, (websocket) => {
      protocol = websocket.protocol;
      serveChannels(websocket, pod, exec, runner);
    });
    return protocol === undefined ? { status: 400 } : { status: 101, protocol };
  }
}

function serveChannels(websocket: WebSocket, pod: KubeObject, exec: ExecRequest, runner: ExecRunner): void {
  const closable = websocket.protocol === 'v5.channel.k8s.io';
  const send = (channel: number, payload: Buffer) => {
    if (websocket.readyState === wsModule.OPEN)
      websocket.send(Buffer.concat([Buffer.from([channel]), payload]));
  };
  const stdin = exec.stdin ? new PassThrough() : undefined;
  const stdio: ExecStdio = {
    ...(stdin ? { stdin } : {}),
    ...(exec.stdout ? { stdout: sink((chunk) => send(CHANNEL.stdout, chunk)) } : {}),
    ...(exec.stderr && !exec.tty ? { stderr: sink((chunk) => send(CHANNEL.stderr, chunk)) } : {}),
  };
  websocket.on('message', (message) => {
    if (message.length === 0) return;
    const channel = message[0];
    if (closable && channel === CHANNEL.close) {
      if (message[1] === CHANNEL.stdin) stdin?.end();
      return;
    }
    if (channel === CHANNEL.stdin && !stdin?.writableEnded) stdin?.write(message.subarray(1));
  });
  websocket.on('close', () => stdin?.end());
  websocket.on('error', () => undefined);
  // The kubelet's hello: an empty message on the lowest output channel.
  send(exec.stdout ? CHANNEL.stdout : exec.stderr ? CHANNEL.stderr : CHANNEL.error, Buffer.alloc(0));
  void run(runner, pod, exec, stdio).then((status) => {
    send(CHANNEL.error, Buffer.from(JSON.stringify(status)));
    if (websocket.readyState === wsModule.OPEN) websocket.close(1000);
  });
}

/** The stream types a client opens for these options (the error stream always). */
function expectedStreams(exec: ExecRequest): string[] {
  return [
    'error',
    ...(exec.stdin ? ['stdin'] : []),
    ...(exec.stdout ? ['stdout'] : []),
    ...(exec.stderr && !exec.tty ? ['stderr'] : []),
    ...(exec.tty ? ['resize'] : []),
  ];
}

function serveSpdy(transport: Duplex, pod: KubeObject, exec: ExecRequest, runner: ExecRunner): void {
  const streams = new Map<string, SpdyStream>();
  const wanted = expectedStreams(exec);
  let started = false;
  new SpdySession(transport, (stream) => {
    const type = stream.header('streamType') ?? '';
    if (!wanted.includes(type) || streams.has(type)) {
      stream.destroy();
      return;
    }
    stream.on('error', () => undefined);
    streams.set(type, stream);
    if (started || !wanted.every((name) => streams.has(name))) return;
    started = true;
    const error = streams.get('error') as SpdyStream;
    // Nothing is read from the error and output streams; the client half-closes them at once.
    for (const name of ['error', 'stdout', 'stderr', 'resize']) streams.get(name)?.resume();
    const stdio: ExecStdio = {
      ...(exec.stdin ? { stdin: streams.get('stdin') } : {}),
      ...(exec.stdout ? { stdout: sink((chunk) => streams.get('stdout')?.write(chunk)) } : {}),
      ...(exec.stderr && !exec.tty ? { stderr: sink((chunk) => streams.get('stderr')?.write(chunk)) } : {}),
    };
    void run(runner, pod, exec, stdio).then((status) => {
      for (const name of ['stdin', 'stdout', 'stderr', 'resize']) {
        const open = streams.get(name);
        if (open && !open.writableEnded && !open.destroyed) open.end();
      }
      if (!error.writableEnded && !error.destroyed) error.end(JSON.stringify(status));
    });
  });
}
