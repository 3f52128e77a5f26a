/**
 * What a user types for a route, checked and parsed before it can reach the config: nothing typed here
 * can carry a newline, a "#", a quote, a brace or a space, so nothing can become an HAProxy directive.
 */
import { InvalidRouteError } from './errors.ts';
import { type RouteLimitSettings, validateLimits } from './route-limits.ts';

/** What a route matches: a path prefix (whole segments), or a request header (present, or equal to a value). */
export type RouteMatch = { type: 'path'; path: string } | { type: 'header'; header: string; value?: string };

/** A Service port in the cluster a route forwards to. */
export interface ServiceRef {
  name: string;
  namespace: string;
  port: number;
}

/** A route to write: what it matches, where it goes, and how. */
export interface RouteSpec {
  match: RouteMatch;
  service: ServiceRef;
  /** HTTPS to the Service (its certificate is not verified: in-cluster listeners use their own). */
  tls?: boolean;
  /** Forward /github/x as /x (path routes only). */
  stripPrefix?: boolean;
  /** The route's own limits; those left out follow the gateway defaults. */
  limits?: RouteLimitSettings;
}

const MAX_PATH_LENGTH = 200;
const MAX_HEADER_LENGTH = 100;
const PATH_PATTERN = /^\/(?:[A-Za-z0-9._~-]+(?:\/[A-Za-z0-9._~-]+)*)?$/;
/** RFC 7230 token characters, less "#", "'" and "`", which HAProxy would read as a comment or a quote. */
const HEADER_NAME = /^[A-Za-z0-9!$%&*+.^_|~-]+$/;
const HEADER_VALUE = /^[A-Za-z0-9._:/-]{1,100}$/;
/** Service names are DNS-1035 labels (they start with a letter); namespaces DNS-1123 labels. */
const SERVICE_NAME = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const NAMESPACE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const PORT = /^[1-9][0-9]{0,4}$/;

const PATH_HINT =
  'a route path starts with "/", uses only letters, digits and . _ ~ - between single slashes, and has no trailing "/" (except "/" itself), e.g. /github/my-repo';
const HEADER_HINT =
  'a header is a name of letters, digits and !$%&*+-.^_|~ (e.g. X-Github-Event), optionally =value of up to 100 letters, digits and . _ : / - (e.g. X-Github-Event=push)';
const SERVICE_HINT =
  'a Service is <service>[.<namespace>]:<port>, e.g. el-github.ci:8080, el-github.ci.svc.cluster.local:8080, or el-github:8080 in the current namespace';

/** Throws InvalidRouteError unless `path` is a plain absolute path we can match on safely. */
export function validateRoutePath(path: string): void {
  if (!PATH_PATTERN.test(path))
    throw new InvalidRouteError(`invalid route path ${JSON.stringify(path)}`, PATH_HINT);
  if (path.length > MAX_PATH_LENGTH) {
    throw new InvalidRouteError(`route path is longer than ${MAX_PATH_LENGTH} characters`, PATH_HINT);
  }
  // "." and ".." segments mean different things to different proxies once normalised.
  if (path.split('/').some((segment) => segment === '.' || segment === '..')) {
    throw new InvalidRouteError(
      `invalid route path ${JSON.stringify(path)}: "." and ".." segments are not allowed`,
      PATH_HINT,
    );
  }
}

export function parsePathMatch(path: string): RouteMatch {
  validateRoutePath(path);
  return { type: 'path', path };
}

function validateHeader(header: string, value: string | undefined): void {
  if (header.length === 0 || header.length > MAX_HEADER_LENGTH || !HEADER_NAME.test(header)) {
    throw new InvalidRouteError(`invalid header name ${JSON.stringify(header)}`, HEADER_HINT);
  }
  if (value !== undefined && !HEADER_VALUE.test(value)) {
    throw new InvalidRouteError(`invalid value ${JSON.stringify(value)} for header ${header}`, HEADER_HINT);
  }
}

/** 'X-Github-Event' (the header is present) or 'X-Github-Event=push' (it equals push, case-sensitive). */
export function parseHeaderMatch(text: string): RouteMatch {
  const equals = text.indexOf('=');
  const header = equals < 0 ? text : text.slice(0, equals);
  const value = equals < 0 ? undefined : text.slice(equals + 1);
  validateHeader(header, value);
  return value === undefined ? { type: 'header', header } : { type: 'header', header, value };
}

/** Throws InvalidRouteError unless the match is one parsePathMatch or parseHeaderMatch would return. */
function validateMatch(match: RouteMatch): void {
  if (match.type === 'path') validateRoutePath(match.path);
  else validateHeader(match.header, match.value);
}

/** '/github', 'header X-Github-Event' or 'header X-Github-Event=push'. */
export function describeMatch(match: RouteMatch): string {
  if (match.type === 'path') return match.path;
  return match.value === undefined ? `header ${match.header}` : `header ${match.header}=${match.value}`;
}

/** Same route key: paths exactly; header names case-insensitively (as HTTP does), values exactly. */
export function sameMatch(a: RouteMatch, b: RouteMatch): boolean {
  if (a.type === 'path') return b.type === 'path' && a.path === b.path;
  if (b.type === 'path') return false;
  return a.header.toLowerCase() === b.header.toLowerCase() && a.value === b.value;
}

function validatePort(port: number): void {
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new InvalidRouteError(
      `invalid port ${port}`,
      'a port is a whole number from 1 to 65535, e.g. 8080',
    );
  }
}

/** Throws InvalidRouteError unless every field names a Service port Kubernetes could have. */
export function validateServiceRef(service: ServiceRef): void {
  if (!SERVICE_NAME.test(service.name) || service.name.length > 63) {
    throw new InvalidRouteError(
      `invalid Service name ${JSON.stringify(service.name)}`,
      'a Service name is at most 63 lowercase letters, digits and "-", starting with a letter, e.g. el-github',
    );
  }
  if (!NAMESPACE.test(service.namespace) || service.namespace.length > 63) {
    throw new InvalidRouteError(
      `invalid namespace ${JSON.stringify(service.namespace)}`,
      'a namespace is at most 63 lowercase letters, digits and "-", starting and ending with a letter or digit, e.g. ci',
    );
  }
  validatePort(service.port);
}

/**
 * 'svc.ns:80', 'svc.ns.svc:80', 'svc.ns.svc.cluster.local:80', or 'svc:80' for a Service in
 * `defaultNamespace`. The port is required, in decimal without leading zeros.
 */
export function parseServiceRef(text: string, defaultNamespace: string): ServiceRef {
  const colon = text.lastIndexOf(':');
  if (colon < 0) {
    throw new InvalidRouteError(`Service ${JSON.stringify(text)} has no port`, SERVICE_HINT);
  }
  const host = text.slice(0, colon);
  const portText = text.slice(colon + 1);
  if (!PORT.test(portText)) {
    throw new InvalidRouteError(
      `invalid port ${JSON.stringify(portText)} in ${JSON.stringify(text)}`,
      'a port is a whole number from 1 to 65535 without leading zeros, e.g. el-github.ci:8080',
    );
  }
  const parts = host.split('.');
  const [name = '', namespace = defaultNamespace] = parts;
  const known =
    parts.length <= 2 ||
    (parts.length === 3 && parts[2] === 'svc') ||
    (parts.length === 5 && parts.slice(2).join('.') === 'svc.cluster.local');
  if (!known) {
    throw new InvalidRouteError(`cannot read ${JSON.stringify(text)} as a Service`, SERVICE_HINT);
  }
  const service = { name, namespace, port: Number(portText) };
  validateServiceRef(service);
  return service;
}

/**
 * The Service behind a server address as the config writes it, when it is an in-cluster name
 * (<svc>.<ns>.svc[.cluster.local]:<port>); undefined for anything else (an IP, another domain).
 */
export function serviceFromAddress(address: string): ServiceRef | undefined {
  const match = /^([a-z0-9-]+)\.([a-z0-9-]+)\.svc(?:\.cluster\.local)?\.?:([0-9]+)$/.exec(address);
  if (!match) return undefined;
  const service = { name: match[1] ?? '', namespace: match[2] ?? '', port: Number(match[3]) };
  try {
    validateServiceRef(service);
  } catch {
    return undefined;
  }
  return service;
}

export function sameService(a: ServiceRef | undefined, b: ServiceRef | undefined): boolean {
  return (
    a !== undefined &&
    b !== undefined &&
    a.name === b.name &&
    a.namespace === b.namespace &&
    a.port === b.port
  );
}

/** Throws InvalidRouteError unless the spec can be written as is. */
export function validateRouteSpec(spec: RouteSpec): void {
  validateMatch(spec.match);
  validateServiceRef(spec.service);
  validateLimits(spec.limits ?? {});
  if (spec.stripPrefix && spec.match.type !== 'path') {
    throw new InvalidRouteError(
      'strip-prefix only applies to path routes',
      'a header route forwards the path unchanged; drop --strip-prefix, e.g. route add --header X-Github-Event pac.ci:8080',
    );
  }
  if (spec.stripPrefix && spec.match.type === 'path' && spec.match.path === '/') {
    throw new InvalidRouteError(
      'strip-prefix on the route for / would strip nothing',
      'use --strip-prefix with a longer path, e.g. /github',
    );
  }
}
