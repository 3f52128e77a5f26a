/**
 * A server on 127.0.0.1 that accepts connections and never answers, like a hung API server, gateway or
 * proxy: `tcp` says nothing at all (not even a TLS handshake), `http` and `https` read each request and
 * leave it unanswered. It records every connection and when the client closes it: proof that a client
 * that gave up closed what it had opened.
 */
import { createServer as createHttpServer, type IncomingMessage } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createTcpServer, type Server, type Socket } from 'node:net';
import { SERVER_CERT, SERVER_KEY } from './control-plane/tls.ts';

export interface SilentServer {
  url: string;
  port: number;
  /** Every connection accepted so far. */
  connections: number;
  /** Request lines read (`http` and `https`), e.g. `GET /api/v1/namespaces/x/configmaps/y`. */
  requests: string[];
  /** Resolves once every connection accepted so far has been closed by its client. */
  allClosed(): Promise<void>;
  stop(): Promise<void>;
}

export async function startSilentServer(mode: 'tcp' | 'http' | 'https'): Promise<SilentServer> {
  const closed: Array<Promise<void>> = [];
  const sockets = new Set<Socket>();
  const requests: string[] = [];
  const onConnection = (socket: Socket) => {
    sockets.add(socket);
    closed.push(new Promise((resolve) => socket.once('close', () => resolve())));
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
  };
  const onRequest = (request: IncomingMessage) => {
    requests.push(`${request.method} ${request.url}`);
    request.resume();
  };
  let server: Server;
  if (mode === 'tcp') {
    server = createTcpServer((socket) => {
      onConnection(socket);
      // Read (and drop) what comes, or the client's close would go unnoticed.
      socket.resume();
    });
  } else {
    const http =
      mode === 'https'
        ? createHttpsServer({ cert: SERVER_CERT, key: SERVER_KEY }, onRequest)
        : createHttpServer(onRequest);
    // Upgrades and CONNECTs are read and left unanswered too.
    http.on('upgrade', (request: IncomingMessage) => requests.push(`${request.method} ${request.url}`));
    http.on('connect', (request: IncomingMessage) => requests.push(`${request.method} ${request.url}`));
    http.on(mode === 'https' ? 'secureConnection' : 'connection', onConnection);
    server = http;
  }
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `${mode === 'https' ? 'https' : 'http'}://127.0.0.1:${port}`,
    port,
    get connections() {
      return closed.length;
    },
    requests,
    allClosed: async () => {
      await Promise.all(closed);
    },
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
