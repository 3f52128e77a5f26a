/**
 * haproxy.cfg as lines and sections, keeping every byte: each line keeps its text and its own line
 * ending, so joining the lines back gives the input exactly. Edits are whole lines, applied in one pass.
 *
 * Words are split the way HAProxy does it (whitespace separates, quotes group, backslash escapes, an
 * unquoted "#" starts a comment), closely enough to read the directives routes are made of.
 */

export interface ConfigLine {
  /** 0-based position; line numbers in messages are index + 1. */
  index: number;
  /** Offset of the line's first character in the text. */
  start: number;
  /** The line without its line ending. */
  text: string;
  /** '\n', '\r\n', or '' for a last line without one. */
  eol: string;
  /** The directive's words; empty for blank and comment lines. */
  words: string[];
  /** Inside an `.if 0` block: HAProxy skips it (the route map lives in such a block). */
  disabled: boolean;
}

/** A section: its keyword line and the lines up to the next section keyword. */
export interface Section {
  keyword: string;
  /** The section's name (frontend, backend, listen, …), if it has one. */
  name: string | undefined;
  header: number;
  /** Index of the first line after the section (the next header, or the line count). */
  end: number;
}

export interface ConfigText {
  /** The text parsed. */
  source: string;
  lines: ConfigLine[];
  sections: Section[];
  /** For each line, the index into `sections` of the section it is in, or -1 before the first one. */
  sectionOf: Int32Array;
  /** The line ending new lines get: CRLF when the config mostly uses it. */
  eol: string;
}

/** The section keywords of HAProxy 2.6 to 3.2; a line starting with one opens a section. */
export const SECTION_KEYWORDS: ReadonlySet<string> = new Set([
  'global',
  'defaults',
  'frontend',
  'backend',
  'listen',
  'resolvers',
  'peers',
  'userlist',
  'mailers',
  'program',
  'http-errors',
  'ring',
  'cache',
  'log-forward',
  'fcgi-app',
  'crt-store',
  'traces',
  'acme',
]);

const PLAIN_WORD = /[^ \t\r]+/g;
const NEEDS_PARSER = /["'\\#]/;

/** Splits one line into words; stops at an unquoted, unescaped "#". */
export function splitWords(text: string): string[] {
  // Most lines have no quotes, escapes or comments: splitting on blanks is the same and much faster.
  if (!NEEDS_PARSER.test(text)) return text.match(PLAIN_WORD) ?? [];
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let at = 0; at < text.length; at++) {
    const char = text[at] as string;
    if (quote !== undefined) {
      if (char === quote) quote = undefined;
      else if (char === '\\' && quote === '"' && at + 1 < text.length) word += text[++at];
      else word += char;
      continue;
    }
    if (char === ' ' || char === '\t' || char === '\r') {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else if (char === '#') {
      break;
    } else if (char === '"' || char === "'") {
      quote = char;
      inWord = true;
    } else if (char === '\\' && at + 1 < text.length) {
      word += text[++at];
      inWord = true;
    } else {
      word += char;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}

function splitLines(cfg: string): Array<{ start: number; text: string; eol: string }> {
  const lines: Array<{ start: number; text: string; eol: string }> = [];
  let start = 0;
  while (start < cfg.length) {
    const newline = cfg.indexOf('\n', start);
    if (newline < 0) {
      lines.push({ start, text: cfg.slice(start), eol: '' });
      break;
    }
    const crlf = newline > start && cfg[newline - 1] === '\r';
    lines.push({ start, text: cfg.slice(start, crlf ? newline - 1 : newline), eol: crlf ? '\r\n' : '\n' });
    start = newline + 1;
  }
  return lines;
}

/** Whether a conditional branch is known to be skipped: only the literal `0` is, as in `.if 0`. */
function isFalseCondition(words: string[]): boolean {
  return words.length === 2 && words[1] === '0';
}

interface Conditional {
  /** The enclosing block is skipped. */
  outerDisabled: boolean;
  /** The current branch is skipped. */
  disabled: boolean;
}

export function parseConfigText(cfg: string): ConfigText {
  const raw = splitLines(cfg);
  const lines: ConfigLine[] = [];
  const sections: Section[] = [];
  const sectionOf = new Int32Array(raw.length).fill(-1);
  const stack: Conditional[] = [];
  let crlf = 0;
  for (let index = 0; index < raw.length; index++) {
    const { start, text, eol } = raw[index] as { start: number; text: string; eol: string };
    if (eol === '\r\n') crlf++;
    const words = splitWords(text);
    const keyword = words[0] ?? '';
    const enclosing = stack.at(-1)?.disabled ?? false;
    let disabled = enclosing;
    if (keyword === '.if') {
      stack.push({ outerDisabled: enclosing, disabled: enclosing || isFalseCondition(words) });
    } else if (keyword === '.elif' || keyword === '.else') {
      const top = stack.at(-1);
      disabled = top?.outerDisabled ?? false;
      if (top) top.disabled = top.outerDisabled || (keyword === '.elif' && isFalseCondition(words));
    } else if (keyword === '.endif') {
      disabled = stack.pop()?.outerDisabled ?? false;
    }
    lines.push({ index, start, text, eol, words, disabled });
    if (!disabled && SECTION_KEYWORDS.has(keyword)) {
      const previous = sections.at(-1);
      if (previous) previous.end = index;
      sections.push({ keyword, name: words[1], header: index, end: raw.length });
    }
    sectionOf[index] = sections.length - 1;
  }
  return { source: cfg, lines, sections, sectionOf, eol: crlf * 2 >= raw.length && crlf > 0 ? '\r\n' : '\n' };
}

/** The leading whitespace of a line. */
export function indentOf(text: string): string {
  return /^[ \t]*/.exec(text)?.[0] ?? '';
}

/**
 * The indentation the config uses for directives inside sections: the first indented directive's,
 * so a tab-indented config gets tabs. Four spaces when nothing is indented.
 */
export function bodyIndent(config: ConfigText): string {
  for (const line of config.lines) {
    if (line.words.length === 0 || config.sectionOf[line.index] === -1) continue;
    if (SECTION_KEYWORDS.has(line.words[0] ?? '')) continue;
    const indent = indentOf(line.text);
    if (indent !== '') return indent;
  }
  return '    ';
}

/** Whole-line edits against the original line indexes; applied together by `applyEdits`. */
export class LineEdits {
  readonly deleted = new Set<number>();
  /** Per line: its text, and its own line ending (the config's when undefined). */
  readonly insertedBefore = new Map<number, Array<{ text: string; eol: string | undefined }>>();
  readonly replaced = new Map<number, string[]>();

  delete(index: number): this {
    this.deleted.add(index);
    return this;
  }

  deleteRange(from: number, to: number): this {
    for (let index = from; index < to; index++) this.deleted.add(index);
    return this;
  }

  /**
   * Inserts lines (without line endings) before line `index`, after any inserted there earlier; they
   * end with `eol` when given, else with the config's line ending.
   */
  insertBefore(index: number, lines: readonly string[], eol?: string): this {
    const at = this.insertedBefore.get(index) ?? [];
    at.push(...lines.map((text) => ({ text, eol })));
    this.insertedBefore.set(index, at);
    return this;
  }

  /** Replaces line `index` with `lines`. */
  replace(index: number, lines: readonly string[]): this {
    this.replaced.set(index, [...lines]);
    return this;
  }
}

/**
 * The text with the edits applied, in one pass: untouched runs of lines are copied as slices of the
 * source, so they keep their bytes and line endings; new lines get the config's line ending. A file
 * that ended without a line ending still does, whichever line ends it now.
 */
export function applyEdits(config: ConfigText, edits: LineEdits): string {
  const { lines, eol, source } = config;
  const offset = (index: number) => lines[index]?.start ?? source.length;
  const points = [
    ...new Set([...edits.deleted, ...edits.replaced.keys(), ...edits.insertedBefore.keys()]),
  ].sort((a, b) => a - b);
  const out: string[] = [];
  let copied = 0;
  for (const index of points) {
    if (index > copied) out.push(source.slice(offset(copied), offset(index)));
    const inserted = edits.insertedBefore.get(index) ?? [];
    // Lines appended after a last line without a line ending need one in between.
    if (index >= lines.length && inserted.length > 0 && out.length > 0 && !(out.at(-1) ?? '').endsWith('\n'))
      out.push(inserted[0]?.eol ?? eol);
    for (const line of inserted) out.push(line.text, line.eol ?? eol);
    const line = lines[index];
    if (!line) {
      copied = Math.max(copied, index);
      continue;
    }
    const replacement = edits.replaced.get(index);
    if (replacement && replacement.length > 0) {
      for (const [at, text] of replacement.entries())
        out.push(text, at === replacement.length - 1 ? line.eol : eol);
    } else if (!replacement && !edits.deleted.has(index)) {
      out.push(line.text, line.eol);
    }
    copied = index + 1;
  }
  if (copied < lines.length) out.push(source.slice(offset(copied)));
  const result = out.join('');
  const endedWithout = source.length > 0 && !source.endsWith('\n');
  if (endedWithout && result.endsWith('\n') && (edits.insertedBefore.get(lines.length) ?? []).length === 0) {
    return result.slice(0, result.endsWith('\r\n') ? -2 : -1);
  }
  return result;
}
