/**
 * The HTTPS server: reads requests, hands them to the router, writes replies and logs each exchange.
 * Requests with an `Upgrade` header (port-forward) arrive through the 'upgrade' event: an upgrade
 * handler takes the connection over, any other reply is written on the raw connection.
 */
import { type IncomingMessage, type ServerResponse, STATUS_CODES } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import type { Reply, Upgraded } from './request.ts';
import type { Router } from './router.ts';
import { ApiError } from './status.ts';
import { CLIENT_CA_CERT, SERVER_CERT, SERVER_KEY } from './tls.ts';
import type { RequestRecord, Stall, StallCandidate, StalledRequest } from './types.ts';

export interface HttpServer {
  server: Server;
  url: string;
  address: string;
  /** Closes every connection, upgraded ones (which the HTTP server no longer tracks) included. */
  closeAllConnections(): void;
  stall(match: (request: StallCandidate) => boolean): Stall;
}

/** Holds the requests a stall matches: read, recorded, never answered. */
function stalls() {
  const active = new Set<{ match: (request: StallCandidate) => boolean; requests: StalledRequest[] }>();
  return {
    add(match: (request: StallCandidate) => boolean): Stall {
      const entry = { match, requests: [] as StalledRequest[] };
      active.add(entry);
      return { requests: entry.requests, end: () => active.delete(entry) };
    },
    /** True when the request is held. */
    hold(req: IncomingMessage, socket: Duplex, upgrade: boolean): boolean {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const candidate = { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, upgrade };
      const entry = [...active].find((stall) => stall.match(candidate));
      if (!entry) return false;
      const closed = new Promise<void>((resolve) => {
        if (socket.destroyed) resolve();
        socket.once('close', () => resolve());
      });
      entry.requests.push({ method: candidate.method, path: candidate.path, upgrade, closed });
      return true;
    },
  };
}

export async function listen(router: () => Router, log: RequestRecord[]): Promise<HttpServer> {
  const upgraded = new Set<Duplex>();
  const held = stalls();
  // Client certificates are asked for, not required: token clients present none (kube-apiserver does the same).
  const tls = {
    cert: SERVER_CERT,
    key: SERVER_KEY,
    ca: CLIENT_CA_CERT,
    requestCert: true,
    rejectUnauthorized: false,
  };
  const server = createServer(tls, (req, res) => {
    if (held.hold(req, req.socket, false)) {
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => serve(router(), req, Buffer.concat(chunks), res, log));
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    upgraded.add(socket);
    socket.once('close', () => upgraded.delete(socket));
    socket.on('error', () => socket.destroy());
    if (held.hold(req, socket, true)) return;
    upgrade(router(), req, socket, head, log);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    server,
    url: `https://127.0.0.1:${port}`,
    address: `127.0.0.1:${port}`,
    closeAllConnections: () => {
      server.closeAllConnections();
      for (const socket of upgraded) socket.destroy();
    },
    stall: (match) => held.add(match),
  };
}

/** The common name of a client certificate the client CA signed, which names the user (as in Kubernetes). */
function certificateUser(socket: TLSSocket): string | undefined {
  if (!socket.authorized) return undefined;
  const name = socket.getPeerCertificate().subject?.CN;
  return typeof name === 'string' && name !== '' ? name : undefined;
}

/** Routes one request; errors become their Status reply. */
function route(
  router: Router,
  req: IncomingMessage,
  body: Buffer,
  log: RequestRecord[],
): { record: RequestRecord; reply: Reply } {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  const contentType = req.headers['content-type'];
  const record: RequestRecord = {
    method: req.method ?? 'GET',
    path: url.pathname,
    query: url.search.replace(/^\?/, ''),
    ...(contentType ? { contentType } : {}),
    user: '',
    status: 0,
  };
  log.push(record);
  let reply: Reply;
  try {
    const handled = router.handle(
      {
        method: record.method,
        path: url.pathname,
        query: url.searchParams,
        search: url.search,
        headers: req.headers,
        body,
      },
      certificateUser(req.socket as TLSSocket),
    );
    record.user = handled.user;
    reply = handled.reply;
  } catch (error) {
    const failure =
      error instanceof ApiError
        ? error
        : new ApiError(500, 'InternalError', `Internal error occurred: ${String(error)}`);
    if (!(error instanceof ApiError)) console.error('control-plane: request failed', error);
    reply = { status: failure.code, body: failure.toStatus() };
  }
  return { record, reply };
}

function serve(
  router: Router,
  req: IncomingMessage,
  body: Buffer,
  res: ServerResponse,
  log: RequestRecord[],
): void {
  const { record, reply } = route(router, req, body, log);
  // A stream writes its own head (pods/proxy: the pod's status); the log keeps what was sent.
  if ('stream' in reply) record.streaming = true;
  record.status = sendReply(reply, res, (status) => {
    record.status = status;
    record.streaming = false;
  });
}

function upgrade(
  router: Router,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  log: RequestRecord[],
): void {
  const { record, reply } = route(router, req, Buffer.alloc(0), log);
  record.upgrade = { requested: String(req.headers.upgrade ?? '') };
  const outcome = upgradeReply(reply, req, socket, head);
  record.status = outcome.status;
  if (outcome.protocol) record.upgrade.protocol = outcome.protocol;
}

/**
 * Writes a reply to a plain request and returns its status; a stream writes its own head (pods/proxy:
 * the pod's status), told through `streamed` once it is sent.
 */
export function sendReply(reply: Reply, res: ServerResponse, streamed: (status: number) => void): number {
  if ('upgrade' in reply) {
    const text = JSON.stringify(new ApiError(400, 'BadRequest', 'Upgrade request required').toStatus());
    res.writeHead(400, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
    return 400;
  }
  if ('stream' in reply) {
    const sent = () => streamed(res.statusCode);
    res.once('finish', sent);
    res.once('close', sent);
    reply.stream(res);
    return 200;
  }
  const text = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
  res.writeHead(reply.status, {
    'Content-Type': reply.contentType ?? 'application/json',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
  return reply.status;
}

/** Hands an upgrade request's connection to the reply; anything else is answered on it, which then closes. */
export function upgradeReply(reply: Reply, req: IncomingMessage, socket: Duplex, head: Buffer): Upgraded {
  if ('upgrade' in reply) {
    try {
      return reply.upgrade(req, socket, head);
    } catch (error) {
      console.error('control-plane: upgrade failed', error);
      socket.destroy();
      return { status: 500 };
    }
  }
  const [status, text, contentType] =
    'stream' in reply
      ? [
          400,
          JSON.stringify(new ApiError(400, 'BadRequest', 'this request cannot be upgraded').toStatus()),
          'application/json',
        ]
      : [
          reply.status,
          typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body),
          reply.contentType ?? 'application/json',
        ];
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n` +
      `Content-Type: ${contentType}\r\nContent-Length: ${Buffer.byteLength(text)}\r\n` +
      `Connection: close\r\n\r\n${text}`,
  );
  return { status };
}
