/**
 * Which proxy a request goes through, decided the way kubectl decides: the cluster's `proxy-url` when
 * the kubeconfig has one (for every request, loopback included), else HTTPS_PROXY or HTTP_PROXY by the
 * URL's scheme unless NO_PROXY exempts the host, by the rules of Go's golang.org/x/net/http/httpproxy.
 * Pure: the environment comes in as a value.
 */
import { ExitCode, GatewayError } from '../errors.ts';

const { BlockList, isIP } = process.getBuiltinModule('node:net');
const { domainToASCII } = process.getBuiltinModule('node:url');

/** A proxy, and where it was configured (for messages: "HTTPS_PROXY", "https_proxy", "proxy-url"). */
export interface ProxyRoute {
  url: URL;
  source: string;
}

/** The proxy environment variables, read as Go reads them: the upper-case name first, empty means unset. */
export interface ProxyEnvironment {
  http: ProxyRoute | undefined;
  https: ProxyRoute | undefined;
  noProxy: string;
  /** REQUEST_METHOD is set: a CGI program, whose HTTP_PROXY may come from a request's Proxy header. */
  cgi: boolean;
}

type Env = Record<string, string | undefined>;

function firstSet(env: Env, names: string[]): { name: string; value: string } | undefined {
  for (const name of names) {
    const value = env[name];
    if (value) return { name, value };
  }
  return undefined;
}

const PROXY_SCHEMES = ['http:', 'https:', 'socks5:'];

/** Go's parseProxy: a value without a scheme it knows (`proxy.corp:3128`) means http://. */
export function parseProxyValue(value: string): URL | undefined {
  const parse = (text: string) => {
    try {
      return new URL(text);
    } catch {
      return undefined;
    }
  };
  const url = parse(value);
  if (url && PROXY_SCHEMES.includes(url.protocol)) return url;
  return parse(`http://${value}`);
}

function routeFromEnv(env: Env, names: string[]): ProxyRoute | undefined {
  const found = firstSet(env, names);
  const url = found && parseProxyValue(found.value);
  // Go ignores a value it cannot parse, and so does kubectl.
  return found && url ? { url, source: found.name } : undefined;
}

export function proxyEnvironment(env: Env = process.env): ProxyEnvironment {
  return {
    http: routeFromEnv(env, ['HTTP_PROXY', 'http_proxy']),
    https: routeFromEnv(env, ['HTTPS_PROXY', 'https_proxy']),
    noProxy: firstSet(env, ['NO_PROXY', 'no_proxy'])?.value ?? '',
    cgi: Boolean(env.REQUEST_METHOD),
  };
}

/** A kubeconfig cluster's proxy-url, checked as kubectl checks it. */
export function parseProxyUrl(value: string, clusterName: string): ProxyRoute {
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (!url || !PROXY_SCHEMES.includes(url.protocol)) {
    const scheme = url ? url.protocol.replace(/:$/, '') : '';
    throw new GatewayError(`the proxy-url of cluster "${clusterName}" is not a proxy URL kubectl accepts`, {
      why: url
        ? `its scheme is "${scheme}"; it must be http, https or socks5`
        : `"${value}" is not a URL, e.g. http://proxy.example.com:3128`,
      next: [`fix it: kubectl config set-cluster ${clusterName} --proxy-url=http://HOST:PORT`],
      exitCode: ExitCode.environment,
    });
  }
  return { url, source: 'proxy-url' };
}

const DEFAULT_PORTS: Record<string, string> = { 'http:': '80', 'https:': '443', 'socks5:': '1080' };

/** A URL's host without IPv6 brackets, and its port (the scheme's default when it has none). */
export function hostAndPort(url: URL): { host: string; port: number } {
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  return { host, port: Number(url.port || DEFAULT_PORTS[url.protocol] || '0') };
}

const familyOf = (ip: string) => (isIP(ip) === 6 ? 'ipv6' : 'ipv4');

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

type Matcher = (host: string, port: string, ip: boolean) => boolean;

/** Go's SplitHostPort, as far as NO_PROXY entries need it: undefined when there is no port part. */
function splitHostPort(entry: string): { host: string; port: string } | undefined {
  if (entry.startsWith('[')) {
    const end = entry.indexOf(']');
    if (end < 0 || entry[end + 1] !== ':') return undefined;
    return { host: entry.slice(1, end), port: entry.slice(end + 2) };
  }
  const colon = entry.indexOf(':');
  if (colon < 0 || entry.indexOf(':', colon + 1) >= 0) return undefined;
  return { host: entry.slice(0, colon), port: entry.slice(colon + 1) };
}

function cidrMatcher(entry: string): Matcher | undefined {
  const match = /^([^/]+)\/(\d+)$/.exec(entry);
  const [address, bits] = [match?.[1] ?? '', Number(match?.[2])];
  const family = isIP(address);
  if (family === 0 || bits > (family === 4 ? 32 : 128)) return undefined;
  const list = new BlockList();
  list.addSubnet(address, bits, familyOf(address));
  return (host, _port, ip) => ip && list.check(host, familyOf(host));
}

/** One NO_PROXY entry: `*`, a CIDR, an IP, a host name or suffix, each optionally with `:port`. */
function entryMatcher(entry: string): Matcher | 'all' | undefined {
  if (entry === '*') return 'all';
  const cidr = cidrMatcher(entry);
  if (cidr) return cidr;
  const split = splitHostPort(entry);
  const port = split?.port ?? '';
  let host = split?.host ?? entry;
  if (host === '') return undefined;
  if (isIP(host) !== 0) {
    const list = new BlockList();
    list.addAddress(host, familyOf(host));
    return (target, targetPort, ip) =>
      ip && list.check(target, familyOf(target)) && (port === '' || port === targetPort);
  }
  // "foo.com" matches foo.com and its subdomains; ".foo.com" and "*.foo.com" only the subdomains.
  if (host.startsWith('*.')) host = host.slice(1);
  const matchesItself = !host.startsWith('.');
  if (matchesItself) host = `.${host}`;
  if ([...host].some((character) => character.charCodeAt(0) > 0x7f))
    host = `.${domainToASCII(host.slice(1))}`;
  const suffix = host;
  return (target, targetPort) =>
    (target.endsWith(suffix) || (matchesItself && target === suffix.slice(1))) &&
    (port === '' || port === targetPort);
}

/** Whether NO_PROXY (or the never-proxied localhost and loopback addresses) exempts this URL. */
export function bypassesProxy(target: URL, noProxy: string): boolean {
  const { host, port } = hostAndPort(target);
  if (host === 'localhost') return true;
  const ip = isIP(host) !== 0;
  if (ip && LOOPBACK.check(host, familyOf(host))) return true;
  const name = host.toLowerCase();
  for (const raw of noProxy.split(',')) {
    const matcher = entryMatcher(raw.trim().toLowerCase());
    if (matcher === 'all') return true;
    if (matcher?.(name, String(port), ip)) return true;
  }
  return false;
}

/**
 * The proxy for a request to `target`: the kubeconfig's proxy-url when given, else the environment's;
 * undefined to go direct.
 */
export function proxyFor(
  target: URL,
  proxyUrl: ProxyRoute | undefined,
  env: ProxyEnvironment,
): ProxyRoute | undefined {
  if (proxyUrl) return proxyUrl;
  const route = target.protocol === 'https:' ? env.https : target.protocol === 'http:' ? env.http : undefined;
  if (!route || bypassesProxy(target, env.noProxy)) return undefined;
  if (target.protocol === 'http:' && env.cgi) {
    throw new GatewayError(`${route.source} is not used for ${target.origin}: REQUEST_METHOD is set`, {
      why: 'in a CGI environment HTTP_PROXY can come from a request header, so Go programs such as kubectl refuse it, and so does this plugin',
      next: ['unset REQUEST_METHOD, or reach the cluster over https:// (HTTPS_PROXY is used there)'],
      exitCode: ExitCode.environment,
    });
  }
  return route;
}

/** The proxy as messages show it: no user name or password, and where it was configured. */
export function describeProxy(route: ProxyRoute): string {
  const where = route.source === 'proxy-url' ? "the kubeconfig's proxy-url" : route.source;
  return `${route.url.protocol}//${route.url.host} (from ${where})`;
}

/** The user name and password a proxy URL carries, percent-decoded; undefined without them. */
export function proxyCredentials(route: ProxyRoute): { username: string; password: string } | undefined {
  if (!route.url.username && !route.url.password) return undefined;
  return {
    username: decodeURIComponent(route.url.username),
    password: decodeURIComponent(route.url.password),
  };
}
