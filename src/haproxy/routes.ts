/**
 * Route list, add and remove on the haproxy.cfg text. Each call checks the config first (so it never
 * edits one it cannot read), works out whole-line edits against that one parse, and applies them in a
 * single pass: linear in the size of the config, and every byte it does not own is kept.
 */
import { type GatewayBlocks, type GatewayLayout, inspectGatewayConfig } from './check.ts';
import {
  applyEdits,
  bodyIndent,
  type ConfigLine,
  indentOf,
  LineEdits,
  parseConfigText,
  type Section,
} from './config-text.ts';
import { type ConfigContext, RouteExistsError, RouteNotFoundError } from './errors.ts';
import { type GatewayProtection, readProtection, routeDefaultsOf, writeClientBlock } from './client-block.ts';
import { addGatewayBlocks, defaultsModeAt, removeAddedBlocks } from './gateway-blocks.ts';
import { BUNDLED_CONFIG_PATH, RESOLVERS_NAME, routeMapRule } from './names.ts';
import {
  describeMatch,
  type RouteMatch,
  type RouteSpec,
  sameMatch,
  sameService,
  validateRouteSpec,
} from './route-input.ts';
import {
  effectiveLimits,
  LIMIT_NAMES,
  type RouteLimitSettings,
  type RouteLimitValues,
  sameLimitValue,
} from './route-limits.ts';
import {
  backendNameFor,
  isRouteComment,
  renderBackend,
  renderHeaderRule,
  renderMapLine,
} from './route-render.ts';
import { type FoundRoute, findRoutes, type GatewayRoute } from './route-scan.ts';

// The whole public API of the core, from one module: commands and services import from here.
export { type CheckOptions, checkGatewayConfig } from './check.ts';
export { unifiedDiff } from './diff.ts';
export {
  type ConfigContext,
  InvalidConfigError,
  InvalidRouteError,
  RouteExistsError,
  RouteNotFoundError,
} from './errors.ts';
export {
  describeMatch,
  parseHeaderMatch,
  parsePathMatch,
  parseServiceRef,
  type RouteMatch,
  type RouteSpec,
  sameMatch,
  type ServiceRef,
} from './route-input.ts';
export type { GatewayRoute } from './route-scan.ts';
export type { GatewayProtection } from './client-block.ts';
export {
  BUILT_IN_DEFAULTS,
  formatLimit,
  kebabName,
  type LimitName,
  LIMIT_FLAGS,
  LIMIT_NAMES,
  parseCidrFile,
  parseCidrList,
  parseConcurrency,
  parseRate,
  parseSize,
  parseTrustedProxies,
  type RateLimit,
  type RouteLimitSettings,
  type RouteLimitValues,
} from './route-limits.ts';

export { isMapPath } from './names.ts';

export type AddOutcome = 'added' | 'unchanged' | 'replaced';

export interface RouteEditOptions extends ConfigContext {
  /**
   * Where the gateway pods read haproxy.cfg (from their Deployment): the route map rule reads the map
   * from there, and an edit rewrites a rule that reads it from anywhere else. The bundled path if unset.
   */
  configPath?: string | undefined;
}

export interface AddRouteOptions extends RouteEditOptions {
  /** Replace a route with the same match (the tool's or a hand-written one) instead of failing. */
  overwrite: boolean;
}

export interface AddRouteResult {
  cfg: string;
  outcome: AddOutcome;
  /** The route that had this match before ('unchanged' and 'replaced'). */
  previous?: GatewayRoute;
}

/** Every route in the config, the tool's and hand-written ones, in file order. */
export function listRoutes(cfg: string, context: ConfigContext = {}): GatewayRoute[] {
  return findRoutes(inspectGatewayConfig(cfg, context)).map((found) => found.route);
}

/** 'el-github.ci:8080', else the address as written, else the backend. */
function describeTarget(route: GatewayRoute): string {
  const { service } = route;
  if (service) return `${service.name}.${service.namespace}:${service.port}`;
  return route.address ?? `backend ${route.backend} (no server)`;
}

function describeSpecTarget(spec: RouteSpec): string {
  const { name, namespace, port } = spec.service;
  const notes = [spec.tls ? 'TLS' : '', spec.stripPrefix ? 'prefix stripped' : ''].filter(Boolean);
  return `${name}.${namespace}:${port}${notes.length > 0 ? ` (${notes.join(', ')})` : ''}`;
}

function describeRoute(route: GatewayRoute): string {
  const notes = [route.tls ? 'TLS' : '', route.stripPrefix ? 'prefix stripped' : ''].filter(Boolean);
  return `${describeTarget(route)}${notes.length > 0 ? ` (${notes.join(', ')})` : ''}`;
}

/**
 * Same Service and options, and the same limits: for the tool's routes every limit, with the same ones
 * following the defaults; for a hand-written route only those the spec sets (defaults are the tool's).
 */
function sameTarget(route: GatewayRoute, spec: RouteSpec, defaults: RouteLimitValues): boolean {
  const own = spec.limits ?? {};
  const limits = effectiveLimits(own, defaults);
  const sameLimits =
    route.origin === 'tool'
      ? LIMIT_NAMES.every((name) =>
          // A limit following the defaults on both sides is the same, whatever the defaults were when written.
          route.limitDefaults.includes(name)
            ? own[name] === undefined
            : own[name] !== undefined && sameLimitValue(name, route.limits, limits),
        )
      : LIMIT_NAMES.every((name) => own[name] === undefined || sameLimitValue(name, route.limits, limits));
  return (
    sameService(route.service, spec.service) &&
    route.tls === (spec.tls ?? false) &&
    route.stripPrefix === (spec.stripPrefix ?? false) &&
    sameLimits
  );
}

const NAME_CHAR = /[A-Za-z0-9_.:-]/;

/** Whether `name` occurs as a whole name in one of the words (e.g. `be`, `be/server`, `be_conn(be)`). */
function mentions(words: readonly string[], name: string): boolean {
  for (const word of words) {
    for (let at = word.indexOf(name); at >= 0; at = word.indexOf(name, at + 1)) {
      const before = word[at - 1];
      const after = word[at + name.length];
      if (
        (before === undefined || !NAME_CHAR.test(before)) &&
        (after === undefined || !NAME_CHAR.test(after))
      ) {
        return true;
      }
    }
  }
  return false;
}

/** Lines of a backend to delete with it: the tool's item (its comment to the next item), or header to last directive. */
function backendRange(layout: GatewayLayout, section: Section): [number, number] {
  const lines = layout.text.lines;
  const { blocks } = layout;
  if (blocks && section.header > blocks.backendsBegin && section.header < blocks.backendsEnd) {
    const comment = lines[section.header - 1];
    const start =
      comment && comment.index > blocks.backendsBegin && isRouteComment(comment.text)
        ? comment.index
        : section.header;
    let stop = Math.min(section.end, blocks.backendsEnd);
    const next = lines[stop - 1];
    if (stop < blocks.backendsEnd && stop - 1 > section.header && next && isRouteComment(next.text)) stop--;
    return [start, stop];
  }
  let last = section.header;
  for (let index = section.header + 1; index < section.end; index++) {
    if ((lines[index] as ConfigLine).words.length > 0) last = index;
  }
  return [section.header, last + 1];
}

/**
 * Deletes a route's lines: its rule, its acl unless another line of the section uses it, its backend
 * unless anything else names it. Returns the backend's name when the backend goes too.
 */
function planRemoval(layout: GatewayLayout, found: FoundRoute, edits: LineEdits): string | undefined {
  const lines = layout.text.lines;
  edits.delete(found.ruleLine);
  const { acl } = found;
  if (acl) {
    let used = false;
    for (let index = acl.section.header + 1; index < acl.section.end && !used; index++) {
      const line = lines[index] as ConfigLine;
      if (
        edits.deleted.has(index) ||
        line.disabled ||
        (line.words[0] === 'acl' && line.words[1] === acl.name)
      )
        continue;
      used = line.words.some((word) => word === acl.name || word === `!${acl.name}`);
    }
    if (!used) {
      for (let index = acl.section.header + 1; index < acl.section.end; index++) {
        const line = lines[index] as ConfigLine;
        if (line.words[0] === 'acl' && line.words[1] === acl.name) edits.delete(index);
      }
    }
  }
  const name = found.route.backend;
  const section = layout.backends.get(name);
  if (!section || section.keyword !== 'backend') return undefined;
  for (const line of lines) {
    const own = line.index >= section.header && line.index < section.end;
    if (!own && !edits.deleted.has(line.index) && mentions(line.words, name)) return undefined;
  }
  const [start, stop] = backendRange(layout, section);
  edits.deleteRange(start, stop);
  return name;
}

/** The acl names of a section, which a new header rule's acl must not reuse. */
function aclNames(layout: GatewayLayout, section: Section): Set<string> {
  const names = new Set<string>();
  for (let index = section.header + 1; index < section.end; index++) {
    const [keyword, name] = (layout.text.lines[index] as ConfigLine).words;
    if (keyword === 'acl' && name !== undefined) names.add(name);
  }
  return names;
}

/** The tool's name for the route, or the first free `<name>_<n>` when a hand-written section has it. */
function freeBackendName(
  layout: GatewayLayout,
  blocks: GatewayBlocks,
  spec: RouteSpec,
  freed: ReadonlySet<string>,
): string {
  const base = backendNameFor(spec.match);
  const acls = spec.match.type === 'header' ? aclNames(layout, blocks.frontend) : new Set<string>();
  const taken = (name: string) => (layout.backends.has(name) && !freed.has(name)) || acls.has(name);
  let name = base;
  for (let n = 2; taken(name); n++) name = `${base}_${n}`;
  return name;
}

/**
 * The route's backend, indented like the END marker (its comment and header) and the config's
 * directives; with `mode http` where the defaults it inherits do not give it that mode.
 */
function backendLines(layout: GatewayLayout, blocks: GatewayBlocks, spec: RouteSpec, name: string): string[] {
  const headerIndent = indentOf((layout.text.lines[blocks.backendsEnd] as ConfigLine).text);
  const resolvers = layout.text.sections.some(
    (section) => section.keyword === 'resolvers' && section.name === RESOLVERS_NAME,
  );
  const [comment = '', header = '', ...body] = renderBackend(spec, name, bodyIndent(layout.text), {
    resolvers,
    mode: defaultsModeAt(layout.text, blocks.backendsEnd) !== 'http',
    defaults: routeDefaultsOf(layout.text),
  });
  return [`${headerIndent}${comment}`, `${headerIndent}${header}`, ...body];
}

/** Inserts the route's rule in the routes block and its backend at the end of the backends block. */
function planAddition(
  layout: GatewayLayout,
  blocks: GatewayBlocks,
  found: FoundRoute[],
  spec: RouteSpec,
  name: string,
  edits: LineEdits,
): void {
  const { lines } = layout.text;
  const { match } = spec;
  if (match.type === 'path') {
    const close = lines[blocks.mapClose] as ConfigLine;
    edits.insertBefore(blocks.mapClose, [renderMapLine(match.path, name, indentOf(close.text))]);
  } else {
    // A rule for a header value goes before the tool's rules for a header's mere presence, so it can match.
    const presence =
      match.value === undefined
        ? undefined
        : found.find(
            (other) =>
              other.route.origin === 'tool' &&
              other.route.match.type === 'header' &&
              other.route.match.value === undefined,
          );
    const at = presence
      ? Math.min(presence.ruleLine, presence.acl?.line ?? presence.ruleLine)
      : blocks.routesEnd;
    const indent = indentOf((lines[blocks.routesEnd] as ConfigLine).text);
    edits.insertBefore(at, renderHeaderRule(match, name, indent));
  }
  edits.insertBefore(blocks.backendsEnd, backendLines(layout, blocks, spec, name));
}

/** Rewrites a tool route's backend where it stands, when nothing else uses it; false when it cannot. */
function planReplaceInPlace(
  layout: GatewayLayout,
  blocks: GatewayBlocks,
  found: FoundRoute,
  spec: RouteSpec,
  edits: LineEdits,
): boolean {
  const section = layout.backends.get(found.route.backend);
  if (found.route.origin !== 'tool' || !section || section.keyword !== 'backend') return false;
  if (!(section.header > blocks.backendsBegin && section.header < blocks.backendsEnd)) return false;
  for (const line of layout.text.lines) {
    const own = line.index >= section.header && line.index < section.end;
    const rule = line.index === found.ruleLine || line.index === found.acl?.line;
    if (!own && !rule && mentions(line.words, found.route.backend)) return false;
  }
  const [start, stop] = backendRange(layout, section);
  edits.deleteRange(start + 1, stop);
  edits.replace(start, backendLines(layout, blocks, spec, found.route.backend));
  return true;
}

/**
 * Points the route map rule at `configPath`: the rule is rewritten where it reads another path, and
 * written after the routes block when there is none.
 */
function planMapRule(
  layout: GatewayLayout,
  blocks: GatewayBlocks,
  configPath: string,
  edits: LineEdits,
): void {
  const { lines, eol } = layout.text;
  const { mapRule } = blocks;
  if (mapRule?.path === configPath) return;
  if (mapRule) {
    const line = lines[mapRule.line] as ConfigLine;
    edits.replace(mapRule.line, [`${indentOf(line.text)}${routeMapRule(configPath)}`]);
    return;
  }
  const end = lines[blocks.routesEnd] as ConfigLine;
  edits.insertBefore(
    blocks.routesEnd + 1,
    [`${indentOf(end.text)}${routeMapRule(configPath)}`],
    end.eol || eol,
  );
}

/**
 * Adds a route. The same match with the same target is 'unchanged' (the text comes back as is); a
 * different target fails with RouteExistsError unless `overwrite`, which replaces it ('replaced'):
 * the tool's route in place, a hand-written one by removing it and adding the tool's. A config
 * without the tool's blocks gets them first (gateway-blocks.ts), until its last such route goes.
 */
export function addRoute(cfg: string, spec: RouteSpec, options: AddRouteOptions): AddRouteResult {
  validateRouteSpec(spec);
  return addToLayout(inspectGatewayConfig(cfg, options), spec, options);
}

function addToLayout(layout: GatewayLayout, spec: RouteSpec, options: AddRouteOptions): AddRouteResult {
  const found = findRoutes(layout);
  const existing = found.filter((route) => sameMatch(route.route.match, spec.match));
  const primary = existing.find((route) => route.route.origin === 'tool') ?? existing[0];
  const previous = primary?.route;
  if (previous) {
    const same = sameTarget(previous, spec, routeDefaultsOf(layout.text));
    if (same && (previous.origin === 'tool' || !options.overwrite)) {
      return { cfg: layout.text.source, outcome: 'unchanged', previous };
    }
    if (!options.overwrite) {
      throw new RouteExistsError(
        describeMatch(spec.match),
        describeRoute(previous),
        describeSpecTarget(spec),
      );
    }
  }
  const { blocks } = layout;
  if (!blocks) {
    // A hand-made config: add the empty blocks, then the route to them (same decision, blocks present).
    const withBlocks = addGatewayBlocks(layout, options.configPath ?? BUNDLED_CONFIG_PATH, options);
    return addToLayout(inspectGatewayConfig(withBlocks, options), spec, options);
  }
  const edits = new LineEdits();
  planMapRule(layout, blocks, options.configPath ?? BUNDLED_CONFIG_PATH, edits);
  if (!primary) {
    planAddition(layout, blocks, found, spec, freeBackendName(layout, blocks, spec, new Set()), edits);
    return { cfg: applyEdits(layout.text, edits), outcome: 'added' };
  }
  if (existing.length > 1 || !planReplaceInPlace(layout, blocks, primary, spec, edits)) {
    const freed = new Set<string>();
    for (const route of existing) {
      const removed = planRemoval(layout, route, edits);
      if (removed !== undefined) freed.add(removed);
    }
    planAddition(layout, blocks, found, spec, freeBackendName(layout, blocks, spec, freed), edits);
  }
  return { cfg: applyEdits(layout.text, edits), outcome: 'replaced', previous };
}

const LISTED_IN_ERRORS = 20;

/**
 * Removes the route with this match: the tool's if there is one, else the first hand-written one.
 * Its rule goes, its acl unless something else in the section uses it, its backend unless anything
 * else names it; nothing else changes, except the blocks the tool added to a hand-made config, which
 * go with the last route in them. RouteNotFoundError lists the routes there are.
 */
export function removeRoute(
  cfg: string,
  match: RouteMatch,
  options: RouteEditOptions = {},
): { cfg: string; removed: GatewayRoute } {
  const layout = inspectGatewayConfig(cfg, options);
  const found = findRoutes(layout);
  const candidates = found.filter((route) => sameMatch(route.route.match, match));
  const target = candidates.find((route) => route.route.origin === 'tool') ?? candidates[0];
  if (!target) {
    const listed = found
      .slice(0, LISTED_IN_ERRORS)
      .map(({ route }) => `${describeMatch(route.match)} → ${describeTarget(route)}`);
    if (found.length > LISTED_IN_ERRORS) listed.push(`… ${found.length - LISTED_IN_ERRORS} more`);
    throw new RouteNotFoundError(describeMatch(match), listed);
  }
  const edits = new LineEdits();
  planRemoval(layout, target, edits);
  if (!layout.blocks) return { cfg: applyEdits(layout.text, edits), removed: target.route };
  planMapRule(layout, layout.blocks, options.configPath ?? BUNDLED_CONFIG_PATH, edits);
  const after = inspectGatewayConfig(applyEdits(layout.text, edits), options);
  return { cfg: removeAddedBlocks(after), removed: target.route };
}

/** `el-github.ci:8080`, the way users type it, with its options; the raw address for hand-written backends. */
export function describeRouteTarget(route: GatewayRoute): string {
  const target = route.service
    ? `${route.service.name}.${route.service.namespace}:${route.service.port}`
    : (route.address ?? `backend ${route.backend}`);
  return `${target}${route.tls ? ' (TLS)' : ''}${route.stripPrefix ? ' (prefix stripped)' : ''}`;
}

/** The limits a tool route set itself, as a spec would carry them (the others follow the defaults). */
function ownLimits(route: GatewayRoute): RouteLimitSettings {
  const own: RouteLimitSettings = {};
  for (const name of LIMIT_NAMES) {
    if (!route.limitDefaults.includes(name)) Object.assign(own, { [name]: route.limits[name] });
  }
  return own;
}

/**
 * The config with its client block (client.ts) saying `protection`, and every route of the tool that
 * follows a default rendered again with the new defaults; routes' own values stay. A config without
 * the block's place (hand-made) comes back as it is.
 */
export function writeGatewayProtection(
  cfg: string,
  protection: GatewayProtection,
  options: RouteEditOptions = {},
): string {
  const written = writeClientBlock(cfg, protection);
  if (written === cfg) return cfg;
  let text = written;
  const routes = listRoutes(written, options).filter(
    (route) => route.origin === 'tool' && route.service && route.limitDefaults.length > 0,
  );
  for (const route of routes) {
    if (!route.service) continue;
    const spec: RouteSpec = {
      match: route.match,
      service: route.service,
      tls: route.tls,
      stripPrefix: route.stripPrefix,
      limits: ownLimits(route),
    };
    const layout = inspectGatewayConfig(text, options);
    const found = findRoutes(layout).find(
      (one) => one.route.origin === 'tool' && sameMatch(one.route.match, route.match),
    );
    const edits = new LineEdits();
    if (layout.blocks && found && planReplaceInPlace(layout, layout.blocks, found, spec, edits)) {
      text = applyEdits(layout.text, edits);
    }
  }
  return text;
}

/** The client block's settings, when the config has one. */
export function readGatewayProtection(cfg: string): GatewayProtection | undefined {
  return readProtection(parseConfigText(cfg));
}
