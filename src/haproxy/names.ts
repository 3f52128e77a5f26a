/**
 * The names haproxy.cfg and the route editor share: the markers of the tool's blocks, the resolvers
 * section, path routes' backend names and map keys. A leaf module: the core imports it, never the
 * other way round. (gateway-config.ts re-exports all of it.)
 */
import { validateRoutePath } from './route-input.ts';

export const RESOLVERS_NAME = 'cluster';
export const CLUSTER_DOMAIN = 'cluster.local';

export const ROUTES_BEGIN = '# BEGIN trigger-gateway routes';
export const ROUTES_END = '# END trigger-gateway routes';
export const BACKENDS_BEGIN = '# BEGIN trigger-gateway backends';
export const BACKENDS_END = '# END trigger-gateway backends';
/** Opens and closes the route map inside the routes block: HAProxy skips these lines as configuration. */
export const ROUTE_MAP_OPEN = '.if 0';
export const ROUTE_MAP_CLOSE = '.endif';
/** Where the pods mount haproxy.cfg: gateway-config.ts's CONFIG_PATH (a test keeps the two equal). */
const MOUNTED_CONFIG = '/usr/local/etc/haproxy/haproxy.cfg';
/** The frontend rule after the routes block that reads the route map from the config file itself. */
export const ROUTE_MAP_RULE = `use_backend %[path,concat(/),map_beg(${MOUNTED_CONFIG})]`;

const BACKEND_PREFIX = 'route:';

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
