/**
 * The gateway's haproxy.cfg: the names, ports and markers shared by the bundled config (its text lives
 * in manifests/20-configmap.yaml only) and the code that edits routes in it.
 *
 * Pure: no I/O, no Kubernetes client. Everything outside the two marked blocks belongs to the user
 * and is never rewritten, except hand-written routes a user explicitly removes or overwrites.
 *
 * How routing works (and why it is shaped this way):
 * - Each path route is one line "<path>/ <backend>" inside an `.if 0` … `.endif` block in the frontend.
 *   HAProxy's config parser skips that block, and the frontend's single `use_backend` rule reads this
 *   same file as a map with `map_beg`. A map lookup is one tree search, so the cost per request does
 *   not grow with the number of routes (an `acl` + `use_backend` pair per route is evaluated in order).
 * - The request path gets a "/" appended before the lookup and every key ends in "/", so a route
 *   matches whole path segments only: /trigger matches /trigger and /trigger/x, never /triggers.
 *   map_beg returns the longest matching key, so /a/b wins over /a.
 * - Header routes are an `acl` + `use_backend` pair after the `.endif`, still inside the block, so
 *   they are evaluated before the path map (there are few of them).
 * - Everything else, including routes whose backend was removed by hand, gets the JSON 404.
 */
import { createHash } from 'node:crypto';
import { InvalidRouteError } from './errors.ts';
import { validateRoutePath, validateServiceRef } from './route-input.ts';
import { serviceAddress } from './route-render.ts';
import { addRoute, listRoutes } from './routes.ts';

export {
  BACKENDS_BEGIN,
  BACKENDS_END,
  CLUSTER_DOMAIN,
  RESOLVERS_NAME,
  ROUTE_MAP_CLOSE,
  ROUTE_MAP_OPEN,
  ROUTES_BEGIN,
  ROUTES_END,
  routeBackendName,
  routeMapKey,
} from './names.ts';
export { InvalidRouteError };
export { validateRoutePath } from './route-input.ts';

/** A path route in the flat shape install's echo route uses; route add/remove work with RouteSpec. */
export interface Route {
  path: string;
  service: string;
  namespace: string;
  port: number;
}

export const GATEWAY_NAME = 'trigger-gateway';
/** The port webhooks arrive on (through the Service and the Ingress). Unprivileged: no root needed. */
export const GATEWAY_HTTP_PORT = 8080;
/** Health, stats page and Prometheus metrics; never exposed through the Ingress. */
export const GATEWAY_STATS_PORT = 8404;
export const HEALTH_PATH = '/healthz';
export const METRICS_PATH = '/metrics';
export const STATS_PATH = '/stats';
/** Seconds HAProxy may spend finishing in-flight requests after a soft stop (SIGUSR1). */
export const HARD_STOP_AFTER_SECONDS = 30;
/** Where the pod mounts the ConfigMap (a directory mount, so edits reach running pods). */
export const CONFIG_DIR = '/usr/local/etc/haproxy';
/** The config file; also the route map file, see the module comment. */
export const CONFIG_PATH = `${CONFIG_DIR}/haproxy.cfg`;
export const NOT_FOUND_BODY = `{"error":"no route for this path","gateway":"${GATEWAY_NAME}"}`;

/** Throws InvalidRouteError unless every field of the route is usable. */
export function validateRoute(route: Route): void {
  validateRoutePath(route.path);
  validateServiceRef({ name: route.service, namespace: route.namespace, port: route.port });
}

/** @deprecated Use serviceAddress from route-render.ts. The in-cluster name and port of a Route's Service. */
export function routeServerAddress(route: Route): string {
  return serviceAddress({ name: route.service, namespace: route.namespace, port: route.port });
}

/**
 * @deprecated Use addRoute from routes.ts. Adds path routes one by one; throws InvalidRouteError
 * when a path is routed already (even to the same Service).
 */
export function addRoutes(cfg: string, routes: readonly Route[]): string {
  for (const route of routes) validateRoute(route);
  const taken = new Set(routedPaths(cfg));
  let result = cfg;
  for (const route of routes) {
    if (taken.has(route.path)) {
      throw new InvalidRouteError(
        `a route for ${route.path} already exists`,
        'each path routes to one Service; remove the existing route first',
      );
    }
    taken.add(route.path);
    const service = { name: route.service, namespace: route.namespace, port: route.port };
    result = addRoute(
      result,
      { match: { type: 'path', path: route.path }, service },
      { overwrite: false },
    ).cfg;
  }
  return result;
}

/** @deprecated Use listRoutes from routes.ts. The paths routed, the tool's and hand-written ones. */
export function routedPaths(cfg: string): string[] {
  return listRoutes(cfg).flatMap((route) => (route.match.type === 'path' ? [route.match.path] : []));
}

/** The value of the pod template's config-checksum annotation: sha256 of the haproxy.cfg text, hex. */
export function configChecksum(cfg: string): string {
  return createHash('sha256').update(cfg, 'utf8').digest('hex');
}
