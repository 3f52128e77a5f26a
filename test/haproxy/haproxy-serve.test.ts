/**
 * A real HAProxy serving our configs on 127.0.0.1: the 404 for unknown paths, health, metrics on the
 * stats port only, start-up with listeners that do not resolve, whole-segment routing, soft stop.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import {
  addRoutes,
  defaultGatewayConfig,
  HEALTH_PATH,
  METRICS_PATH,
  NOT_FOUND_BODY,
  type Route,
  routeServerAddress,
  STATS_PATH,
} from '../../src/haproxy/gateway-config.ts';
import {
  bundledGatewayConfig,
  findHaproxy,
  HAPROXY_MISSING,
  isRefused,
  type RunningHaproxy,
  request,
  startHaproxy,
} from '../support/haproxy.ts';
import { freePort } from '../support/ports.ts';

const haproxy = findHaproxy();

interface Listener {
  port: number;
  server: Server;
  /** Paths and X-Forwarded-For of the requests it received, in order. */
  seen: Array<{ path: string; forwardedFor: string | undefined }>;
}

/** A local HTTP server standing in for an EventListener; `handle` may hold the response back. */
async function startListener(
  name: string,
  handle: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.end(name),
): Promise<Listener> {
  const port = await freePort();
  const seen: Listener['seen'] = [];
  const server = createServer((req, res) => {
    const forwarded = req.headers['x-forwarded-for'];
    seen.push({ path: req.url ?? '', forwardedFor: Array.isArray(forwarded) ? forwarded[0] : forwarded });
    handle(req, res);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { port, server, seen };
}

/** A config routing each route to a local listener: the in-cluster address is swapped for 127.0.0.1. */
function localRoutes(entries: Array<{ route: Route; listener: Listener }>): string {
  let cfg = addRoutes(
    defaultGatewayConfig(),
    entries.map((entry) => entry.route),
  );
  for (const { route, listener } of entries) {
    cfg = cfg.replace(routeServerAddress(route), `127.0.0.1:${listener.port}`);
  }
  return cfg;
}

// Outside CI a machine without haproxy skips these; in CI they run, and fail loudly without it.
describe.skipIf(!haproxy && !process.env.CI)(
  `HAProxy serving the gateway config (${haproxy ?? HAPROXY_MISSING})`,
  () => {
    const bin = haproxy ?? 'haproxy';
    let running: RunningHaproxy | undefined;
    const listeners: Listener[] = [];

    async function start(cfg: string): Promise<RunningHaproxy> {
      running = await startHaproxy(bin, cfg);
      return running;
    }

    async function listener(name: string, handle?: Parameters<typeof startListener>[1]): Promise<Listener> {
      const started = await startListener(name, handle);
      listeners.push(started);
      return started;
    }

    afterEach(async () => {
      await running?.stop();
      running = undefined;
      for (const { server } of listeners.splice(0)) {
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
      }
    });

    it('answers an unknown path with 404 and a JSON body naming the gateway', async () => {
      const gateway = await start(defaultGatewayConfig());
      const response = await request(gateway.ports.http, '/nope/at/all?x=1', 'POST', '{}');
      expect(response.status).toBe(404);
      expect(response.headers['content-type']).toBe('application/json');
      expect(JSON.parse(response.body)).toEqual({
        error: 'no route for this path',
        gateway: 'trigger-gateway',
      });
      expect(response.body).toBe(NOT_FOUND_BODY);
    });

    it('serves health and Prometheus metrics on the stats port', async () => {
      const gateway = await start(defaultGatewayConfig());
      expect((await request(gateway.ports.stats, HEALTH_PATH)).status).toBe(200);
      const metrics = await request(gateway.ports.stats, METRICS_PATH);
      expect(metrics.status).toBe(200);
      expect(metrics.headers['content-type']).toMatch(/^text\/plain/);
      expect(metrics.body).toMatch(/^# HELP haproxy_process_/m);
      expect(metrics.body).toMatch(/^haproxy_frontend_http_requests_total\{proxy="gateway"\}/m);
      expect((await request(gateway.ports.stats, STATS_PATH)).status).toBe(200);
    });

    it('does not serve metrics, stats or health on the gateway port', async () => {
      const gateway = await start(defaultGatewayConfig());
      for (const path of [METRICS_PATH, STATS_PATH, HEALTH_PATH]) {
        const response = await request(gateway.ports.http, path);
        expect(response.status, path).toBe(404);
        expect(response.body, path).toBe(NOT_FOUND_BODY);
      }
    });

    it('starts although the echo Service does not resolve, answering 503 on its route and 404 elsewhere', async () => {
      const gateway = await start(bundledGatewayConfig(true));
      expect((await request(gateway.ports.http, '/trigger')).status).toBe(503);
      expect((await request(gateway.ports.http, '/trigger/sub')).status).toBe(503);
      expect((await request(gateway.ports.http, '/nope')).status).toBe(404);
      expect((await request(gateway.ports.stats, HEALTH_PATH)).status).toBe(200);
    });

    it('matches whole path segments, longest route first', async () => {
      const trigger = await listener('trigger');
      const team = await listener('team');
      const gateway = await start(
        localRoutes([
          {
            route: { path: '/trigger', service: 'el-trigger', namespace: 'ci', port: 8080 },
            listener: trigger,
          },
          {
            route: { path: '/trigger/team_a', service: 'el-team', namespace: 'ci', port: 8080 },
            listener: team,
          },
        ]),
      );
      const port = gateway.ports.http;
      expect((await request(port, '/trigger')).body).toBe('trigger');
      expect((await request(port, '/trigger/')).body).toBe('trigger');
      expect((await request(port, '/trigger/x?a=b')).body).toBe('trigger');
      expect((await request(port, '/trigger/team_a')).body).toBe('team');
      expect((await request(port, '/trigger/team_a/push')).body).toBe('team');
      expect((await request(port, '/trigger/team_ab')).body).toBe('trigger');
      for (const path of ['/triggers', '/trigger-x', '/Trigger', '/', '/x/trigger']) {
        expect((await request(port, path)).status, path).toBe(404);
      }
      expect(trigger.seen.map((seen) => seen.path)).toEqual([
        '/trigger',
        '/trigger/',
        '/trigger/x?a=b',
        '/trigger/team_ab',
      ]);
      expect(trigger.seen[0]?.forwardedFor).toBe('127.0.0.1');
    });

    it('routes through a thousand routes: the map is read from the config itself', async () => {
      const last = await listener('last');
      const routes = Array.from({ length: 1000 }, (_, index) => ({
        path: `/hooks/repo-${index}`,
        service: `el-${index}`,
        namespace: 'ci',
        port: 8080,
      }));
      const lastRoute = routes[999] as Route;
      // IP literals keep start-up free of DNS lookups; nothing listens on port 9 (discard).
      const cfg = addRoutes(defaultGatewayConfig(), routes)
        .replace(routeServerAddress(lastRoute), `127.0.0.1:${last.port}`)
        .replaceAll(/el-\d+\.ci\.svc\.cluster\.local:8080/g, '127.0.0.1:9');
      const gateway = await start(cfg);
      expect((await request(gateway.ports.http, '/hooks/repo-999/push')).body).toBe('last');
      expect((await request(gateway.ports.http, '/hooks/repo-1000')).status).toBe(404);
    });

    it('finishes an in-flight request after SIGUSR1 while refusing new connections', async () => {
      let received: () => void = () => {};
      const requestArrived = new Promise<void>((resolve) => {
        received = resolve;
      });
      let release: () => void = () => {};
      const released = new Promise<void>((resolve) => {
        release = resolve;
      });
      const slow = await listener('slow', (_req, res) => {
        received();
        void released.then(() => res.end('finished'));
      });
      const gateway = await start(
        localRoutes([
          { route: { path: '/slow', service: 'el-slow', namespace: 'ci', port: 80 }, listener: slow },
        ]),
      );

      const inFlight = request(gateway.ports.http, '/slow');
      await requestArrived;
      gateway.process.kill('SIGUSR1');
      // Soft stop closes the listeners first; poll (bounded) until new connections are refused.
      let refused = false;
      for (let attempt = 0; attempt < 200 && !refused; attempt++) {
        refused = await isRefused(gateway.ports.http);
        if (!refused) await new Promise((resolve) => setTimeout(resolve, 25));
      }
      expect(refused).toBe(true);
      release();
      const response = await inFlight;
      expect(response.status).toBe(200);
      expect(response.body).toBe('finished');
      expect(await gateway.exited).toBe(0);
    });
  },
);
