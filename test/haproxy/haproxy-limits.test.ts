/**
 * A route's limits, enforced by a real HAProxy serving the config route add writes: 413 for oversized
 * bodies (with or without Content-Length) that never reach the listener, 429 with Retry-After past the
 * rate (per route, or per client address), 403 outside the allow-list, X-Forwarded-For believed from a
 * trusted proxy only, and 503 after the queue timeout past max-concurrent. Clients use distinct loopback
 * addresses (Linux routes all of 127/8 to lo) so that each has its own source address.
 */
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { parseDeliveryLog } from '../../src/haproxy/delivery-log.ts';
import { serviceAddress } from '../../src/haproxy/route-render.ts';
import {
  addRoute,
  BUILT_IN_DEFAULTS,
  type RouteLimitSettings,
  type RouteSpec,
  writeGatewayProtection,
} from '../../src/haproxy/routes.ts';
import { eventually } from '../support/eventually.ts';
import {
  bundledGatewayConfig,
  findHaproxy,
  HAPROXY_MISSING,
  type RunningHaproxy,
  startHaproxy,
} from '../support/haproxy.ts';
import { freePort } from '../support/ports.ts';

const haproxy = findHaproxy();

interface Listener {
  port: number;
  server: Server;
  /** Every request it received: path, body size, X-Forwarded-For. */
  seen: Array<{ path: string; bytes: number; forwardedFor: string | undefined }>;
  /** Responses held back (handle 'hold'), to release. */
  held: ServerResponse[];
}

/** A stand-in EventListener: answers 200 with the body size, or holds requests to paths under /hold. */
async function startListener(): Promise<Listener> {
  const port = await freePort();
  const listener: Listener = { port, server: undefined as unknown as Server, seen: [], held: [] };
  listener.server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let bytes = 0;
    req.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
    });
    req.on('end', () => {
      const forwarded = req.headers['x-forwarded-for'];
      listener.seen.push({
        path: req.url ?? '',
        bytes,
        forwardedFor: Array.isArray(forwarded) ? forwarded[0] : forwarded,
      });
      if (req.url?.startsWith('/ci/hold')) listener.held.push(res);
      else res.end(`got ${bytes}`);
    });
  });
  await new Promise<void>((resolve) => listener.server.listen(port, '127.0.0.1', resolve));
  return listener;
}

interface Sent {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** One request on a fresh connection from `from` (a 127/8 address); `chunks` are sent chunked, without Content-Length. */
function send(
  port: number,
  path: string,
  options: { from?: string; body?: string; chunks?: string[]; headers?: Record<string, string> } = {},
): Promise<Sent> {
  const { from = '127.0.0.1', body, chunks, headers = {} } = options;
  const method = body !== undefined || chunks !== undefined ? 'POST' : 'GET';
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, path, method, headers, localAddress: from, agent: false },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (chunks) {
      for (const chunk of chunks) req.write(chunk);
      req.end();
    } else req.end(body);
  });
}

const ROUTE = '/ci';

/** The bundled config with one route to the listener, with these limits, trusting these proxies. */
function configWith(listener: Listener, limits: RouteLimitSettings, trustedProxies: string[] = []): string {
  const route: RouteSpec = {
    match: { type: 'path', path: ROUTE },
    service: { name: 'el-ci', namespace: 'ci', port: 8080 },
    limits,
  };
  const protectedCfg = writeGatewayProtection(bundledGatewayConfig(false), {
    trustedProxies,
    defaults: BUILT_IN_DEFAULTS,
  });
  return addRoute(protectedCfg, route, { overwrite: false }).cfg.replace(
    serviceAddress(route.service),
    `127.0.0.1:${listener.port}`,
  );
}

describe.skipIf(!haproxy && !process.env.CI)(
  `route limits enforced by HAProxy (${haproxy ?? HAPROXY_MISSING})`,
  () => {
    const bin = haproxy ?? 'haproxy';
    let running: RunningHaproxy | undefined;
    let listener: Listener | undefined;

    async function serve(
      limits: RouteLimitSettings,
      trustedProxies?: string[],
    ): Promise<{ port: number; listener: Listener; gateway: RunningHaproxy }> {
      listener = await startListener();
      running = await startHaproxy(bin, configWith(listener, limits, trustedProxies));
      return { port: running.ports.http, listener, gateway: running };
    }

    afterEach(async () => {
      await running?.stop();
      running = undefined;
      if (listener) {
        for (const res of listener.held.splice(0)) res.end();
        listener.server.closeAllConnections();
        await new Promise((resolve) => listener?.server.close(resolve));
        listener = undefined;
      }
    });

    const json = (sent: Sent) => ({
      type: sent.headers['content-type'],
      body: JSON.parse(sent.body) as unknown,
    });

    it('413 with a JSON body for a Content-Length over max-body; the listener never sees it', async () => {
      const { port, listener } = await serve({ maxBody: 1024 });
      const big = await send(port, `${ROUTE}/big`, { body: 'x'.repeat(1025) });
      expect(big.status).toBe(413);
      expect(json(big)).toEqual({
        type: 'application/json',
        body: {
          error: 'the request body is larger than 1KiB, the max-body of this route',
          gateway: 'trigger-gateway',
        },
      });
      const fits = await send(port, `${ROUTE}/fits`, { body: 'x'.repeat(1024) });
      expect(fits).toMatchObject({ status: 200, body: 'got 1024' });
      expect(listener.seen.map((seen) => seen.path)).toEqual([`${ROUTE}/fits`]);
    });

    it('413 for a chunked body over max-body, before any of it reaches the listener', async () => {
      const { port, listener } = await serve({ maxBody: 1024 });
      const big = await send(port, `${ROUTE}/chunked-big`, { chunks: ['x'.repeat(600), 'y'.repeat(600)] });
      expect(big.status).toBe(413);
      expect(json(big).body).toMatchObject({
        error: 'the request body is larger than 1KiB, the max-body of this route',
      });
      const small = await send(port, `${ROUTE}/chunked-small`, {
        chunks: ['x'.repeat(300), 'y'.repeat(300)],
      });
      expect(small).toMatchObject({ status: 200, body: 'got 600' });
      expect(listener.seen.map((seen) => seen.path)).toEqual([`${ROUTE}/chunked-small`]);
    });

    it('a chunked body larger than HAProxy can measure gets 413 asking for a Content-Length, even under a large max-body', async () => {
      const { port, listener } = await serve({ maxBody: 1024 * 1024 });
      const chunked = await send(port, `${ROUTE}/chunked-20k`, {
        chunks: ['x'.repeat(10_000), 'y'.repeat(10_000)],
      });
      expect(chunked.status).toBe(413);
      expect(json(chunked).body).toMatchObject({
        error: 'a body without Content-Length is accepted up to 8KiB (max-body 1MiB); send a Content-Length',
      });
      const sized = await send(port, `${ROUTE}/sized-20k`, { body: 'x'.repeat(20_000) });
      expect(sized).toMatchObject({ status: 200, body: 'got 20000' });
      expect(listener.seen.map((seen) => seen.path)).toEqual([`${ROUTE}/sized-20k`]);
    });

    it('429 with Retry-After and a JSON body past the route rate, for every client', async () => {
      const { port, listener } = await serve({ rateLimit: { requests: 3, per: 'm', perSource: false } });
      const statuses = [];
      for (const from of ['127.0.0.5', '127.0.0.6', '127.0.0.5', '127.0.0.7']) {
        statuses.push((await send(port, `${ROUTE}/r`, { from })).status);
      }
      expect(statuses).toEqual([200, 200, 200, 429]);
      const refused = await send(port, `${ROUTE}/r`, { from: '127.0.0.8' });
      expect(refused.status).toBe(429);
      expect(refused.headers['retry-after']).toBe('60');
      expect(json(refused)).toEqual({
        type: 'application/json',
        body: { error: 'over the rate limit of this route, 3/m per gateway pod', gateway: 'trigger-gateway' },
      });
      expect(listener.seen).toHaveLength(3);
    });

    it('only requests let through count against the rate: clients still get through while the route is flooded', async () => {
      const { port, listener } = await serve({ rateLimit: { requests: 5, per: 's', perSource: false } });
      // One after another: the two HAProxy threads could both let a fifth request through at once.
      const burst = [];
      for (let n = 0; n < 20; n++) burst.push(await send(port, `${ROUTE}/burst`));
      expect(burst.filter((sent) => sent.status === 200)).toHaveLength(5);
      expect(burst.filter((sent) => sent.status === 429)).toHaveLength(15);
      // Requests keep coming at 20/s, four times the limit: the refused ones are not counted, so once the
      // second has passed the next one is let through (were every request counted, none ever would be).
      await eventually(async () => expect((await send(port, `${ROUTE}/later`)).status).toBe(200), {
        timeoutMs: 5000,
        intervalMs: 50,
      });
      expect(listener.seen.filter((seen) => seen.path === `${ROUTE}/later`)).toHaveLength(1);
    });

    it('--rate-limit-per-source counts each client address on its own', async () => {
      const { port } = await serve({ rateLimit: { requests: 2, per: 'm', perSource: true } });
      const from5 = [];
      for (let n = 0; n < 3; n++) from5.push((await send(port, `${ROUTE}/r`, { from: '127.0.0.5' })).status);
      expect(from5).toEqual([200, 200, 429]);
      expect((await send(port, `${ROUTE}/r`, { from: '127.0.0.6' })).status).toBe(200);
      const again = await send(port, `${ROUTE}/r`, { from: '127.0.0.5' });
      expect(again.status).toBe(429);
      expect(again.headers['retry-after']).toBe('60');
    });

    it('403 with a JSON body from outside the allow-list; the listener never sees it', async () => {
      const { port, listener } = await serve({ allowFrom: ['127.0.0.5/32', '10.0.0.0/8'] });
      expect((await send(port, `${ROUTE}/in`, { from: '127.0.0.5' })).status).toBe(200);
      const outside = await send(port, `${ROUTE}/out`, { from: '127.0.0.6' });
      expect(outside.status).toBe(403);
      expect(json(outside)).toEqual({
        type: 'application/json',
        body: {
          error: 'the client address is not in the allow-list of this route',
          gateway: 'trigger-gateway',
        },
      });
      expect(listener.seen.map((seen) => seen.path)).toEqual([`${ROUTE}/in`]);
    });

    it('believes X-Forwarded-For only from a trusted proxy, and only its last entry; the delivery log records that client', async () => {
      const { port, listener, gateway } = await serve({ allowFrom: ['203.0.113.0/24'] }, ['127.0.0.2/32']);
      // A client outside the list claiming an address inside it.
      const forged = await send(port, `${ROUTE}/forged`, {
        from: '127.0.0.6',
        headers: { 'X-Forwarded-For': '203.0.113.7', 'X-Request-Id': 'forged' },
      });
      expect(forged.status).toBe(403);
      // The trusted proxy's last entry is the client; earlier entries are whatever the client sent it.
      const proxied = await send(port, `${ROUTE}/proxied`, {
        from: '127.0.0.2',
        headers: { 'X-Forwarded-For': '198.51.100.1, 203.0.113.7', 'X-Request-Id': 'proxied' },
      });
      expect(proxied.status).toBe(200);
      const spoofedThroughProxy = await send(port, `${ROUTE}/spoofed`, {
        from: '127.0.0.2',
        headers: { 'X-Forwarded-For': '203.0.113.7, 198.51.100.1' },
      });
      expect(spoofedThroughProxy.status).toBe(403);
      expect(listener.seen.map((seen) => seen.path)).toEqual([`${ROUTE}/proxied`]);
      const records = await eventually(
        () => {
          const found = parseDeliveryLog(gateway.output()).filter((record) => record.requestId !== undefined);
          expect(found).toHaveLength(2);
          return found;
        },
        { timeoutMs: 10_000 },
      );
      expect(records.map((record) => [record.requestId, record.status, record.client, record.peer])).toEqual([
        ['forged', 403, '127.0.0.6', '127.0.0.6'],
        ['proxied', 200, '203.0.113.7', '127.0.0.2'],
      ]);
    });

    it('503 with a JSON body past max-concurrent once the queue timeout passes; the held request still completes', async () => {
      const { port, listener } = await serve({ maxConcurrent: 1 });
      const first = send(port, `${ROUTE}/hold/1`);
      await eventually(() => expect(listener.held).toHaveLength(1), { timeoutMs: 10_000 });
      const queued = await send(port, `${ROUTE}/hold/2`);
      expect(queued.status).toBe(503);
      expect(json(queued)).toEqual({
        type: 'application/json',
        body: {
          error: 'the listener is unavailable, or busy with max-concurrent 1 requests for longer than 5s',
          gateway: 'trigger-gateway',
        },
      });
      expect(listener.seen.map((seen) => seen.path)).toEqual([`${ROUTE}/hold/1`]);
      listener.held.shift()?.end('released');
      expect(await first).toMatchObject({ status: 200, body: 'released' });
      expect((await send(port, `${ROUTE}/after`)).status).toBe(200);
    }, 30_000);
  },
);
