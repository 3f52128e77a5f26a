/**
 * How many routes one gateway holds: the whole haproxy.cfg lives in one ConfigMap, and the API server
 * refuses a ConfigMap whose values add up to more than 1 MiB (core.MaxSecretSize). Pure.
 */

/** The API server's limit on a ConfigMap's data, its values' bytes summed. */
export const CONFIGMAP_LIMIT_BYTES = 1024 * 1024;

export interface ConfigCapacity {
  /** The live haproxy.cfg's size in bytes (UTF-8, as the API server counts). */
  bytes: number;
  routes: number;
  /** What the refused change added: one route as written, with its limits. */
  bytesPerRoute: number;
  /** About how many routes of that size one gateway holds: those there are, and those that still fit. */
  routesThatFit: number;
}

/** From the live config (`routes` of them) and the one a route change wanted to write. */
export function configCapacity(live: string, wanted: string, routes: number): ConfigCapacity {
  const bytes = Buffer.byteLength(live, 'utf8');
  const bytesPerRoute = Math.max(1, Buffer.byteLength(wanted, 'utf8') - bytes);
  const left = Math.max(0, CONFIGMAP_LIMIT_BYTES - bytes);
  return { bytes, routes, bytesPerRoute, routesThatFit: routes + Math.floor(left / bytesPerRoute) };
}

/** The API server's 422 for a ConfigMap over the limit: "Too long: may not be more than 1048576 bytes". */
export const isTooLongMessage = (message: string): boolean =>
  /Too long/i.test(message) && message.includes(String(CONFIGMAP_LIMIT_BYTES));
