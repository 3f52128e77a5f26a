/**
 * The gateway's haproxy.cfg: the default text we bundle, and the machine-owned blocks routes go into.
 *
 * Pure: no I/O, no Kubernetes client. Everything outside the two marked blocks belongs to the user
 * and is never rewritten here.
 *
 * How routing works (and why it is shaped this way):
 * - Each route is one line "<path>/ <backend>" inside an `.if 0` … `.endif` block in the frontend.
 *   HAProxy's config parser skips that block, and the frontend's single `use_backend` rule reads this
 *   same file as a map with `map_beg`. A map lookup is one tree search, so the cost per request does
 *   not grow with the number of routes (an `acl` + `use_backend` pair per route is evaluated in order).
 * - The request path gets a "/" appended before the lookup and every key ends in "/", so a route
 *   matches whole path segments only: /trigger matches /trigger and /trigger/x, never /triggers.
 *   map_beg returns the longest matching key, so /a/b wins over /a.
 * - Everything else, including routes whose backend was removed by hand, gets the JSON 404.
 */
import { createHash } from 'node:crypto';
import { ExitCode, GatewayError } from '../errors.ts';

/** Where a URL path prefix is forwarded: a Service in the cluster, usually a Tekton EventListener. */
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
export const RESOLVERS_NAME = 'cluster';
export const CLUSTER_DOMAIN = 'cluster.local';

export const ROUTES_BEGIN = '# BEGIN trigger-gateway routes';
export const ROUTES_END = '# END trigger-gateway routes';
export const BACKENDS_BEGIN = '# BEGIN trigger-gateway backends';
export const BACKENDS_END = '# END trigger-gateway backends';
/** Opens and closes the route map inside the routes block: HAProxy skips these lines as configuration. */
export const ROUTE_MAP_OPEN = '.if 0';
export const ROUTE_MAP_CLOSE = '.endif';
/** Where the pod mounts the ConfigMap (a directory mount, so edits reach running pods). */
export const CONFIG_DIR = '/usr/local/etc/haproxy';
/** The config file; also the route map file, see the module comment. */
export const CONFIG_PATH = `${CONFIG_DIR}/haproxy.cfg`;
export const NOT_FOUND_BODY = `{"error":"no route for this path","gateway":"${GATEWAY_NAME}"}`;

const BACKEND_PREFIX = 'route:';
const MAX_PATH_LENGTH = 200;
const PATH_PATTERN = /^\/(?:[A-Za-z0-9._~-]+(?:\/[A-Za-z0-9._~-]+)*)?$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const SERVICE_NAME = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

/** A route that cannot be written into the config; `hint` says what a valid one looks like. */
export class InvalidRouteError extends GatewayError {
  readonly hint: string;

  constructor(message: string, hint: string) {
    super(message, { why: hint, exitCode: ExitCode.usage });
    this.name = 'InvalidRouteError';
    this.hint = hint;
  }
}

/** Throws InvalidRouteError unless `path` is a plain absolute path we can match on safely. */
export function validateRoutePath(path: string): void {
  const hint =
    'a route path starts with "/", uses only letters, digits and . _ ~ - between single slashes, and has no trailing "/" (except "/" itself), e.g. /github/my-repo';
  if (!PATH_PATTERN.test(path))
    throw new InvalidRouteError(`invalid route path ${JSON.stringify(path)}`, hint);
  if (path.length > MAX_PATH_LENGTH) {
    throw new InvalidRouteError(`route path is longer than ${MAX_PATH_LENGTH} characters`, hint);
  }
  // "." and ".." segments mean different things to different proxies once normalised.
  if (path.split('/').some((segment) => segment === '.' || segment === '..')) {
    throw new InvalidRouteError(
      `invalid route path ${JSON.stringify(path)}: "." and ".." segments are not allowed`,
      hint,
    );
  }
}

/** Throws InvalidRouteError unless every field of the route is usable. */
export function validateRoute(route: Route): void {
  validateRoutePath(route.path);
  if (!SERVICE_NAME.test(route.service) || route.service.length > 63) {
    throw new InvalidRouteError(
      `invalid Service name ${JSON.stringify(route.service)}`,
      'a Service name is at most 63 lowercase letters, digits and "-", starting with a letter',
    );
  }
  if (!DNS_LABEL.test(route.namespace) || route.namespace.length > 63) {
    throw new InvalidRouteError(
      `invalid namespace ${JSON.stringify(route.namespace)}`,
      'a namespace is at most 63 lowercase letters, digits and "-", starting and ending with a letter or digit',
    );
  }
  if (!Number.isInteger(route.port) || route.port < 1 || route.port > 65535) {
    throw new InvalidRouteError(`invalid port ${route.port}`, 'a port is a whole number from 1 to 65535');
  }
}

/**
 * The backend name for a path, one-to-one: "/" becomes ":", and "_" escapes the two path characters
 * HAProxy does not allow in names ("_" itself as "_5f", "~" as "_7e"). "/" alone gives "route:".
 */
export function routeBackendName(path: string): string {
  validateRoutePath(path);
  const encoded = path.slice(1).replaceAll('_', '_5f').replaceAll('~', '_7e').replaceAll('/', ':');
  return `${BACKEND_PREFIX}${encoded}`;
}

/** The route map key: the path with a trailing "/", which is what makes matching segment-wise. */
export function routeMapKey(path: string): string {
  validateRoutePath(path);
  return path === '/' ? '/' : `${path}/`;
}

/** The in-cluster DNS name and port HAProxy forwards to. */
export function routeServerAddress(route: Route): string {
  return `${route.service}.${route.namespace}.svc.${CLUSTER_DOMAIN}:${route.port}`;
}

/** The route's line in the route map (inside the routes block). */
export function renderRouteMapEntry(route: Route): string {
  validateRoute(route);
  return `    ${routeMapKey(route.path)} ${routeBackendName(route.path)}`;
}

/**
 * The route's backend section. The server is resolved at run time through the pod's resolvers, so a
 * Service that does not exist yet leaves this backend answering 503 instead of stopping HAProxy.
 */
export function renderRouteBackend(route: Route): string {
  validateRoute(route);
  return [
    `# route ${route.path} -> Service ${route.service} in namespace ${route.namespace}, port ${route.port}`,
    `backend ${routeBackendName(route.path)}`,
    `    server listener ${routeServerAddress(route)} resolvers ${RESOLVERS_NAME} init-addr last,libc,none resolve-prefer ipv4`,
  ].join('\n');
}

/** The haproxy.cfg we bundle: no routes, every default explained. */
export function defaultGatewayConfig(): string {
  return `# haproxy.cfg for ${GATEWAY_NAME}: forwards webhooks by URL path to Tekton Triggers EventListeners.
# Only the blocks between "# BEGIN trigger-gateway …" and "# END trigger-gateway …" are written by
# kubectl trigger-gateway; everything else here is yours to edit and is kept as it is.

global
    # Logs go to the container's stdout, for kubectl logs.
    log stdout format raw local0 info
    # No maxconn: HAProxy derives it from the file-descriptor limit it is started with. A fixed value
    # needs about twice as many descriptors, and HAProxy refuses to start where the limit is lower.
    # Two threads are plenty for webhooks and keep CPU and memory the same on any node size.
    nbthread 2
    # After SIGUSR1 (sent by the pod's preStop hook) in-flight requests may finish for this long.
    # It must stay below the pod's terminationGracePeriodSeconds minus the preStop delay.
    hard-stop-after ${HARD_STOP_AFTER_SECONDS}s

# Listeners are looked up at run time through the pod's own DNS settings, and again and again:
# a Service that does not exist yet makes its route answer 503 until it appears, it never stops HAProxy.
resolvers ${RESOLVERS_NAME}
    parse-resolv-conf
    resolve_retries 3
    timeout resolve 1s
    timeout retry 1s
    hold valid 10s
    hold nx 5s
    accepted_payload_size 8192

defaults
    mode http
    log global
    option httplog
    option dontlognull
    # Listeners see the caller's address in X-Forwarded-For.
    option forwardfor
    timeout connect 5s
    timeout client 30s
    timeout server 30s
    timeout http-request 10s
    timeout http-keep-alive 10s
    timeout client-fin 1s
    timeout server-fin 1s

frontend gateway
    bind :${GATEWAY_HTTP_PORT}
    # Routes: a map from path prefix to backend, one "<path>/ <backend>" line per route. HAProxy skips the
    # lines between ".if 0" and ".endif" as configuration; the use_backend rule below reads them from this
    # very file with map_beg: one lookup per request whatever the number of routes, the longest path wins,
    # and because both sides end in "/" a route matches whole segments (/trigger, /trigger/x, not /triggers).
    ${ROUTES_BEGIN}
    ${ROUTE_MAP_OPEN}
    ${ROUTE_MAP_CLOSE}
    ${ROUTES_END}
    use_backend %[path,concat(/),map_beg(${CONFIG_PATH})]
    default_backend no_route

# Health for the kubelet's probes, HAProxy's stats page and Prometheus metrics. Its own port, which
# only the metrics Service exposes: the Ingress reaches port ${GATEWAY_HTTP_PORT} alone.
frontend stats
    bind :${GATEWAY_STATS_PORT}
    # Probes and scrapes would drown the request log.
    http-request set-log-level silent
    monitor-uri ${HEALTH_PATH}
    http-request use-service prometheus-exporter if { path ${METRICS_PATH} }
    stats enable
    stats uri ${STATS_PATH}
    stats refresh 10s

# Any path no route matches.
backend no_route
    http-request return status 404 content-type application/json string '${NOT_FOUND_BODY}'

${BACKENDS_BEGIN}
${BACKENDS_END}
`;
}

/** A marked block of the config: the line indexes of its BEGIN and END markers. */
interface Block {
  begin: number;
  end: number;
}

function findBlock(lines: string[], begin: string, end: string): Block {
  const beginAt = lines.findIndex((line) => line.trim() === begin);
  const endAt = lines.findIndex((line, index) => index > beginAt && line.trim() === end);
  if (beginAt < 0 || endAt < 0) {
    throw new InvalidRouteError(
      `the HAProxy config has no "${begin}" … "${end}" block`,
      'the block marks where routes are kept; restore it from the bundled manifests/20-configmap.yaml',
    );
  }
  return { begin: beginAt, end: endAt };
}

/** Paths already routed in the config's routes block. */
export function routedPaths(cfg: string): string[] {
  const lines = cfg.split('\n');
  const block = findBlock(lines, ROUTES_BEGIN, ROUTES_END);
  const paths: string[] = [];
  for (const line of lines.slice(block.begin + 1, block.end)) {
    const key = line.trim().split(/\s+/)[0] ?? '';
    if (key.startsWith('/')) paths.push(key === '/' ? '/' : key.slice(0, -1));
  }
  return paths;
}

/**
 * Adds routes to a config: one map line per route at the end of the route map, one backend per route
 * at the end of the backends block. Every other byte of `cfg` is kept.
 */
export function addRoutes(cfg: string, routes: readonly Route[]): string {
  for (const route of routes) validateRoute(route);
  const taken = new Set(routedPaths(cfg));
  for (const route of routes) {
    if (taken.has(route.path)) {
      throw new InvalidRouteError(
        `a route for ${route.path} already exists`,
        'each path routes to one Service; remove the existing route first',
      );
    }
    taken.add(route.path);
  }
  if (routes.length === 0) return cfg;

  const lines = cfg.split('\n');
  const backends = findBlock(lines, BACKENDS_BEGIN, BACKENDS_END);
  const routeBlock = findBlock(lines, ROUTES_BEGIN, ROUTES_END);
  const mapClose = lines.findLastIndex(
    (line, index) => index > routeBlock.begin && index < routeBlock.end && line.trim() === ROUTE_MAP_CLOSE,
  );
  if (mapClose < 0) {
    throw new InvalidRouteError(
      `the routes block has no "${ROUTE_MAP_CLOSE}" line closing the route map`,
      'restore the block from the bundled manifests/20-configmap.yaml',
    );
  }
  // The later position first, so the earlier index stays valid.
  const inserts = [
    { at: backends.end, lines: routes.flatMap((route) => renderRouteBackend(route).split('\n')) },
    { at: mapClose, lines: routes.map(renderRouteMapEntry) },
  ].sort((a, b) => b.at - a.at);
  for (const insert of inserts) lines.splice(insert.at, 0, ...insert.lines);
  return lines.join('\n');
}

/** The value of the pod template's config-checksum annotation: sha256 of the haproxy.cfg text, hex. */
export function configChecksum(cfg: string): string {
  return createHash('sha256').update(cfg, 'utf8').digest('hex');
}
