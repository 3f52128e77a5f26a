/**
 * A forward proxy on 127.0.0.1, behaving as corporate proxies do: CONNECT tunnels and absolute-form
 * requests over http:// or https:// (`tls`), or SOCKS5 (`socks5`). Host names in `hosts` resolve here
 * and nowhere else, so a cluster named by one is reachable through this proxy only. It records what it
 * was asked for, can require a user and password (407 / SOCKS5 authentication) and refuse destinations
 * (403 / SOCKS5 "not allowed").
 */
import { createServer as createHttpServer, type IncomingMessage, request as httpRequest } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { connect, createServer as createTcpServer, isIP, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { handshakeReader } from '../../src/kube/tunnel.ts';
import { SERVER_CERT, SERVER_KEY } from './control-plane/tls.ts';

export interface ProxyOptions {
  /** Host name -> address, for the names only this proxy can resolve (a map, or a function for a whole domain). */
  hosts?: Record<string, string> | ((host: string) => string | undefined);
  /** Required credentials; without them a CONNECT gets 407 (SOCKS5: authentication fails). */
  auth?: { username: string; password: string };
  /** Destinations ("host:port") the proxy refuses with 403 (SOCKS5: reply 2, not allowed). */
  deny?: (destination: string) => boolean;
  /** Serve the proxy itself over TLS (an https:// proxy), with the control plane's certificate. */
  tls?: boolean;
  socks5?: boolean;
}

export interface ProxyRequest {
  /** CONNECT, SOCKS5, or the method of an absolute-form request. */
  method: string;
  /** host:port of a tunnel, or the absolute URL of a forwarded request. */
  target: string;
  /** The Proxy-Authorization header (SOCKS5: "user:password"), as it arrived. */
  authorization?: string;
  /** The User-Agent of a CONNECT. */
  userAgent?: string;
}

export interface TestProxy {
  url: string;
  port: number;
  requests: ProxyRequest[];
  stop(): Promise<void>;
}

function splitDestination(destination: string): { host: string; port: number } {
  const match = /^\[?([^\]]+?)\]?:(\d+)$/.exec(destination);
  return { host: match?.[1] ?? destination, port: Number(match?.[2] ?? 0) };
}

export async function startProxy(options: ProxyOptions = {}): Promise<TestProxy> {
  const requests: ProxyRequest[] = [];
  const sockets = new Set<Duplex>();
  const track = (socket: Duplex) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  };
  const named = (host: string) =>
    typeof options.hosts === 'function' ? options.hosts(host) : options.hosts?.[host];
  const resolve = (host: string) => named(host) ?? (isIP(host) ? host : undefined);
  const expected =
    options.auth &&
    `Basic ${Buffer.from(`${options.auth.username}:${options.auth.password}`).toString('base64')}`;

  /** Connects to the destination and joins the two; `answer` writes the success or failure reply. */
  const tunnel = (client: Duplex, destination: string, answer: (ok: boolean) => void, head?: Buffer) => {
    const { host, port } = splitDestination(destination);
    const address = resolve(host);
    if (!address) return answer(false);
    const upstream = connect({ host: address, port });
    track(upstream);
    upstream.once('connect', () => {
      answer(true);
      if (head?.length) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.once('error', () => answer(false));
    client.once('close', () => upstream.destroy());
    upstream.once('close', () => client.destroy());
  };

  let server: Server;
  if (options.socks5) {
    server = createTcpServer((client) => {
      track(client);
      void socks5(client, options, requests, tunnel);
    });
  } else {
    const http = options.tls ? createHttpsServer({ cert: SERVER_CERT, key: SERVER_KEY }) : createHttpServer();
    http.on(options.tls ? 'secureConnection' : 'connection', track);
    http.on('connect', (req: IncomingMessage, client: Duplex, head: Buffer) => {
      const destination = req.url ?? '';
      const authorization = req.headers['proxy-authorization'];
      requests.push({
        method: 'CONNECT',
        target: destination,
        ...(authorization ? { authorization } : {}),
        ...(req.headers['user-agent'] ? { userAgent: req.headers['user-agent'] } : {}),
      });
      if (expected && authorization !== expected) {
        client.end(
          'HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="test"\r\nContent-Length: 0\r\n\r\n',
        );
        return;
      }
      if (options.deny?.(destination)) {
        client.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      tunnel(
        client,
        destination,
        (ok) =>
          ok
            ? client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
            : client.end('HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n'),
        head,
      );
    });
    // Plain http:// through the proxy: the request names its absolute URL.
    http.on('request', (req, res) => {
      const authorization = req.headers['proxy-authorization'];
      requests.push({
        method: req.method ?? 'GET',
        target: req.url ?? '',
        ...(authorization ? { authorization } : {}),
      });
      if (expected && authorization !== expected) {
        res.writeHead(407, { 'Proxy-Authenticate': 'Basic realm="test"' }).end();
        return;
      }
      const url = new URL(req.url ?? '');
      const address = resolve(url.hostname);
      if (!address) {
        res.writeHead(502).end();
        return;
      }
      const headers = { ...req.headers };
      delete headers['proxy-authorization'];
      const upstream = httpRequest(
        {
          host: address,
          port: url.port || 80,
          path: `${url.pathname}${url.search}`,
          method: req.method,
          headers,
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      upstream.on('error', () => res.writeHead(502).end());
      req.pipe(upstream);
    });
    server = http;
  }
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const scheme = options.socks5 ? 'socks5' : options.tls ? 'https' : 'http';
  return {
    url: `${scheme}://127.0.0.1:${port}`,
    port,
    requests,
    stop: () =>
      new Promise<void>((done) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => done());
      }),
  };
}

/** RFC 1928 CONNECT, with RFC 1929 user and password when `auth` is set. */
async function socks5(
  client: Socket,
  options: ProxyOptions,
  requests: ProxyRequest[],
  tunnel: (client: Duplex, destination: string, answer: (ok: boolean) => void) => void,
): Promise<void> {
  const reader = handshakeReader(client);
  const read = (size: (data: Buffer) => number | undefined) => reader.next(size);
  const greeting = await read((data) =>
    data.length >= 2 && data.length >= 2 + (data[1] ?? 0) ? 2 + (data[1] ?? 0) : undefined,
  );
  const methods = [...greeting.subarray(2)];
  const method = options.auth ? (methods.includes(2) ? 2 : 0xff) : methods.includes(0) ? 0 : 0xff;
  client.write(Buffer.from([5, method]));
  if (method === 0xff) return void client.end();
  let authorization: string | undefined;
  if (method === 2) {
    const auth = await read((data) => {
      if (data.length < 2) return undefined;
      const userEnd = 2 + (data[1] ?? 0);
      if (data.length < userEnd + 1) return undefined;
      const end = userEnd + 1 + (data[userEnd] ?? 0);
      return data.length >= end ? end : undefined;
    });
    const user = auth.subarray(2, 2 + (auth[1] ?? 0)).toString();
    const password = auth.subarray(3 + (auth[1] ?? 0)).toString();
    authorization = `${user}:${password}`;
    const ok = user === options.auth?.username && password === options.auth?.password;
    client.write(Buffer.from([1, ok ? 0 : 1]));
    if (!ok) return void client.end();
  }
  const request = await read((data) => {
    if (data.length < 5) return undefined;
    const length = data[3] === 1 ? 4 : data[3] === 4 ? 16 : 1 + (data[4] ?? 0);
    return data.length >= 4 + length + 2 ? 4 + length + 2 : undefined;
  });
  reader.release();
  const type = request[3];
  const addressBytes = request.subarray(4, request.length - 2);
  const host =
    type === 1
      ? [...addressBytes].join('.')
      : type === 4
        ? (addressBytes.toString('hex').match(/.{4}/g) ?? []).join(':')
        : addressBytes.subarray(1).toString();
  const destination = `${type === 4 ? `[${host}]` : host}:${request.readUInt16BE(request.length - 2)}`;
  requests.push({ method: 'SOCKS5', target: destination, ...(authorization ? { authorization } : {}) });
  const reply = (code: number) => Buffer.from([5, code, 0, 1, 0, 0, 0, 0, 0, 0]);
  if (options.deny?.(destination)) return void client.end(reply(2));
  tunnel(client, destination, (ok) => (ok ? client.write(reply(0)) : client.end(reply(4))));
}
