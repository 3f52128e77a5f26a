/**
 * Finds the routes in a checked config: the tool's (route map lines and header rules in the routes
 * block) and hand-written ones in the style of acl + use_backend, in any frontend or listen section.
 *
 * Recognised hand-written forms (one pattern each; anything else is left alone, not listed):
 *   acl NAME path_beg [-i] /x        + use_backend BE if NAME
 *   acl NAME path [-i] /x            + use_backend BE if NAME   (exact path)
 *   use_backend BE if { path_beg [-i] /x }   and   { path [-i] /x }
 *   acl NAME hdr(H) -m found | hdr(H) [-i] value | hdr(H) -m str value   (also req.hdr(H), inline { … })
 */
import type { GatewayLayout } from './check.ts';
import type { ConfigLine, Section } from './config-text.ts';
import { type RouteMatch, type ServiceRef, serviceFromAddress } from './route-input.ts';
import {
  type BackendLine,
  LIMIT_NAMES,
  type LimitName,
  readLimitLines,
  type RouteLimitValues,
} from './route-limits.ts';
import { stripPrefixDirective } from './route-render.ts';

/** A route as the config holds it. */
export interface GatewayRoute {
  match: RouteMatch;
  /** HAProxy backend name. */
  backend: string;
  /** The first server's host:port as written; undefined if the backend has no server. */
  address: string | undefined;
  /** Parsed from `address` when it is <svc>.<ns>.svc[.cluster.local]:<port>. */
  service: ServiceRef | undefined;
  /** The server line has `ssl`. */
  tls: boolean;
  /** The backend strips the path prefix (the tool's set-path rewrite). */
  stripPrefix: boolean;
  /** The limits its backend enforces, read from the rules the tool writes (none for other rules). */
  limits: RouteLimitValues;
  /**
   * The limits that follow the gateway defaults (the tool's routes only); the others are the route's own.
   * A route the tool wrote before limits existed set none, so it follows them all (the next install
   * writes them into its backend).
   */
  limitDefaults: LimitName[];
  /** 'tool': in the marked blocks; 'hand': an acl/use_backend written by hand elsewhere. */
  origin: 'tool' | 'hand';
}

/** A route and the lines that make it. */
export interface FoundRoute {
  route: GatewayRoute;
  /** The route map line, or the use_backend line. */
  ruleLine: number;
  /** The named acl the use_backend line relies on (undefined for map lines and inline conditions). */
  acl: { name: string; line: number; section: Section } | undefined;
}

/** Reads the flags and the single pattern after a fetch: `-i`, `-m <method>`, `--`. */
function readCriterion(words: string[]): { method: string | undefined; patterns: string[] } | undefined {
  let method: string | undefined;
  let at = 0;
  while (at < words.length && (words[at] ?? '').startsWith('-')) {
    const flag = words[at];
    if (flag === '--') {
      at++;
      break;
    }
    if (flag === '-i') at++;
    else if (flag === '-m' && at + 1 < words.length) {
      method = words[at + 1];
      at += 2;
    } else return undefined;
  }
  return { method, patterns: words.slice(at) };
}

/** The match of a criterion such as `path_beg -i /x` or `hdr(X-Github-Event) -m found`, if it is a route. */
function criterionMatch(words: string[]): RouteMatch | undefined {
  const [fetch = '', ...rest] = words;
  const criterion = readCriterion(rest);
  if (!criterion) return undefined;
  const { method, patterns } = criterion;
  const [pattern] = patterns;
  if (fetch === 'path_beg' || fetch === 'path') {
    const prefix = fetch === 'path_beg' ? method === undefined || method === 'beg' : method === 'beg';
    const exact = fetch === 'path' && (method === undefined || method === 'str');
    if ((!prefix && !exact) || patterns.length !== 1 || !pattern?.startsWith('/')) return undefined;
    return { type: 'path', path: pattern };
  }
  const header = /^(?:req\.)?hdr\(([^,()]+)\)$/.exec(fetch)?.[1];
  if (header === undefined) return undefined;
  if (method === 'found' && patterns.length === 0) return { type: 'header', header };
  if ((method === undefined || method === 'str') && patterns.length === 1 && pattern !== undefined) {
    return { type: 'header', header, value: pattern };
  }
  return undefined;
}

/** What the backend forwards to: its first server, TLS, and whether it strips `path`. */
function describeBackend(
  layout: GatewayLayout,
  backend: string,
  match: RouteMatch,
  origin: GatewayRoute['origin'],
): Pick<GatewayRoute, 'address' | 'service' | 'tls' | 'stripPrefix' | 'limits' | 'limitDefaults' | 'origin'> {
  const section = layout.backends.get(backend);
  let server: ConfigLine | undefined;
  let stripPrefix = false;
  const strip = match.type === 'path' ? stripPrefixDirective(match.path) : undefined;
  const own: BackendLine[] = [];
  for (let index = (section?.header ?? 0) + 1; section && index < section.end; index++) {
    const line = layout.text.lines[index] as ConfigLine;
    if (line.disabled) continue;
    own.push(line);
    if (!server && line.words[0] === 'server') server = line;
    if (strip && line.words.length === strip.length && line.words.every((word, at) => word === strip[at])) {
      stripPrefix = true;
    }
  }
  const address = server?.words[2];
  const { limits, follows, marked } = readLimitLines(own);
  return {
    address,
    service: address === undefined ? undefined : serviceFromAddress(address),
    tls: server?.words.slice(3).includes('ssl') ?? false,
    stripPrefix,
    limits,
    limitDefaults: origin === 'tool' && !marked ? [...LIMIT_NAMES] : follows,
    origin,
  };
}

function isInRoutesBlock(layout: GatewayLayout, index: number): boolean {
  const { blocks } = layout;
  return blocks !== undefined && index > blocks.routesBegin && index < blocks.routesEnd;
}

/** acl + use_backend routes in one frontend or listen section. */
function findRuleRoutes(layout: GatewayLayout, section: Section): FoundRoute[] {
  const acls = new Map<string, ConfigLine[]>();
  const rules: ConfigLine[] = [];
  for (let index = section.header + 1; index < section.end; index++) {
    const line = layout.text.lines[index] as ConfigLine;
    if (line.disabled) continue;
    if (line.words[0] === 'acl' && line.words[1] !== undefined) {
      const defined = acls.get(line.words[1]) ?? [];
      defined.push(line);
      acls.set(line.words[1], defined);
    } else if (line.words[0] === 'use_backend' && line.words[2] === 'if') {
      rules.push(line);
    }
  }
  const found: FoundRoute[] = [];
  for (const rule of rules) {
    const [, backend = '', , ...condition] = rule.words;
    let match: RouteMatch | undefined;
    let acl: FoundRoute['acl'];
    if (condition[0] === '{' && condition.at(-1) === '}') {
      match = criterionMatch(condition.slice(1, -1));
    } else if (condition.length === 1) {
      const name = condition[0] ?? '';
      const defined = acls.get(name);
      if (defined?.length === 1 && defined[0]) {
        match = criterionMatch(defined[0].words.slice(2));
        acl = { name, line: defined[0].index, section };
      }
    }
    if (!match || !layout.backends.has(backend)) continue;
    found.push({
      route: {
        match,
        backend,
        ...describeBackend(layout, backend, match, isInRoutesBlock(layout, rule.index) ? 'tool' : 'hand'),
      },
      ruleLine: rule.index,
      acl,
    });
  }
  return found;
}

/** Every route the config holds, in file order (the order their rules appear in). */
export function findRoutes(layout: GatewayLayout): FoundRoute[] {
  const found: FoundRoute[] = layout.mapEntries.map((entry) => {
    const match: RouteMatch = { type: 'path', path: entry.path };
    return {
      route: {
        match,
        backend: entry.backend,
        ...describeBackend(layout, entry.backend, match, 'tool'),
      },
      ruleLine: entry.line,
      acl: undefined,
    };
  });
  for (const section of layout.text.sections) {
    if (section.keyword === 'frontend' || section.keyword === 'listen')
      found.push(...findRuleRoutes(layout, section));
  }
  return found.sort((a, b) => a.ruleLine - b.ruleLine);
}
