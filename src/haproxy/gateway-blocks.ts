/**
 * The tool's blocks for a hand-made gateway config: one without any "# BEGIN/END trigger-gateway"
 * marker, such as the acl + use_backend configs users wrote before this tool existed. The first
 * `route add` on such a config calls addGatewayBlocks, then adds its route to the blocks; nothing else
 * changes. Removing the last route the tool added takes the blocks out again (removeAddedBlocks), so
 * the config is byte for byte what it was before the first add.
 *
 * - The routes block (with a comment saying the tool added it), then the rule that reads the route
 *   map from this file at the path the gateway pods read it from, go in the frontend that serves the
 *   webhooks: the first frontend or listen with a `bind` whose mode is http (its own `mode`, else its
 *   defaults'), failing that the first frontend with a `bind`. They go right after its last
 *   `use_backend` line (else its last directive), so hand-written rules are evaluated first and keep
 *   priority, indented and line-ended like the section's lines.
 * - The backends block goes at the end of the file, after a blank line of its own (always one, so
 *   that removing it gives back exactly the file's end), with a final line ending. Such configs often
 *   set `mode http` per section and leave the defaults at tcp: the route backends written there then
 *   say `mode http` themselves (routes.ts), since an http frontend cannot use a tcp backend. A config
 *   whose last line has no line ending gets one and keeps it: HAProxy refuses to load it without.
 *
 * A path no route map line matches is served as before: with HAProxy 2.6 (checked with Debian's
 * 2.6.12) `map_beg` finds no key, the dynamic `use_backend %[…]` names no backend, and HAProxy skips
 * the rule and goes on to the next, then to `default_backend`; a section without one answers HAProxy's
 * own 503, the very response it gave before the rule was added (haproxy-serve.test.ts checks both).
 */
import type { GatewayLayout } from './check.ts';
import {
  applyEdits,
  bodyIndent,
  type ConfigLine,
  type ConfigText,
  indentOf,
  LineEdits,
  type Section,
} from './config-text.ts';
import { type ConfigContext, InvalidConfigError } from './errors.ts';
import {
  BACKENDS_BEGIN,
  BACKENDS_END,
  ROUTE_MAP_CLOSE,
  ROUTE_MAP_OPEN,
  ROUTES_ADDED_NOTE,
  ROUTES_BEGIN,
  ROUTES_END,
  routeMapRule,
} from './names.ts';

/** Named defaults can inherit from each other; a longer chain than this is a loop. */
const MAX_DEFAULTS_DEPTH = 16;

function sectionLines(text: ConfigText, section: Section): ConfigLine[] {
  return text.lines.slice(section.header + 1, section.end).filter((line) => !line.disabled);
}

/** The defaults section a proxy or defaults section inherits from: `from <name>`, else the last one before it. */
function defaultsOf(text: ConfigText, section: Section): Section | undefined {
  const header = text.lines[section.header] as ConfigLine;
  const from = header.words.indexOf('from');
  const name = from > 0 ? header.words[from + 1] : undefined;
  let found: Section | undefined;
  for (const other of text.sections) {
    if (other.header >= section.header) break;
    if (other.keyword === 'defaults' && (name === undefined || other.name === name)) found = other;
  }
  return found;
}

/** The mode a section runs in: its own last `mode` line, else its defaults', else HAProxy's tcp. */
function sectionMode(text: ConfigText, section: Section | undefined, depth = 0): string {
  if (!section || depth > MAX_DEFAULTS_DEPTH) return 'tcp';
  const own = sectionLines(text, section).findLast((line) => line.words[0] === 'mode')?.words[1];
  return own ?? sectionMode(text, defaultsOf(text, section), depth + 1);
}

/** The mode a backend written before line `index` inherits: the last defaults section before it. */
export function defaultsModeAt(text: ConfigText, index: number): string {
  const defaults = text.sections.findLast(
    (section) => section.keyword === 'defaults' && section.header < index,
  );
  return sectionMode(text, defaults);
}

/** The frontend that serves the webhooks (see the module comment), or undefined when none has a bind. */
export function webhookFrontend(text: ConfigText): Section | undefined {
  const bound = text.sections.filter(
    (section) =>
      (section.keyword === 'frontend' || section.keyword === 'listen') &&
      sectionLines(text, section).some((line) => line.words[0] === 'bind'),
  );
  return (
    bound.find((section) => sectionMode(text, section) === 'http') ??
    bound.find((section) => section.keyword === 'frontend')
  );
}

/**
 * The line the routes block goes after: the section's last use_backend, else its last directive; if
 * that is inside a conditional (`.if` … `.endif`), the `.endif` closing it.
 */
function anchorLine(layout: GatewayLayout, section: Section, context: ConfigContext): ConfigLine {
  const lines = sectionLines(layout.text, section).filter((line) => line.words.length > 0);
  const anchor =
    lines.findLast((line) => line.words[0] === 'use_backend') ??
    lines.at(-1) ??
    (layout.text.lines[section.header] as ConfigLine);
  let depth = 0;
  for (const line of lines) {
    if (line.index > anchor.index) break;
    if (line.words[0] === '.if') depth++;
    else if (line.words[0] === '.endif') depth--;
  }
  if (depth <= 0) return anchor;
  for (const line of lines) {
    if (line.index <= anchor.index) continue;
    if (line.words[0] === '.if') depth++;
    else if (line.words[0] === '.endif' && --depth === 0) return line;
  }
  throw new InvalidConfigError(
    `the ${section.keyword} ${section.name ?? ''} section ends inside an ".if" block, so the routes block has no safe place in it`,
    { line: anchor.index + 1, text: anchor.text },
    context,
  );
}

/** The routes block as addGatewayBlocks writes it, up to its END marker (the rule follows it). */
const ADDED_ROUTES_BLOCK = [ROUTES_BEGIN, ROUTES_ADDED_NOTE, ROUTE_MAP_OPEN, ROUTE_MAP_CLOSE, ROUTES_END];

/**
 * The config with the empty routes and backends blocks added, the route map read from `configPath`
 * (where the gateway pods read this file); see the module comment.
 */
export function addGatewayBlocks(
  layout: GatewayLayout,
  configPath: string,
  context: ConfigContext = {},
): string {
  const { text } = layout;
  const frontend = webhookFrontend(text);
  if (!frontend) {
    throw new InvalidConfigError(
      'has no "# BEGIN trigger-gateway routes" block and no frontend section with a "bind" line to add it to: routes need a frontend (or listen) section that receives the webhooks',
      undefined,
      context,
    );
  }
  const anchor = anchorLine(layout, frontend, context);
  const directives = sectionLines(text, frontend).filter(
    (line) => line.words.length > 0 && !line.words[0]?.startsWith('.'),
  );
  const model = anchor.words[0] === 'use_backend' ? anchor : directives.at(-1);
  const indent = model ? indentOf(model.text) : bodyIndent(text);
  const edits = new LineEdits();
  edits.insertBefore(
    anchor.index + 1,
    [...ADDED_ROUTES_BLOCK, routeMapRule(configPath)].map((line) => indent + line),
    anchor.eol || text.eol,
  );
  edits.insertBefore(
    text.lines.length,
    ['', BACKENDS_BEGIN, BACKENDS_END],
    text.lines.at(-1)?.eol || text.eol,
  );
  return applyEdits(text, edits);
}

/**
 * The config without the blocks addGatewayBlocks added, once they are empty again: the routes block
 * exactly as added (its comment says the tool added it), the rule right after it, an empty backends
 * block and the blank line before it. Anything else (the bundled config's blocks, blocks pasted in by
 * hand, or a line a user wrote inside them) keeps the blocks, and the text comes back as it is.
 */
export function removeAddedBlocks(layout: GatewayLayout): string {
  const { text, blocks } = layout;
  if (!blocks) return text.source;
  const { routesBegin, routesEnd, mapRule, backendsBegin, backendsEnd } = blocks;
  const routes = text.lines.slice(routesBegin, routesEnd + 1).map((line) => line.text.trim());
  const pristine =
    routes.length === ADDED_ROUTES_BLOCK.length &&
    routes.every((line, at) => line === ADDED_ROUTES_BLOCK[at]) &&
    mapRule?.line === routesEnd + 1 &&
    backendsEnd === backendsBegin + 1;
  if (!pristine) return text.source;
  const edits = new LineEdits()
    .deleteRange(routesBegin, routesEnd + 2)
    .deleteRange(backendsBegin, backendsEnd + 1);
  const blank = text.lines[backendsBegin - 1];
  if (blank?.text === '' && blank.index > mapRule.line) edits.delete(blank.index);
  return applyEdits(text, edits);
}
