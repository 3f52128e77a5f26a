/**
 * A real HAProxy serving our configs on 127.0.0.1: the 404 for unknown paths, health, metrics on the
 * stats port only, start-up with listeners that do not resolve, whole-segment routing, longest prefix
 * whatever the order routes were added in, the root route, strip-prefix, header routes first, soft stop;
 * a hand-made config without the blocks, whose hand routes and unknown paths work as before the first add.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { HEALTH_PATH, METRICS_PATH, NOT_FOUND_BODY, STATS_PATH } from '../../src/haproxy/gateway-config.ts';
import { serviceAddress } from '../../src/haproxy/route-render.ts';
import { addRoute, type RouteMatch, type RouteSpec } from '../../src/haproxy/routes.ts';
import {
  bundledGatewayConfig,
  findHaproxy,
  HAPROXY_MISSING,
  haproxyFixture,
  isRefused,
  type RunningHaproxy,
  request,
  startHaproxy,
  type StartOptions,
  withLocalHandServers,
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

const empty = bundledGatewayConfig(false);

const path = (p: string): RouteMatch => ({ type: 'path', path: p });

/** A route to Service `name` in namespace ci, port 8080. */
function to(match: RouteMatch, name: string, extra: Partial<RouteSpec> = {}): RouteSpec {
  return { match, service: { name, namespace: 'ci', port: 8080 }, ...extra };
}

/**
 * The bundled config with the routes added in this order, each pointed at its local listener: the
 * in-cluster address is swapped for 127.0.0.1.
 */
function localRoutes(entries: Array<{ route: RouteSpec; listener: Listener }>): string {
  let cfg = entries.reduce((text, { route }) => addRoute(text, route, { overwrite: false }).cfg, empty);
  for (const { route, listener } of entries) {
    cfg = cfg.replace(serviceAddress(route.service), `127.0.0.1:${listener.port}`);
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

    async function start(cfg: string, options?: StartOptions): Promise<RunningHaproxy> {
      running = await startHaproxy(bin, cfg, options);
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
      const gateway = await start(empty);
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
      const gateway = await start(empty);
      expect((await request(gateway.ports.stats, HEALTH_PATH)).status).toBe(200);
      const metrics = await request(gateway.ports.stats, METRICS_PATH);
      expect(metrics.status).toBe(200);
      expect(metrics.headers['content-type']).toMatch(/^text\/plain/);
      expect(metrics.body).toMatch(/^# HELP haproxy_process_/m);
      expect(metrics.body).toMatch(/^haproxy_frontend_http_requests_total\{proxy="gateway"\}/m);
      expect((await request(gateway.ports.stats, STATS_PATH)).status).toBe(200);
    });

    it('does not serve metrics, stats or health on the gateway port', async () => {
      const gateway = await start(empty);
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
          { route: to(path('/trigger'), 'el-trigger'), listener: trigger },
          { route: to(path('/trigger/team_a'), 'el-team'), listener: team },
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
      // IP literals keep start-up free of DNS lookups; nothing listens on port 9 (discard).
      let cfg = empty;
      for (let index = 0; index < 1000; index++) {
        cfg = addRoute(cfg, to(path(`/hooks/repo-${index}`), `el-${index}`), { overwrite: false }).cfg;
      }
      cfg = cfg
        .replace(serviceAddress(to(path('/x'), 'el-999').service), `127.0.0.1:${last.port}`)
        .replaceAll(/el-\d+\.ci\.svc\.cluster\.local:8080/g, '127.0.0.1:9');
      const gateway = await start(cfg);
      expect((await request(gateway.ports.http, '/hooks/repo-999/push')).body).toBe('last');
      expect((await request(gateway.ports.http, '/hooks/repo-1000')).status).toBe(404);
    });

    it('picks the longest matching prefix whatever the order the routes were added in', async () => {
      const root = await listener('root');
      const a = await listener('a');
      const ab = await listener('ab');
      const abc = await listener('abc');
      const routes = [
        { route: to(path('/'), 'el-root'), listener: root },
        { route: to(path('/a'), 'el-a'), listener: a },
        { route: to(path('/a/b'), 'el-ab'), listener: ab },
        { route: to(path('/a/b/c'), 'el-abc'), listener: abc },
      ];
      for (const order of [routes, [...routes].reverse(), [routes[2], routes[0], routes[3], routes[1]]]) {
        const gateway = await start(localRoutes(order as typeof routes));
        const port = gateway.ports.http;
        const expected: Array<[string, string]> = [
          ['/a/b/c/d', 'abc'],
          ['/a/b/c', 'abc'],
          ['/a/b/cd', 'ab'],
          ['/a/b/', 'ab'],
          ['/a/bc', 'a'],
          ['/a', 'a'],
          ['/ab', 'root'],
          ['/', 'root'],
          ['/other/a/b', 'root'],
        ];
        for (const [requested, body] of expected) {
          expect(
            (await request(port, requested)).body,
            `${requested} in order ${order.map((one) => one?.route.service.name).join(',')}`,
          ).toBe(body);
        }
        await gateway.stop();
        running = undefined;
      }
    });

    it('strips the prefix with --strip-prefix, keeping the query string', async () => {
      const github = await listener('github');
      const plain = await listener('plain');
      const gateway = await start(
        localRoutes([
          { route: to(path('/github'), 'el-github', { stripPrefix: true }), listener: github },
          { route: to(path('/plain'), 'el-plain'), listener: plain },
        ]),
      );
      const port = gateway.ports.http;
      for (const requested of ['/github/x?a=b', '/github', '/github/', '/github/a/b', '/plain/x']) {
        expect((await request(port, requested)).status, requested).toBe(200);
      }
      expect(github.seen.map((seen) => seen.path)).toEqual(['/x?a=b', '/', '/', '/a/b']);
      expect(plain.seen.map((seen) => seen.path)).toEqual(['/plain/x']);
    });

    it('routes by header before the path map: a value first, then presence, then the path', async () => {
      const byPath = await listener('path');
      const pac = await listener('pac');
      const push = await listener('push');
      const gateway = await start(
        localRoutes([
          { route: to(path('/github'), 'el-github'), listener: byPath },
          { route: to({ type: 'header', header: 'X-Github-Event' }, 'pac'), listener: pac },
          {
            route: to({ type: 'header', header: 'X-Github-Event', value: 'push' }, 'pac-push'),
            listener: push,
          },
        ]),
      );
      const port = gateway.ports.http;
      const send = async (headers: Record<string, string>, requested = '/github') =>
        (await request(port, requested, 'POST', '{}', headers)).body;
      expect(await send({ 'X-Github-Event': 'push' })).toBe('push');
      expect(await send({ 'x-github-event': 'push' })).toBe('push');
      expect(await send({ 'X-Github-Event': 'Push' })).toBe('pac');
      expect(await send({ 'X-Github-Event': 'ping' })).toBe('pac');
      expect(await send({ 'X-Github-Event': 'ping' }, '/nowhere')).toBe('pac');
      expect(await send({})).toBe('path');
      expect((await request(port, '/nowhere')).status).toBe(404);
    });

    describe('a hand-made config without the blocks (original-acl.cfg, bind :80, no stats frontend)', () => {
      const original = haproxyFixture('original-acl.cfg');
      const github = to(path('/github'), 'el-github');
      /** Its hand server and the tool's pointed at local listeners. */
      const local = (cfg: string, x: Listener, routed: Listener) =>
        withLocalHandServers(cfg, `127.0.0.1:${x.port}`).replace(
          serviceAddress(github.service),
          `127.0.0.1:${routed.port}`,
        );
      const options: StartOptions = { httpPort: 80, stats: false };
      const UNKNOWN = ['/nope', '/', '/githubx', '/y/github', '/GitHub'];

      /** Status and body of each unknown path, and of /github, on `cfg`. */
      async function unknownPaths(cfg: string): Promise<Array<[string, number, string]>> {
        const gateway = await start(cfg, options);
        const answers: Array<[string, number, string]> = [];
        for (const requested of UNKNOWN) {
          const response = await request(gateway.ports.http, requested, 'POST', '{}');
          answers.push([requested, response.status, response.body]);
        }
        await gateway.stop();
        running = undefined;
        return answers;
      }

      it.each([
        ['without a default_backend: HAProxy 503, as before', original, 503],
        [
          'with a default_backend: it still gets every path no route matches',
          original
            .replace(
              '    use_backend be_x if PATH_x\n',
              '    use_backend be_x if PATH_x\n    default_backend be_fallback\n',
            )
            .concat(
              '\nbackend be_fallback\n    mode http\n    http-request return status 418 content-type text/plain string fallback\n',
            ),
          418,
        ],
      ])('%s', async (_name, cfg, unknownStatus) => {
        const x = await listener('x');
        const routed = await listener('github');
        const before = await unknownPaths(local(cfg, x, routed));
        expect(before.map(([, status]) => status)).toEqual(UNKNOWN.map(() => unknownStatus));

        const added = addRoute(cfg, github, { overwrite: false }).cfg;
        expect(added).toContain('# BEGIN trigger-gateway routes');
        expect(await unknownPaths(local(added, x, routed))).toEqual(before);

        const gateway = await start(local(added, x, routed), options);
        const port = gateway.ports.http;
        for (const requested of ['/x', '/x/push?a=b', '/X/y', '/xyz']) {
          expect((await request(port, requested, 'POST', '{}')).body, requested).toBe('x');
        }
        for (const requested of ['/github', '/github/push?a=b']) {
          expect((await request(port, requested, 'POST', '{}')).body, requested).toBe('github');
        }
        expect(x.seen.map((seen) => seen.path)).toEqual(['/x', '/x/push?a=b', '/X/y', '/xyz']);
        expect(routed.seen.map((seen) => seen.path)).toEqual(['/github', '/github/push?a=b']);
      });

      it("starts with the tool's Service unresolved: its route answers 503, the hand route still works", async () => {
        const x = await listener('x');
        const added = addRoute(original, github, { overwrite: false }).cfg;
        expect(added).toContain(
          'server listener el-github.ci.svc.cluster.local:8080 init-addr last,libc,none\n',
        );
        const gateway = await start(withLocalHandServers(added, `127.0.0.1:${x.port}`), options);
        expect((await request(gateway.ports.http, '/github')).status).toBe(503);
        expect((await request(gateway.ports.http, '/x')).body).toBe('x');
      });
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
      const gateway = await start(localRoutes([{ route: to(path('/slow'), 'el-slow'), listener: slow }]));

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
