/**
 * pods/<name>/portforward, as the API server and kubelet serve it, over three transports:
 * - SPDY/3.1 (`Upgrade: SPDY/3.1`, `X-Stream-Protocol-Version: portforward.k8s.io`, POST): kubectl's
 *   fallback. Each forwarded connection is a pair of streams with headers `streamType` (error, data),
 *   `port` and `requestID`; see spdy.ts.
 * - The same SPDY session tunneled in WebSocket binary messages (subprotocol
 *   `SPDY/3.1+portforward.k8s.io`, GET): what kubectl 1.31+ tries first (PortForwardWebsockets).
 * - The kubelet's WebSocket channel protocol (`v4.channel.k8s.io`, `v4.base64.channel.k8s.io` or none,
 *   GET with `?ports=`), which @kubernetes/client-node's PortForward speaks: per port, channel 2n is
 *   data and 2n+1 errors; the server's first message on each is the port, 2 bytes little-endian.
 * Each forwarded connection is a TCP connection to <podIP>:<port>; when it cannot be made, the error
 * is written on the error stream/channel, worded like the kubelet's.
 */
import { createHash } from 'node:crypto';
import { connect, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { ApiRequest, Reply, ResourceRequest } from '../request.ts';
import { ApiError, badRequest } from '../status.ts';
import type { KubeObject } from '../types.ts';
import type { Workspace } from '../workspace.ts';
import { SpdySession, type SpdyStream } from './spdy.ts';
import { type WebSocket, ws as wsModule } from './ws.ts';

export const PORT_FORWARD_PROTOCOL = 'portforward.k8s.io';
export const SPDY_TUNNEL_PROTOCOL = `SPDY/3.1+${PORT_FORWARD_PROTOCOL}`;
const CHANNEL_PROTOCOLS = ['v4.channel.k8s.io', 'v4.base64.channel.k8s.io'];

interface Target {
  /** What the kubelet calls the pod in its messages (the CRI sandbox ID). */
  sandbox: string;
  host: string;
}

type Transport =
  { kind: 'spdy' } | { kind: 'spdy-tunnel' } | { kind: 'channels'; protocol: string; ports: number[] };

// `ws` only accepts subprotocols that are HTTP tokens, which `SPDY/3.1+portforward.k8s.io` is not (the
// '/'): the request names a stand-in instead, swapped back in the 101 response's headers.
const TUNNEL_TOKEN = 'spdy-3.1-tunnel.portforward.k8s.io';
const server = new wsModule.WebSocketServer({
  noServer: true,
  clientTracking: false,
  perMessageDeflate: false,
  handleProtocols: (protocols) =>
    protocols.has(TUNNEL_TOKEN) ? TUNNEL_TOKEN : (chooseWebSocketProtocol([...protocols]) ?? false),
});
server.on('headers', (headers) => {
  const i = headers.indexOf(`Sec-WebSocket-Protocol: ${TUNNEL_TOKEN}`);
  if (i >= 0) headers[i] = `Sec-WebSocket-Protocol: ${SPDY_TUNNEL_PROTOCOL}`;
});

export function handlePortForward(ws: Workspace, req: ApiRequest, r: ResourceRequest): Reply {
  const pod = ws.objects.get(r.type, r.namespace, r.name ?? '');
  if (!(pod.spec as { nodeName?: string } | undefined)?.nodeName) {
    throw badRequest(`pod ${pod.metadata.name} does not have a host assigned`);
  }
  return portForwardReply(pod, req);
}

/** Forwards the request's connections to the pod's IP, as the kubelet does for the API server. */
export function portForwardReply(pod: KubeObject, req: Pick<ApiRequest, 'headers' | 'query'>): Reply {
  const transport = transportFor(req);
  const target = targetOf(pod);
  return {
    upgrade: (incoming, socket, head) => {
      if (transport.kind === 'spdy') {
        socket.write(
          'HTTP/1.1 101 Switching Protocols\r\n' +
            'Connection: Upgrade\r\n' +
            'Upgrade: SPDY/3.1\r\n' +
            `X-Stream-Protocol-Version: ${PORT_FORWARD_PROTOCOL}\r\n` +
            `Date: ${new Date().toUTCString()}\r\n\r\n`,
        );
        if (head.length > 0) socket.unshift(head);
        serveSpdy(socket, target);
        return { status: 101, protocol: 'SPDY/3.1' };
      }
      if (transport.kind === 'spdy-tunnel') incoming.headers['sec-websocket-protocol'] = TUNNEL_TOKEN;
      // ws completes the handshake (and calls back) or answers an error, before handleUpgrade returns.
      let switched = false;
      server.handleUpgrade(incoming, socket, head, (websocket) => {
        switched = true;
        if (transport.kind === 'spdy-tunnel') serveSpdy(wsModule.createWebSocketStream(websocket), target);
        else serveChannels(websocket, transport.protocol, transport.ports, target);
      });
      if (!switched) return { status: 400 };
      return {
        status: 101,
        protocol: transport.kind === 'spdy-tunnel' ? SPDY_TUNNEL_PROTOCOL : transport.protocol,
      };
    },
  };
}

function transportFor(req: Pick<ApiRequest, 'headers' | 'query'>): Transport {
  const upgrade = String(req.headers.upgrade ?? '').toLowerCase();
  if (upgrade === 'websocket') {
    const offered = String(req.headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean);
    const protocol = chooseWebSocketProtocol(offered);
    if (protocol === undefined) {
      throw badRequest(
        `requested protocol(s) are not supported: [${offered.join(' ')}]; supports [${[SPDY_TUNNEL_PROTOCOL, ...CHANNEL_PROTOCOLS].join(' ')}]`,
      );
    }
    if (protocol === SPDY_TUNNEL_PROTOCOL) return { kind: 'spdy-tunnel' };
    return { kind: 'channels', protocol, ports: queryPorts(req.query) };
  }
  if (!upgrade.includes('spdy/3.1')) throw badRequest('Upgrade request required');
  const versions = String(req.headers['x-stream-protocol-version'] ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  if (versions.length > 0 && !versions.includes(PORT_FORWARD_PROTOCOL)) {
    throw new ApiError(
      403,
      'Forbidden',
      `unable to upgrade: unable to negotiate protocol: client supports [${versions.join(' ')}], server accepts [${PORT_FORWARD_PROTOCOL}]`,
    );
  }
  return { kind: 'spdy' };
}

/** The first protocol the client offers that is served; '' when it offers none (binary channels). */
function chooseWebSocketProtocol(offered: string[]): string | undefined {
  if (offered.length === 0) return '';
  return offered.find((p) => p === SPDY_TUNNEL_PROTOCOL || CHANNEL_PROTOCOLS.includes(p));
}

/** `ports` query values, each possibly a comma-separated list. */
function queryPorts(query: URLSearchParams): number[] {
  const values = query.getAll('ports').flatMap((v) => v.split(','));
  if (values.length === 0) throw badRequest('query parameter "port" is required');
  return values.map((value) => {
    const port = /^\d+$/.test(value) ? Number(value) : NaN;
    if (!(port > 0 && port < 65536)) {
      throw badRequest(`unable to parse "${value}" as a port: port must be in the range 1-65535`);
    }
    return port;
  });
}

function targetOf(pod: KubeObject): Target {
  const host = String((pod.status as { podIP?: string } | undefined)?.podIP ?? '');
  const sandbox = createHash('sha256').update(String(pod.metadata.uid)).digest('hex');
  return { sandbox, host };
}

/** Connects to the pod's port; `failed` gets the kubelet's message if that does not work. */
function dial(target: Target, port: number, failed: (message: string) => void): Socket {
  let connected = false;
  const socket = target.host ? connect({ host: target.host, port }) : new Socket();
  if (!target.host) {
    const error = Object.assign(new Error('connect: no route to host'), { code: 'EHOSTUNREACH' });
    process.nextTick(() => socket.destroy(error));
  }
  socket.once('connect', () => (connected = true));
  socket.on('error', (error: NodeJS.ErrnoException) => {
    if (connected) return;
    const reason =
      error.code === 'ECONNREFUSED'
        ? 'connect: connection refused'
        : error.code === 'ETIMEDOUT'
          ? 'i/o timeout'
          : error.message;
    failed(
      `error forwarding port ${port} to pod ${target.sandbox}, uid : failed to connect to ${target.host}:${port} inside the pod: dial tcp4 ${target.host}:${port}: ${reason}`,
    );
  });
  return socket;
}

// SPDY (direct or tunneled): streams paired by requestID.

function serveSpdy(transport: Duplex, target: Target): void {
  const pending = new Map<string, { data?: SpdyStream; error?: SpdyStream }>();
  const sockets = new Set<Socket>();
  new SpdySession(
    transport,
    (stream) => {
      const type = stream.header('streamType');
      if (type !== 'data' && type !== 'error') {
        stream.destroy();
        return;
      }
      // Clients before requestID: error and data streams of a connection have consecutive odd IDs.
      const id = stream.header('requestID') ?? String(type === 'error' ? stream.id : stream.id - 2);
      const pair = pending.get(id) ?? {};
      pair[type] = stream;
      pending.set(id, pair);
      if (pair.data && pair.error) {
        pending.delete(id);
        forwardSpdy(pair.data, pair.error, stream.header('port') ?? '', target, sockets);
      }
    },
    () => {
      for (const socket of sockets) socket.destroy();
    },
  );
}

function forwardSpdy(
  data: SpdyStream,
  error: SpdyStream,
  portHeader: string,
  target: Target,
  sockets: Set<Socket>,
): void {
  // The client half-closes the error stream at once; what it reads there is our message.
  error.resume();
  const port = /^\d+$/.test(portHeader) ? Number(portHeader) : NaN;
  if (!(port > 0 && port < 65536)) {
    error.end(`unable to parse "${portHeader}" as a port: port must be in the range 1-65535`);
    data.end();
    return;
  }
  const socket = dial(target, port, (message) => {
    error.end(message);
    data.end();
  });
  sockets.add(socket);
  socket.once('connect', () => {
    data.pipe(socket);
    socket.pipe(data);
  });
  socket.once('close', () => {
    sockets.delete(socket);
    if (!data.writableEnded && !data.destroyed) data.end();
    if (!error.writableEnded && !error.destroyed) error.end();
  });
  data.once('close', () => socket.destroy());
  data.on('error', () => socket.destroy());
  error.on('error', () => undefined);
}

// WebSocket channels (client-node).

function serveChannels(websocket: WebSocket, protocol: string, ports: number[], target: Target): void {
  const base64 = protocol.includes('base64');
  const send = (channel: number, payload: Buffer) => {
    if (websocket.readyState !== wsModule.OPEN) return;
    if (base64) websocket.send(`${String.fromCharCode(48 + channel)}${payload.toString('base64')}`);
    else websocket.send(Buffer.concat([Buffer.from([channel]), payload]));
  };
  let open = ports.length;
  const sockets = ports.map((port, i) => {
    const portBytes = Buffer.alloc(2);
    portBytes.writeUInt16LE(port, 0);
    send(2 * i, portBytes);
    send(2 * i + 1, portBytes);
    const socket = dial(target, port, (message) => send(2 * i + 1, Buffer.from(message, 'utf8')));
    socket.on('data', (chunk: Buffer) => send(2 * i, chunk));
    socket.once('close', () => {
      open -= 1;
      if (open === 0 && websocket.readyState === wsModule.OPEN) websocket.close(1000);
    });
    return socket;
  });
  websocket.on('message', (message, isBinary) => {
    const payload = isBinary || !base64 ? message : Buffer.from(message.toString('latin1'), 'latin1');
    if (payload.length === 0) return;
    const channel = base64 ? payload[0]! - 48 : payload[0]!;
    const body = base64 ? Buffer.from(payload.subarray(1).toString('latin1'), 'base64') : payload.subarray(1);
    // Only data channels are writable; the error channels are ours to write.
    if (channel % 2 === 0) sockets[channel / 2]?.write(body);
  });
  websocket.on('close', () => {
    for (const socket of sockets) socket.destroy();
  });
  websocket.on('error', () => undefined);
}
