/**
 * What the local forge servers share: an HTTP server on loopback, JSON answers, page/per_page
 * pagination with RFC 8288 Link headers, and the private-address test providers apply to hook URLs.
 * Each server (github.ts, gitlab.ts) answers as its provider's published REST documentation says,
 * and sends the deliveries its test endpoint asks for, as the provider would, to the hook's URL.
 */
import {
  createServer,
  type IncomingMessage,
  request as httpRequest,
  type Server,
  type ServerResponse,
  STATUS_CODES,
} from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ForgeRequest {
  method: string;
  /** Path without the query. */
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  /** The parsed JSON body; undefined without one. */
  body: unknown;
}

export interface ForgeAnswer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface RunningForge {
  url: string;
  /** Every request received, in order (bodies parsed), for assertions. */
  requests: ForgeRequest[];
  close(): Promise<void>;
}

export async function startForgeServer(
  handle: (request: ForgeRequest, origin: string) => ForgeAnswer | Promise<ForgeAnswer>,
): Promise<RunningForge> {
  const requests: ForgeRequest[] = [];
  let origin = '';
  const server: Server = createServer((incoming: IncomingMessage, outgoing: ServerResponse) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', async () => {
      const url = new URL(incoming.url ?? '/', origin);
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      let answer: ForgeAnswer;
      try {
        body = text ? JSON.parse(text) : undefined;
        const request = {
          method: incoming.method ?? 'GET',
          path: url.pathname,
          query: url.searchParams,
          headers: incoming.headers,
          body,
        };
        requests.push(request);
        answer = await handle(request, origin);
      } catch {
        answer = { status: 400, body: { message: 'Problems parsing JSON' } };
      }
      const payload = answer.body === undefined ? '' : JSON.stringify(answer.body);
      outgoing.writeHead(answer.status, {
        ...(payload ? { 'Content-Type': 'application/json; charset=utf-8' } : {}),
        ...answer.headers,
      });
      outgoing.end(payload);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: origin,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** One page of `items` and its Link header (first, prev, next, last), as GitHub and GitLab write it. */
export function paginate<T>(
  items: readonly T[],
  request: ForgeRequest,
  origin: string,
  sizes: { default: number; max: number },
): { page: T[]; link: string; pageNumber: number; perPage: number; totalPages: number } {
  const perPage = Math.min(
    Math.max(Number(request.query.get('per_page') ?? sizes.default) || sizes.default, 1),
    sizes.max,
  );
  const pageNumber = Math.max(Number(request.query.get('page') ?? 1) || 1, 1);
  const totalPages = Math.max(Math.ceil(items.length / perPage), 1);
  const at = (page: number) => {
    const query = new URLSearchParams(request.query);
    query.set('page', String(page));
    query.set('per_page', String(perPage));
    return `<${origin}${request.path}?${query}>`;
  };
  const links: string[] = [];
  if (pageNumber > 1) links.push(`${at(pageNumber - 1)}; rel="prev"`);
  if (pageNumber < totalPages) links.push(`${at(pageNumber + 1)}; rel="next"`);
  links.push(`${at(1)}; rel="first"`, `${at(totalPages)}; rel="last"`);
  return {
    page: items.slice((pageNumber - 1) * perPage, pageNumber * perPage),
    link: links.join(', '),
    pageNumber,
    perPage,
    totalPages,
  };
}

/** Loopback, private (RFC 1918), link-local and unique-local hosts: not reachable from the internet. */
export function isPrivateHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '');
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  const v4 = /^(\d+)\.(\d+)\.\d+\.\d+$/.exec(host);
  if (v4) {
    const [a, b] = [Number(v4[1]), Number(v4[2])];
    return (
      a === 127 ||
      a === 10 ||
      (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168) ||
      (a === 169 && b === 254) ||
      a === 0
    );
  }
  return host === '::1' || /^f[cd]/i.test(host) || /^fe80:/i.test(host);
}

export const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

/**
 * Where the forge's resolver sends a hook URL's host: a test maps the gateway's public name to where
 * the gateway listens (the Host header keeps the name); by default the URL's own host and port.
 */
export type HookAddress = (url: URL) => { host: string; port: number };

export const ownAddress: HookAddress = (url) => ({
  host: url.hostname.replace(/^\[|\]$/g, ''),
  port: Number(url.port) || (url.protocol === 'https:' ? 443 : 80),
});

/** What a receiver answered to a delivery; `error` when it did not answer (as a forge records it). */
export interface HookResponse {
  status: number | undefined;
  statusText: string;
  headers: Record<string, string>;
  body: string;
  error?: string;
}

/** A delivery POSTed to a hook's URL, as a forge sends it (plain HTTP: the tests' gateway has no TLS). */
export function sendDelivery(
  url: string,
  headers: Record<string, string>,
  body: Buffer,
  address: HookAddress = ownAddress,
  timeoutMs = 10_000,
): Promise<HookResponse> {
  const target = new URL(url);
  const { host, port } = address(target);
  return new Promise((resolve) => {
    const fail = (error: Error) =>
      resolve({ status: undefined, statusText: error.message, headers: {}, body: '', error: error.message });
    const outgoing = httpRequest(
      {
        host,
        port,
        method: 'POST',
        path: `${target.pathname}${target.search}`,
        headers: { ...headers, Host: target.host, 'Content-Length': String(body.length) },
        timeout: timeoutMs,
      },
      (incoming) => {
        const chunks: Buffer[] = [];
        incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
        incoming.on('end', () => {
          const status = incoming.statusCode ?? 0;
          resolve({
            status,
            statusText: STATUS_CODES[status] ?? String(status),
            headers: Object.fromEntries(
              Object.entries(incoming.headers).map(([name, value]) => [
                name,
                Array.isArray(value) ? value.join(', ') : String(value ?? ''),
              ]),
            ),
            body: Buffer.concat(chunks).toString('utf8'),
          });
        });
        incoming.on('error', fail);
      },
    );
    outgoing.on('timeout', () => outgoing.destroy(new Error(`timed out after ${timeoutMs / 1000}s`)));
    outgoing.on('error', fail);
    outgoing.end(body);
  });
}
