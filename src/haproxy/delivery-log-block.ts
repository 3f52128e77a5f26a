/**
 * The "delivery log" block of haproxy.cfg: the lines between "# BEGIN trigger-gateway delivery log" and
 * "# END trigger-gateway delivery log" in the webhook frontend, which make HAProxy write one JSON record
 * per request (their text lives in manifests/20-configmap.yaml only; delivery-log.ts reads the records).
 *
 * `install` brings a live config's block up to the bundled one and changes nothing else, byte for byte:
 * - a config with the block gets its lines replaced by the bundled block's (indented like its BEGIN line);
 * - a config from before the block existed gets it right after the last `bind` of the frontend holding
 *   the routes block, where the bundled config has it;
 * - anything else (a hand-made gateway, markers out of order) is left as it is.
 */
import {
  applyEdits,
  type ConfigLine,
  type ConfigText,
  indentOf,
  LineEdits,
  parseConfigText,
} from './config-text.ts';
import { findMarkedBlock, isMarkerLine, replaceMarkedBlock } from './marked-block.ts';
import { ROUTES_BEGIN } from './names.ts';

export const DELIVERY_LOG_BEGIN = '# BEGIN trigger-gateway delivery log';
export const DELIVERY_LOG_END = '# END trigger-gateway delivery log';
/** client-block.ts's END marker (that module imports this one). */
const CLIENT_END_MARKER = '# END trigger-gateway client';

const findBlock = (text: ConfigText) => findMarkedBlock(text, DELIVERY_LOG_BEGIN, DELIVERY_LOG_END);

/** Whether the config has the block, i.e. its gateway writes delivery records. */
export function hasDeliveryLog(cfg: string): boolean {
  return findBlock(parseConfigText(cfg)) !== undefined;
}

/** The block's lines, markers included, without the indentation of its BEGIN line. */
export function deliveryLogBlock(cfg: string): string[] {
  const text = parseConfigText(cfg);
  const block = findBlock(text);
  if (!block) throw new Error('the config has no delivery log block');
  const indent = indentOf(block.begin.text);
  return text.lines
    .slice(block.begin.index, block.end.index + 1)
    .map((line) => (line.text.startsWith(indent) ? line.text.slice(indent.length) : line.text.trimStart()));
}

/** The last `bind` line (or client block end) of the section holding the routes block, where a missing block goes. */
function insertionPoint(text: ConfigText): ConfigLine | undefined {
  const routes = text.lines.find((line) => isMarkerLine(line, ROUTES_BEGIN));
  if (!routes) return undefined;
  const section = text.sections[text.sectionOf[routes.index] ?? -1];
  if (!section || (section.keyword !== 'frontend' && section.keyword !== 'listen')) return undefined;
  // After the client block when there is one: the delivery log records the client it works out.
  return text.lines
    .slice(section.header + 1, section.end)
    .findLast(
      (line) =>
        (!line.disabled && line.words[0] === 'bind') ||
        (line.words.length === 0 && line.text.trim() === CLIENT_END_MARKER),
    );
}

/** `cfg` with its delivery log block as in `bundledCfg` (see the module comment); unchanged when it already is. */
export function upgradeDeliveryLog(cfg: string, bundledCfg: string): string {
  const wanted = deliveryLogBlock(bundledCfg);
  const text = parseConfigText(cfg);
  const block = findBlock(text);
  if (block) return replaceMarkedBlock(cfg, text, block, wanted);
  const bind = insertionPoint(text);
  // A bind ending the file without a line ending has nothing to insert after; HAProxy would refuse it anyway.
  if (!bind || bind.eol === '') return cfg;
  const indent = indentOf(bind.text);
  return applyEdits(
    text,
    new LineEdits().insertBefore(
      bind.index + 1,
      wanted.map((line) => indent + line),
      bind.eol,
    ),
  );
}
