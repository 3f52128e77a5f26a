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
/** Where the bundled Deployment's haproxy reads haproxy.cfg: gateway-config.ts's CONFIG_PATH (a test keeps the two equal). */
export const BUNDLED_CONFIG_PATH = '/usr/local/etc/haproxy/haproxy.cfg';
/**
 * The comment line the tool writes in the routes block it adds to a hand-made config: the blocks
 * carrying it go again, byte for byte, with the last route the tool added.
 */
export const ROUTES_ADDED_NOTE =
  '# Added by kubectl trigger-gateway, removed with its last route; the rule after END reads this map';

/** A path HAProxy can take as map_beg's argument as it is: absolute, no quotes, commas or parentheses. */
const MAP_PATH = /^(?:\/[A-Za-z0-9._~+@=-]+)+$/;

export function isMapPath(path: string): boolean {
  return MAP_PATH.test(path);
}

/** The frontend rule after the routes block: it reads the route map from `configPath`, the config file itself. */
export function routeMapRule(configPath: string): string {
  if (!isMapPath(configPath)) throw new Error(`not a path the route map rule can read: ${configPath}`);
  return `use_backend %[path,concat(/),map_beg(${configPath})]`;
}

/** The rule as the bundled config has it. */
export const ROUTE_MAP_RULE = routeMapRule(BUNDLED_CONFIG_PATH);

/** The path a `use_backend` word in the shape of routeMapRule reads the route map from, if it is one. */
export function routeMapRulePath(words: readonly string[]): string | undefined {
  if (words.length !== 2 || words[0] !== 'use_backend') return undefined;
  return /^%\[path,concat\(\/\),map_beg\(([^()\s]+)\)\]$/.exec(words[1] ?? '')?.[1];
}

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
