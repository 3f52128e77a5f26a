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
 *   same file as a map with `map_beg`, at the path the pods load it from (route edits read that path
 *   from the Deployment: services/config-mount.ts). A map lookup is one tree search, so the cost per request does
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

/** The value of the pod template's config-checksum annotation: sha256 of the haproxy.cfg text, hex. */
export function configChecksum(cfg: string): string {
  return createHash('sha256').update(cfg, 'utf8').digest('hex');
}
