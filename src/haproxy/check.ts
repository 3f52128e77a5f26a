/**
 * Our structural check of a haproxy.cfg, and the layout it finds: where the marked blocks are, the
 * route map's entries, the backends by name. Route edits start from this layout, so they never touch
 * a config they cannot read. Anything HAProxy would accept that the tool merely does not understand
 * (unknown directives inside sections, other frontends, TLS binds) passes.
 *
 * A config with none of the four markers is a hand-made gateway (as written before this tool
 * existed): valid, its hand-written routes can be listed and removed, and the first route added gives
 * it the blocks (gateway-blocks.ts). Some markers without the others is an error, as is any misuse.
 */
import {
  type ConfigText,
  type ConfigLine,
  parseConfigText,
  type Section,
  SECTION_KEYWORDS,
} from './config-text.ts';
import { type ConfigContext, InvalidConfigError } from './errors.ts';
import {
  BACKENDS_BEGIN,
  BACKENDS_END,
  ROUTES_BEGIN,
  ROUTES_END,
  routeMapRule,
  routeMapRulePath,
} from './names.ts';

/** One line of the route map: `<path>/ <backend>` ("/" for the root route). */
export interface MapEntry {
  line: number;
  path: string;
  backend: string;
}

/** Where the tool's marked blocks are (line indexes of the markers and of the route map's bounds). */
export interface GatewayBlocks {
  routesBegin: number;
  mapOpen: number;
  mapClose: number;
  routesEnd: number;
  backendsBegin: number;
  backendsEnd: number;
  /** The frontend (or listen) section holding the routes block. */
  frontend: Section;
  /** The `use_backend` rule in that section that reads the route map, and the file it reads it from. */
  mapRule: { line: number; path: string } | undefined;
}

export interface GatewayLayout {
  text: ConfigText;
  /** Undefined for a hand-made config without any of the markers (it has hand-written routes only). */
  blocks: GatewayBlocks | undefined;
  /** The route map's entries; none without the blocks. */
  mapEntries: MapEntry[];
  /** Backend and listen sections by name: what a use_backend can name. */
  backends: Map<string, Section>;
}

type Markers = Record<'routesBegin' | 'routesEnd' | 'backendsBegin' | 'backendsEnd', number>;

/** Characters HAProxy allows in proxy and ACL names. */
const NAME_PATTERN = /^[A-Za-z0-9_.:-]+$/;
const MAP_KEY = /^\/(?:[^/\s]+\/)*$/;
const CONDITIONAL = new Set(['.if', '.elif', '.else', '.endif']);
const TOP_LEVEL_DIRECTIVES = new Set([...CONDITIONAL, '.notice', '.warning', '.alert', '.diag']);
const PROXIES = new Set(['frontend', 'backend', 'listen', 'defaults']);
const MARKERS = [ROUTES_BEGIN, ROUTES_END, BACKENDS_BEGIN, BACKENDS_END];

class Checker {
  readonly text: ConfigText;
  readonly context: ConfigContext;

  constructor(text: ConfigText, context: ConfigContext) {
    this.text = text;
    this.context = context;
  }

  fail(problem: string, line?: ConfigLine): never {
    throw new InvalidConfigError(
      problem,
      line ? { line: line.index + 1, text: line.text } : undefined,
      this.context,
    );
  }

  line(index: number): ConfigLine {
    return this.text.lines[index] as ConfigLine;
  }

  section(index: number): Section | undefined {
    return this.text.sections[this.text.sectionOf[index] ?? -1];
  }

  /** The line of each marker, found in one pass; each must appear exactly once, or none at all. */
  markers(): Markers | undefined {
    const names = new Map<string, number | undefined>(MARKERS.map((marker) => [marker, undefined]));
    for (const line of this.text.lines) {
      // Markers are comments: only comment lines can be one.
      if (line.words.length > 0 || !line.text.includes('trigger-gateway')) continue;
      const marker = line.text.trim();
      if (!names.has(marker)) continue;
      const first = names.get(marker);
      if (first !== undefined)
        this.fail(`"${marker}" appears a second time (first on line ${first + 1})`, line);
      names.set(marker, line.index);
    }
    if ([...names.values()].every((index) => index === undefined)) return undefined;
    const at = (marker: string): number => {
      const index = names.get(marker);
      if (index === undefined) this.fail(`has no "${marker}" line`);
      return index;
    };
    return {
      routesBegin: at(ROUTES_BEGIN),
      routesEnd: at(ROUTES_END),
      backendsBegin: at(BACKENDS_BEGIN),
      backendsEnd: at(BACKENDS_END),
    };
  }

  /** The next line after `from` (exclusive) that holds a directive, up to `to` (exclusive). */
  nextDirective(from: number, to: number): ConfigLine | undefined {
    for (let index = from + 1; index < to; index++) {
      const line = this.line(index);
      if (line.words.length > 0) return line;
    }
    return undefined;
  }
}

function checkOutsideSections(checker: Checker): void {
  for (const line of checker.text.lines) {
    if (line.disabled || line.words.length === 0 || checker.text.sectionOf[line.index] !== -1) continue;
    if (!TOP_LEVEL_DIRECTIVES.has(line.words[0] ?? '')) {
      checker.fail(
        `"${line.words[0]}" is outside any section, or opens a section HAProxy does not have`,
        line,
      );
    }
  }
}

function checkMarkerOrder(checker: Checker, marks: Markers): void {
  const { routesBegin, routesEnd, backendsBegin, backendsEnd } = marks;
  if (routesEnd < routesBegin) {
    checker.fail(
      `"${ROUTES_END}" comes before "${ROUTES_BEGIN}" (line ${routesBegin + 1})`,
      checker.line(routesEnd),
    );
  }
  if (backendsEnd < backendsBegin) {
    checker.fail(
      `"${BACKENDS_END}" comes before "${BACKENDS_BEGIN}" (line ${backendsBegin + 1})`,
      checker.line(backendsEnd),
    );
  }
  if (!(routesEnd < backendsBegin || backendsEnd < routesBegin)) {
    checker.fail(
      'the routes block and the backends block overlap',
      checker.line(Math.max(routesBegin, backendsBegin)),
    );
  }
}

/** The route map between `.if 0` and `.endif`, then only non-map directives up to the END marker. */
function checkRoutesBlock(
  checker: Checker,
  begin: number,
  end: number,
): Omit<GatewayBlocks, 'backendsBegin' | 'backendsEnd' | 'mapRule'> & { mapEntries: MapEntry[] } {
  const frontend = checker.section(begin);
  if (!frontend || (frontend.keyword !== 'frontend' && frontend.keyword !== 'listen')) {
    checker.fail('the routes block must be inside a frontend (or listen) section', checker.line(begin));
  }
  for (let index = begin + 1; index < end; index++) {
    const line = checker.line(index);
    if (!line.disabled && SECTION_KEYWORDS.has(line.words[0] ?? '')) {
      checker.fail(`a "${line.words[0]}" section cannot start inside the routes block`, line);
    }
  }
  const open = checker.nextDirective(begin, end);
  if (!open || open.words.join(' ') !== '.if 0') {
    checker.fail(
      'the routes block must start with the route map\'s ".if 0" line',
      open ?? checker.line(begin),
    );
  }
  const mapEntries: MapEntry[] = [];
  const keys = new Map<string, number>();
  let close: ConfigLine | undefined;
  for (let index = open.index + 1; index < end && !close; index++) {
    const line = checker.line(index);
    const [key = '', backend = ''] = line.words;
    if (line.words.length === 0) continue;
    if (key === '.endif') {
      close = line;
    } else if (line.words.length !== 2 || !MAP_KEY.test(key) || !NAME_PATTERN.test(backend)) {
      checker.fail('a route map line must be "<path>/ <backend>", e.g. "/github/ route:github"', line);
    } else if (keys.has(key)) {
      checker.fail(`the route map has ${key} twice (first on line ${(keys.get(key) ?? 0) + 1})`, line);
    } else {
      keys.set(key, index);
      mapEntries.push({ line: index, path: key === '/' ? '/' : key.slice(0, -1), backend });
    }
  }
  if (!close) checker.fail(`the route map opened here has no ".endif" before "${ROUTES_END}"`, open);
  for (let index = close.index + 1; index < end; index++) {
    const line = checker.line(index);
    const keyword = line.words[0] ?? '';
    if (keyword.startsWith('/'))
      checker.fail('a route map line after ".endif" would be read as a directive', line);
    if (CONDITIONAL.has(keyword)) checker.fail(`"${keyword}" does not belong in the routes block`, line);
  }
  return {
    routesBegin: begin,
    mapOpen: open.index,
    mapClose: close.index,
    routesEnd: end,
    frontend,
    mapEntries,
  };
}

/** Only backend sections between the markers, and nothing after END that the last one would swallow. */
function checkBackendsBlock(checker: Checker, begin: number, end: number): void {
  for (let index = begin + 1; index < end; index++) {
    const line = checker.line(index);
    if (line.disabled || line.words.length === 0) continue;
    const section = checker.section(index);
    if (section?.header === index && section.keyword !== 'backend') {
      checker.fail(`only backend sections belong in the backends block, not "${section.keyword}"`, line);
    }
    if (!section || section.header < begin) {
      checker.fail('a directive in the backends block before its first "backend" line', line);
    }
  }
  const after = checker.nextDirective(end, checker.text.lines.length);
  if (after && checker.section(after.index)?.header !== after.index) {
    checker.fail(
      `this line follows "${BACKENDS_END}" outside any section of its own: HAProxy would read it as part of the last route backend`,
      after,
    );
  }
}

/** The first rule of the section that reads a route map the way the tool writes it. */
function findMapRule(checker: Checker, section: Section): GatewayBlocks['mapRule'] {
  for (let index = section.header + 1; index < section.end; index++) {
    const line = checker.line(index);
    const path = line.disabled ? undefined : routeMapRulePath(line.words);
    if (path !== undefined) return { line: index, path };
  }
  return undefined;
}

function collectBackends(checker: Checker): Map<string, Section> {
  const backends = new Map<string, Section>();
  for (const section of checker.text.sections) {
    if (section.keyword !== 'backend' && section.keyword !== 'listen') continue;
    const header = checker.line(section.header);
    if (section.name === undefined || !NAME_PATTERN.test(section.name)) {
      checker.fail(`a ${section.keyword} section needs a name of letters, digits and _ . : -`, header);
    }
    const first = backends.get(section.name);
    if (first)
      checker.fail(`a second backend named ${section.name} (first on line ${first.header + 1})`, header);
    backends.set(section.name, section);
  }
  return backends;
}

function checkBackendReferences(
  checker: Checker,
  backends: Map<string, Section>,
  mapEntries: MapEntry[],
): void {
  for (const line of checker.text.lines) {
    const [keyword, name = ''] = line.words;
    if (line.disabled || (keyword !== 'use_backend' && keyword !== 'default_backend')) continue;
    if (!PROXIES.has(checker.section(line.index)?.keyword ?? '') || name.includes('%')) continue;
    if (!backends.has(name)) checker.fail(`${keyword} names backend ${name}, which does not exist`, line);
  }
  for (const entry of mapEntries) {
    if (!backends.has(entry.backend)) {
      checker.fail(
        `the route for ${entry.path} names backend ${entry.backend}, which does not exist`,
        checker.line(entry.line),
      );
    }
  }
}

/** A server naming a resolvers section that does not exist stops HAProxy. */
function checkResolvers(checker: Checker): void {
  const resolvers = new Set(
    checker.text.sections.flatMap((section) => (section.keyword === 'resolvers' ? [section.name] : [])),
  );
  for (const line of checker.text.lines) {
    const [keyword] = line.words;
    if (
      line.disabled ||
      (keyword !== 'server' && keyword !== 'default-server' && keyword !== 'server-template')
    )
      continue;
    const at = line.words.indexOf('resolvers');
    const name = at < 0 ? undefined : line.words[at + 1];
    if (name !== undefined && !resolvers.has(name)) {
      checker.fail(`this server uses resolvers ${name}, and there is no "resolvers ${name}" section`, line);
    }
  }
}

/** The config's layout; throws InvalidConfigError, naming the line, when the tool cannot safely edit it. */
export function inspectGatewayConfig(cfg: string, context: ConfigContext = {}): GatewayLayout {
  const text = parseConfigText(cfg);
  const checker = new Checker(text, context);
  checkOutsideSections(checker);
  const marks = checker.markers();
  let blocks: GatewayBlocks | undefined;
  let mapEntries: MapEntry[] = [];
  if (marks) {
    checkMarkerOrder(checker, marks);
    const { mapEntries: entries, ...routes } = checkRoutesBlock(checker, marks.routesBegin, marks.routesEnd);
    checkBackendsBlock(checker, marks.backendsBegin, marks.backendsEnd);
    blocks = {
      ...routes,
      backendsBegin: marks.backendsBegin,
      backendsEnd: marks.backendsEnd,
      mapRule: findMapRule(checker, routes.frontend),
    };
    mapEntries = entries;
  }
  const backends = collectBackends(checker);
  checkBackendReferences(checker, backends, mapEntries);
  checkResolvers(checker);
  return { text, blocks, mapEntries, backends };
}

export interface CheckOptions extends ConfigContext {
  /** Where the gateway pods read haproxy.cfg: the route map rule must read the map from there. */
  configPath?: string | undefined;
}

/**
 * Throws InvalidConfigError (exit code clusterState) naming the first line the tool cannot work with.
 * With `configPath`, also when the route map rule would read the map from anywhere else: HAProxy
 * would stop with "failed to open pattern file", or read some other file.
 */
export function checkGatewayConfig(cfg: string, options: CheckOptions = {}): void {
  const { blocks, text } = inspectGatewayConfig(cfg, options);
  const { configPath } = options;
  if (!blocks || configPath === undefined) return;
  const checker: Checker = new Checker(text, options);
  if (!blocks.mapRule) {
    checker.fail(
      `no rule reads the route map: "${routeMapRule(configPath)}" belongs after this line`,
      checker.line(blocks.routesEnd),
    );
  }
  if (blocks.mapRule.path !== configPath) {
    checker.fail(
      `the route map rule reads ${blocks.mapRule.path}, but the gateway pods read haproxy.cfg at ${configPath}`,
      checker.line(blocks.mapRule.line),
    );
  }
}
