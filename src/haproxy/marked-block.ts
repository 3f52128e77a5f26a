/**
 * The blocks of haproxy.cfg that `install` owns, each between two comment lines,
 * "# BEGIN trigger-gateway <name>" and "# END trigger-gateway <name>": finding one, and writing its
 * lines anew while every other byte of the file stays as it is.
 */
import { applyEdits, type ConfigLine, type ConfigText, indentOf, LineEdits } from './config-text.ts';

export interface MarkedBlock {
  begin: ConfigLine;
  end: ConfigLine;
}

/** Whether `line` is the comment line `marker`, whatever its indentation. */
export function isMarkerLine(line: ConfigLine, marker: string): boolean {
  return line.words.length === 0 && line.text.trim() === marker;
}

/** The BEGIN and END lines of the block, when there is exactly one well-formed block. */
export function findMarkedBlock(text: ConfigText, begin: string, end: string): MarkedBlock | undefined {
  const marked = (marker: string) => text.lines.filter((line) => isMarkerLine(line, marker));
  const begins = marked(begin);
  const ends = marked(end);
  const [first] = begins;
  const [last] = ends;
  if (begins.length !== 1 || ends.length !== 1 || !first || !last || last.index < first.index)
    return undefined;
  return { begin: first, end: last };
}

/**
 * The config with the block's lines, markers included, replaced by `wanted` (unindented; they get the
 * BEGIN line's indentation); `cfg` itself when the block already says that.
 */
export function replaceMarkedBlock(
  cfg: string,
  text: ConfigText,
  block: MarkedBlock,
  wanted: string[],
): string {
  const indent = indentOf(block.begin.text);
  const lines = wanted.map((line) => indent + line);
  const current = text.lines.slice(block.begin.index, block.end.index + 1).map((line) => line.text);
  if (current.length === lines.length && current.every((line, at) => line === lines[at])) return cfg;
  const edits = new LineEdits().deleteRange(block.begin.index + 1, block.end.index + 1);
  edits.replace(block.begin.index, lines);
  return applyEdits(text, edits);
}
