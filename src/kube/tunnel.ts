/**
 * A TCP connection to a host and port through a proxy, as Go opens one for kubectl: an HTTP CONNECT
 * through an http:// or https:// proxy (with Proxy-Authorization from the proxy URL's user and password),
 * or a SOCKS5 CONNECT (user and password authentication when the URL has them). The tunnel carries
 * whatever the caller speaks: TLS to the API server, a port-forward's WebSocket.
 */
import type { Duplex } from 'node:stream';
import { hostAndPort, type ProxyRoute, proxyCredentials } from './proxy.ts';

const net = process.getBuiltinModule('node:net');
const tls = process.getBuiltinModule('node:tls');

/** How the TLS connection to an https:// proxy is checked: the cluster's settings, as Go uses them. */
export interface ProxyTls {
  ca?: string | Buffer | Array<string | Buffer> | undefined;
  rejectUnauthorized?: boolean | undefined;
}

export type ProxyFailure =
  | { kind: 'unreachable'; code: string }
  | { kind: 'refused'; status: number; statusText: string }
  | { kind: 'socks'; reply: number };

/** The proxy could not be reached, or would not open the tunnel. */
export class ProxyError extends Error {
  constructor(
    readonly proxy: ProxyRoute,
    /** host:port the tunnel was for. */
    readonly destination: string,
    readonly failure: ProxyFailure,
    options?: { cause: unknown },
  ) {
    super(
      failure.kind === 'unreachable'
        ? `proxy ${proxy.url.host}: ${failure.code}`
        : failure.kind === 'refused'
          ? `proxy ${proxy.url.host} answered ${failure.status} ${failure.statusText} to CONNECT ${destination}`
          : `SOCKS5 proxy ${proxy.url.host} answered ${failure.reply} to CONNECT ${destination}`,
      options,
    );
    this.name = 'ProxyError';
  }
}

/** Reads a handshake off a socket, message by message, leaving what follows it unread. */
export function handshakeReader(socket: Duplex) {
  let buffered = Buffer.alloc(0);
  let waiting: { size: (data: Buffer) => number | undefined; resolve: (data: Buffer) => void } | undefined;
  const take = () => {
    const size = waiting && waiting.size(buffered);
    if (!waiting || size === undefined) return;
    const message = buffered.subarray(0, size);
    buffered = buffered.subarray(size);
    const { resolve } = waiting;
    waiting = undefined;
    resolve(message);
  };
  const onData = (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    take();
  };
  socket.on('data', onData);
  return {
    /** The next message; `size` says how long it is once enough of it arrived. */
    next(size: (data: Buffer) => number | undefined): Promise<Buffer> {
      return new Promise((resolve) => {
        waiting = { size, resolve };
        take();
      });
    },
    /** Hands the socket on: nothing more is read here, and bytes read past the handshake go back. */
    release(): void {
      socket.off('data', onData);
      socket.pause();
      if (buffered.length > 0) socket.unshift(buffered);
    },
  };
}

const hostPort = (host: string, port: number) =>
  host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;

async function httpConnect(
  socket: Duplex,
  route: ProxyRoute,
  destination: string,
  userAgent: string,
): Promise<void> {
  const reader = handshakeReader(socket);
  const credentials = proxyCredentials(route);
  const auth = credentials
    ? `Proxy-Authorization: Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}\r\n`
    : '';
  socket.write(
    `CONNECT ${destination} HTTP/1.1\r\nHost: ${destination}\r\nUser-Agent: ${userAgent}\r\n${auth}\r\n`,
  );
  const head = await reader.next((data) => {
    const end = data.indexOf('\r\n\r\n');
    return end < 0 ? undefined : end + 4;
  });
  reader.release();
  const status = /^HTTP\/\d\.\d (\d{3}) ?([^\r\n]*)/.exec(head.toString('latin1'));
  // Go takes 200 only, not any 2xx.
  if (status?.[1] !== '200') {
    throw new ProxyError(route, destination, {
      kind: 'refused',
      status: Number(status?.[1] ?? 0),
      statusText: status?.[2] ?? head.toString('latin1').split('\r\n')[0] ?? '',
    });
  }
}

/** RFC 1928, with RFC 1929 user and password authentication when the proxy URL has them. */
async function socks5Connect(
  socket: Duplex,
  route: ProxyRoute,
  target: { host: string; port: number },
  destination: string,
): Promise<void> {
  const reader = handshakeReader(socket);
  const fixed = (length: number) => (data: Buffer) => (data.length >= length ? length : undefined);
  const refused = (reply: number) => new ProxyError(route, destination, { kind: 'socks', reply });
  const credentials = proxyCredentials(route);
  socket.write(Buffer.from(credentials ? [5, 2, 0, 2] : [5, 1, 0]));
  const [version, method] = await reader.next(fixed(2));
  if (version !== 5 || (method !== 0 && !(method === 2 && credentials))) throw refused(0xff);
  if (method === 2 && credentials) {
    const user = Buffer.from(credentials.username);
    const password = Buffer.from(credentials.password);
    socket.write(
      Buffer.concat([Buffer.from([1, user.length]), user, Buffer.from([password.length]), password]),
    );
    const [, status] = await reader.next(fixed(2));
    if (status !== 0) throw refused(0xfe);
  }
  const family = net.isIP(target.host);
  const address =
    family === 4
      ? Buffer.from([1, ...target.host.split('.').map(Number)])
      : family === 6
        ? Buffer.concat([Buffer.from([4]), ipv6Bytes(target.host)])
        : Buffer.concat([Buffer.from([3, Buffer.byteLength(target.host)]), Buffer.from(target.host)]);
  const port = Buffer.alloc(2);
  port.writeUInt16BE(target.port);
  socket.write(Buffer.concat([Buffer.from([5, 1, 0]), address, port]));
  const reply = await reader.next((data) => {
    if (data.length < 5) return undefined;
    const length = data[3] === 1 ? 4 : data[3] === 4 ? 16 : 1 + (data[4] ?? 0);
    return data.length >= 4 + length + 2 ? 4 + length + 2 : undefined;
  });
  reader.release();
  if (reply[1] !== 0) throw refused(reply[1] ?? 1);
}

function ipv6Bytes(address: string): Buffer {
  const [head = '', tail = ''] = address.split('::');
  const groups = (text: string) => (text ? text.split(':') : []);
  const missing = 8 - groups(head).length - groups(tail).length;
  const all = address.includes('::')
    ? [...groups(head), ...Array<string>(missing).fill('0'), ...groups(tail)]
    : groups(address);
  const bytes = Buffer.alloc(16);
  all.forEach((group, index) => bytes.writeUInt16BE(Number.parseInt(group, 16), index * 2));
  return bytes;
}

/**
 * Opens a tunnel to `target` through `route`. `signal` abandons it at any stage: the connection to the
 * proxy is closed, and the promise rejects with the signal's reason.
 */
export function openTunnel(
  route: ProxyRoute,
  target: { host: string; port: number },
  options: { signal?: AbortSignal | undefined; proxyTls: ProxyTls; userAgent: string },
): Promise<Duplex> {
  const destination = hostPort(target.host, target.port);
  const proxy = hostAndPort(route.url);
  const secure = route.url.protocol === 'https:';
  const socket: Duplex = secure
    ? tls.connect({
        host: proxy.host,
        port: proxy.port,
        ...(net.isIP(proxy.host) ? {} : { servername: proxy.host }),
        // The system's roots and the cluster's CA: Go checks an https:// proxy with the cluster's TLS settings.
        ca: [...tls.rootCertificates, ...[options.proxyTls.ca ?? []].flat()],
        rejectUnauthorized: options.proxyTls.rejectUnauthorized !== false,
        ALPNProtocols: ['http/1.1'],
      })
    : net.connect({ host: proxy.host, port: proxy.port });
  return new Promise<Duplex>((resolve, reject) => {
    let connected = false;
    const fail = (error: unknown) => {
      socket.destroy();
      reject(error);
    };
    const onAbort = () => fail(options.signal?.reason);
    if (options.signal?.aborted) return onAbort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const onError = (error: NodeJS.ErrnoException) => {
      const code = error.code ?? (connected ? 'ECONNRESET' : 'ECONNREFUSED');
      fail(
        error instanceof ProxyError
          ? error
          : new ProxyError(route, destination, { kind: 'unreachable', code }, { cause: error }),
      );
    };
    const onClose = () =>
      onError(Object.assign(new Error('the proxy closed the connection'), { code: 'ECONNRESET' }));
    socket.on('error', onError);
    socket.once('close', onClose);
    socket.once(secure ? 'secureConnect' : 'connect', () => {
      connected = true;
      const handshake =
        route.url.protocol === 'socks5:'
          ? socks5Connect(socket, route, target, destination)
          : httpConnect(socket, route, destination, options.userAgent);
      handshake.then(
        () => {
          options.signal?.removeEventListener('abort', onAbort);
          socket.off('error', onError);
          socket.off('close', onClose);
          resolve(socket);
        },
        (error: unknown) => fail(error),
      );
    });
  });
}
