/**
 * The "client" block of haproxy.cfg: the lines between "# BEGIN trigger-gateway client" and
 * "# END trigger-gateway client" in the webhook frontend, written by `install`. They decide who sent a
 * request (txn.client: the connection's source, or the last X-Forwarded-For entry when the connection
 * comes from a trusted proxy, so a forged header from anyone else is ignored), and they hold the
 * gateway-wide defaults of the routes' limits as a comment line that `route add` reads. The block sits
 * before the delivery log block, whose "client" field is txn.client.
 *
 * A config without the block (a hand-made gateway) keeps working: route backends set txn.client from
 * the source themselves, and their defaults are the built-in ones.
 */
import { applyEdits, type ConfigText, indentOf, LineEdits, parseConfigText } from './config-text.ts';
import { DELIVERY_LOG_BEGIN } from './delivery-log-block.ts';
import { findMarkedBlock, isMarkerLine, replaceMarkedBlock } from './marked-block.ts';
import { ROUTES_BEGIN } from './names.ts';
import {
  BUILT_IN_DEFAULTS,
  parseCidrList,
  parseDefaultsLine,
  renderDefaultsLine,
  type RouteLimitValues,
} from './route-limits.ts';

export const CLIENT_BEGIN = '# BEGIN trigger-gateway client';
export const CLIENT_END = '# END trigger-gateway client';
const TRUSTED_ACL = 'trusted_proxy';
const CIDRS_PER_LINE = 40;

/** What the block says: the proxies whose X-Forwarded-For is believed, and the routes' default limits. */
export interface GatewayProtection {
  trustedProxies: string[];
  defaults: RouteLimitValues;
}

const findBlock = (text: ConfigText) => findMarkedBlock(text, CLIENT_BEGIN, CLIENT_END);

/** The block's settings; undefined when the config has no (well-formed) block. */
export function readProtection(text: ConfigText): GatewayProtection | undefined {
  const block = findBlock(text);
  if (!block) return undefined;
  const lines = text.lines.slice(block.begin.index + 1, block.end.index);
  let defaults: RouteLimitValues | undefined;
  const trustedProxies: string[] = [];
  for (const line of lines) {
    if (line.words.length === 0) defaults ??= parseDefaultsLine(line.text);
    const [keyword, name, fetch, ...cidrs] = line.words;
    if (keyword === 'acl' && name === TRUSTED_ACL && fetch === 'src') {
      const parsed = parseCidrList(cidrs.join(','));
      if (parsed) trustedProxies.push(...parsed);
    }
  }
  return { trustedProxies, defaults: defaults ?? { ...BUILT_IN_DEFAULTS } };
}

/** The defaults routes in this config follow: the block's, else the built-in ones. */
export function routeDefaultsOf(text: ConfigText): RouteLimitValues {
  return readProtection(text)?.defaults ?? { ...BUILT_IN_DEFAULTS };
}

/** The block's lines, markers included, unindented. */
export function renderClientBlock(protection: GatewayProtection): string[] {
  const { trustedProxies } = protection;
  const lines = [
    CLIENT_BEGIN,
    '# Who sent the request, in txn.client: the connection source, or the last X-Forwarded-For entry when the',
    "# connection comes from a trusted proxy (install --trusted-proxies); anyone else's X-Forwarded-For is ignored.",
    '# Route allow-lists, per-source rate limits and the delivery log\'s "client" use it. install rewrites this',
    '# block; the defaults below apply to every route that does not set its own (install --max-body, …).',
    renderDefaultsLine(protection.defaults),
  ];
  if (trustedProxies.length === 0) lines.push('# trusted proxies: none');
  for (let at = 0; at < trustedProxies.length; at += CIDRS_PER_LINE) {
    lines.push(`acl ${TRUSTED_ACL} src ${trustedProxies.slice(at, at + CIDRS_PER_LINE).join(' ')}`);
  }
  lines.push('http-request set-var(txn.client) src');
  if (trustedProxies.length > 0) {
    lines.push(`http-request set-var(txn.client) req.hdr_ip(x-forwarded-for,-1) if ${TRUSTED_ACL}`);
  }
  lines.push(CLIENT_END);
  return lines;
}

/** Where a missing block goes: before the delivery log block, else after the last bind of the routes' frontend. */
function insertionPoint(text: ConfigText): { index: number; indent: string; eol: string } | undefined {
  const deliveryLog = text.lines.find((line) => isMarkerLine(line, DELIVERY_LOG_BEGIN));
  if (deliveryLog)
    return { index: deliveryLog.index, indent: indentOf(deliveryLog.text), eol: deliveryLog.eol };
  const routes = text.lines.find((line) => isMarkerLine(line, ROUTES_BEGIN));
  if (!routes) return undefined;
  const section = text.sections[text.sectionOf[routes.index] ?? -1];
  if (!section || (section.keyword !== 'frontend' && section.keyword !== 'listen')) return undefined;
  const bind = text.lines
    .slice(section.header + 1, section.end)
    .findLast((line) => !line.disabled && line.words[0] === 'bind');
  if (!bind || bind.eol === '') return undefined;
  return { index: bind.index + 1, indent: indentOf(bind.text), eol: bind.eol };
}

/**
 * `cfg` with its client block saying `protection`: rewritten in place, or added where the bundled
 * config has it; a config with neither the block nor a place for it (a hand-made one) is returned as is.
 */
export function writeClientBlock(cfg: string, protection: GatewayProtection): string {
  const text = parseConfigText(cfg);
  const wanted = renderClientBlock(protection);
  const block = findBlock(text);
  if (block) return replaceMarkedBlock(cfg, text, block, wanted);
  const at = insertionPoint(text);
  if (!at) return cfg;
  return applyEdits(
    text,
    new LineEdits().insertBefore(
      at.index,
      wanted.map((line) => at.indent + line),
      at.eol,
    ),
  );
}
