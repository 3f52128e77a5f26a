/**
 * The text of the routes the tool writes: backend names, route map lines, header rules, backends.
 * Inputs are validated before they get here (route-input.ts), so every word is safe to write as is.
 */
import { CLUSTER_DOMAIN, RESOLVERS_NAME, routeBackendName, routeMapKey } from './names.ts';
import { describeMatch, type RouteMatch, type RouteSpec, type ServiceRef } from './route-input.ts';
import { effectiveLimits, LIMIT_NAMES, renderLimitLines, type RouteLimitValues } from './route-limits.ts';

const HEADER_BACKEND_PREFIX = 'header:';

/** Keeps letters, digits, "." and "-"; every other character becomes "_" and its two hex digits. */
function encodeName(text: string): string {
  return text.replace(/[^A-Za-z0-9.-]/g, (char) => `_${char.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/**
 * The backend (and acl) name the tool gives a route: route:<path> as before for paths, and
 * header:<name>[:<value>] for headers (lower-cased name, since header names are case-insensitive).
 */
export function backendNameFor(match: RouteMatch): string {
  if (match.type === 'path') return routeBackendName(match.path);
  const name = `${HEADER_BACKEND_PREFIX}${encodeName(match.header.toLowerCase())}`;
  return match.value === undefined ? name : `${name}:${encodeName(match.value)}`;
}

/** The in-cluster DNS name and port HAProxy forwards to. */
export function serviceAddress(service: ServiceRef): string {
  return `${service.name}.${service.namespace}.svc.${CLUSTER_DOMAIN}:${service.port}`;
}

/** The rewrite that strips a path route's prefix: /github/x → /x, /github → /. */
export function stripPrefixDirective(path: string): string[] {
  // The backend is only reached by paths starting with `path`, so "." needs no escaping here.
  return ['http-request', 'set-path', `%[path,regsub(^${path}/?,/)]`];
}

/** The route's line in the route map (inside `.if 0` … `.endif`). */
export function renderMapLine(path: string, backend: string, indent: string): string {
  return `${indent}${routeMapKey(path)} ${backend}`;
}

/** The hdr() criterion of a header route: present (-m found), or equal to the value (-m str). */
function headerCriterion(match: Extract<RouteMatch, { type: 'header' }>): string {
  return match.value === undefined
    ? `hdr(${match.header}) -m found`
    : `hdr(${match.header}) -m str ${match.value}`;
}

/** A header route's two lines after the route map: the acl and the use_backend naming it. */
export function renderHeaderRule(
  match: Extract<RouteMatch, { type: 'header' }>,
  backend: string,
  indent: string,
): string[] {
  return [
    `${indent}acl ${backend} ${headerCriterion(match)}`,
    `${indent}use_backend ${backend} if ${backend}`,
  ];
}

/**
 * The route's backend section with a comment saying what it is for. The server is resolved at run
 * time through the pod's resolvers, so a Service that does not exist yet leaves this backend answering
 * 503 instead of stopping HAProxy. A hand-written config without the `resolvers` section gets the
 * server resolved once at start, or left unset if it does not resolve (naming a missing section would
 * stop HAProxy). With TLS the listener's certificate is not verified: in-cluster listeners use their own
 * certificates, which no CA in the HAProxy image knows. `mode http` is written where the backend would
 * otherwise inherit tcp mode (a config whose defaults do not say `mode http`, like the hand-made ones
 * that set it per section): an http frontend cannot use a tcp backend. The route's limits
 * (route-limits.ts) come before the server line: its own values, else `options.defaults`.
 */
export function renderBackend(
  spec: RouteSpec,
  backend: string,
  indent: string,
  options: { resolvers: boolean; mode?: boolean; defaults: RouteLimitValues },
): string[] {
  const { service } = spec;
  const notes = [spec.tls ? ', TLS' : '', spec.stripPrefix ? ', prefix stripped' : ''].join('');
  const lines = [
    `# route ${describeMatch(spec.match)} -> Service ${service.name} in namespace ${service.namespace}, port ${service.port}${notes}`,
    `backend ${backend}`,
  ];
  if (options.mode) lines.push(`${indent}mode http`);
  const own = spec.limits ?? {};
  const follows = LIMIT_NAMES.filter((name) => own[name] === undefined);
  const limits = renderLimitLines(effectiveLimits(own, options.defaults), follows);
  lines.push(...limits.lines.map((line) => `${indent}${line}`));
  if (spec.stripPrefix && spec.match.type === 'path') {
    lines.push(`${indent}${stripPrefixDirective(spec.match.path).join(' ')}`);
  }
  lines.push(
    [
      `${indent}server listener ${serviceAddress(service)}`,
      options.resolvers ? ` resolvers ${RESOLVERS_NAME}` : '',
      ' init-addr last,libc,none',
      options.resolvers ? ' resolve-prefer ipv4' : '',
      limits.serverOptions,
      spec.tls ? ' ssl verify none' : '',
    ].join(''),
  );
  return lines;
}

/** The comment line that opens a route backend the tool wrote. */
export function isRouteComment(text: string): boolean {
  return text.trimStart().startsWith('# route ');
}
