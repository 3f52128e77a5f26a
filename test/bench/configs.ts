/**
 * The HAProxy configs the routing benchmark runs. Pure text, no I/O.
 *
 * - Map style: the bundled haproxy.cfg plus N routes added by the production code (`addRoute`), so the
 *   routes block, the `map_beg` rule and the backends are exactly what `route add` writes.
 * - Acl style: the same config (same globals, same backends) with the route map and its `map_beg` rule
 *   replaced by the original hand-written style, one `acl … path_beg -i` + `use_backend … if` pair per
 *   route, evaluated in order.
 * - Upstream: a separate, tiny HAProxy that answers 200 to everything, standing in for every listener so
 *   the backend's cost is negligible and identical whichever route is hit.
 *
 * Only what a local run needs is changed: every route's server points at the upstream, and the gateway
 * runs one thread (`nbthread 1`) so that one pinned core is the bottleneck. Binds and the map path are
 * localized later by `localizeConfig` from test/support/haproxy.ts.
 */
import { CONFIG_PATH, ROUTES_BEGIN, ROUTES_END } from '../../src/haproxy/gateway-config.ts';
import { addRoute, listRoutes } from '../../src/haproxy/routes.ts';

/** What `addRoute` takes (taken from its signature, wherever the type is exported from). */
export type BenchRouteSpec = Parameters<typeof addRoute>[1];

/** A generated gateway config and the backend each route path is served by (read back from the config). */
export interface GatewayConfig {
  cfg: string;
  backends: Map<string, string>;
}

/** The route path of the i-th route (1-based): /hooks/team-0001 … /hooks/team-1000. */
export function benchRoutePath(index: number): string {
  return `/hooks/team-${String(index).padStart(4, '0')}`;
}

/** N distinct path routes, in the order they are added (the last one is added last). */
export function benchRoutes(count: number): BenchRouteSpec[] {
  return Array.from({ length: count }, (_, i) => ({
    match: { type: 'path', path: benchRoutePath(i + 1) },
    service: { name: `listener-${String(i + 1).padStart(4, '0')}`, namespace: 'bench', port: 8080 },
  }));
}

/** `text` with the one match of `pattern` (not global) replaced; throws unless there is exactly one. */
function replaceExactlyOnce(
  text: string,
  pattern: RegExp,
  replace: (...groups: string[]) => string,
  what: string,
): string {
  const count = text.match(new RegExp(pattern.source, `${pattern.flags}g`))?.length ?? 0;
  if (count !== 1) throw new Error(`expected exactly one ${what} in the config, found ${count}`);
  return text.replace(pattern, (...args: unknown[]) => replace(...(args as string[])));
}

/** The gateway on one thread: the only change to the user-owned part of the config besides binds. */
function singleThreaded(cfg: string): string {
  return replaceExactlyOnce(cfg, /^(\s*nbthread\s+)\d+$/m, (_, prefix) => `${prefix}1`, '"nbthread" line');
}

/** The tool's path routes in `cfg`: path → backend and server address, as the production parser reads them. */
function toolRoutes(cfg: string): Map<string, { backend: string; address: string | undefined }> {
  const routes = new Map<string, { backend: string; address: string | undefined }>();
  for (const route of listRoutes(cfg)) {
    if (route.origin === 'tool' && route.match.type === 'path') {
      routes.set(route.match.path, { backend: route.backend, address: route.address });
    }
  }
  return routes;
}

/** Every route's server at the upstream instead of its in-cluster Service (the rest of the line is kept). */
function pointRoutesAt(cfg: string, addresses: ReadonlySet<string>, upstreamPort: number): string {
  let replaced = 0;
  const out = cfg.replace(/^(\s*server listener )(\S+)/gm, (line, prefix: string, address: string) => {
    if (!addresses.has(address)) return line;
    replaced++;
    return `${prefix}127.0.0.1:${upstreamPort}`;
  });
  if (replaced !== addresses.size) {
    throw new Error(`expected ${addresses.size} route servers in the config, found ${replaced}`);
  }
  return out;
}

/**
 * The production config with N routes: `bundled` (the haproxy.cfg `install` puts in the ConfigMap)
 * plus `routes` added one by one with `addRoute` (as `route add` does), pointed at the upstream,
 * single-threaded.
 */
export function mapStyleConfig(
  bundled: string,
  routes: readonly BenchRouteSpec[],
  upstreamPort: number,
): GatewayConfig {
  let cfg = bundled;
  for (const spec of routes) {
    const result = addRoute(cfg, spec, { overwrite: false });
    if (result.outcome !== 'added') throw new Error(`addRoute did not add a route: ${result.outcome}`);
    cfg = result.cfg;
  }
  const found = toolRoutes(cfg);
  const backends = new Map<string, string>();
  const addresses = new Set<string>();
  for (const spec of routes) {
    if (spec.match.type !== 'path') throw new Error('the benchmark only adds path routes');
    const route = found.get(spec.match.path);
    if (route?.address === undefined)
      throw new Error(`the generated config has no route for ${spec.match.path}`);
    backends.set(spec.match.path, route.backend);
    addresses.add(route.address);
  }
  if (found.size !== routes.length) {
    throw new Error(`expected ${routes.length} routes in the generated config, found ${found.size}`);
  }
  if (!cfg.includes(`map_beg(${CONFIG_PATH})`)) throw new Error('the bundled config has no map_beg rule');
  return { cfg: singleThreaded(pointRoutesAt(cfg, addresses, upstreamPort)), backends };
}

/**
 * The original one-acl-per-route style on the same base: the routes block and the map_beg rule of a
 * map-style config give way to `acl PATH_<n> path_beg -i <path>` + `use_backend <backend> if PATH_<n>`,
 * one pair per route in the order added. Backends (names and servers) stay, so only routing differs.
 */
export function aclStyleConfig(mapStyle: GatewayConfig): GatewayConfig {
  const { cfg: mapCfg, backends } = mapStyle;
  const lines = mapCfg.split('\n');
  const begin = lines.findIndex((line) => line.trim() === ROUTES_BEGIN);
  const end = lines.findIndex((line, i) => i > begin && line.trim() === ROUTES_END);
  const rule = lines.findIndex((line, i) => i > end && /^\s*use_backend\s.*map_beg\(/.test(line));
  if (begin < 0 || end < 0 || rule !== end + 1) {
    throw new Error('the config does not have the routes block followed by the map_beg rule');
  }
  const indent = /^\s*/.exec(lines[begin] ?? '')?.[0] ?? '    ';
  const pairs = [...backends].flatMap(([path, backend], i) => {
    const acl = `PATH_${String(i + 1).padStart(4, '0')}`;
    return [`${indent}acl ${acl} path_beg -i ${path}`, `${indent}use_backend ${backend} if ${acl}`];
  });
  lines.splice(begin, rule - begin + 1, ...pairs);
  return { cfg: lines.join('\n'), backends };
}

/** The stand-in listener: one thread, answers every request with a tiny 200, logs nothing. */
export function upstreamConfig(port: number): string {
  return `global
    nbthread 1

defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s
    timeout http-keep-alive 10s

frontend upstream
    bind 127.0.0.1:${port}
    http-request return status 200 content-type text/plain string ok
`;
}
