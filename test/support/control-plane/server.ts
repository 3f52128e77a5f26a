/** The HTTPS server: reads requests, hands them to the router, writes replies and logs each exchange. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Reply } from './request.ts';
import type { Router } from './router.ts';
import { ApiError } from './status.ts';
import { SERVER_CERT, SERVER_KEY } from './tls.ts';
import type { RequestRecord } from './types.ts';

export interface HttpServer {
  server: Server;
  url: string;
  address: string;
}

export async function listen(router: () => Router, log: RequestRecord[]): Promise<HttpServer> {
  const server = createServer({ cert: SERVER_CERT, key: SERVER_KEY }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => serve(router(), req, Buffer.concat(chunks), res, log));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, url: `https://127.0.0.1:${port}`, address: `127.0.0.1:${port}` };
}

function serve(
  router: Router,
  req: IncomingMessage,
  body: Buffer,
  res: ServerResponse,
  log: RequestRecord[],
): void {
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
    const handled = router.handle({
      method: record.method,
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      body,
    });
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
  if ('stream' in reply) {
    record.status = 200;
    reply.stream(res);
    return;
  }
  record.status = reply.status;
  const text = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
  res.writeHead(reply.status, {
    'Content-Type': reply.contentType ?? 'application/json',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}
