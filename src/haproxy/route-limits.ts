/**
 * A route's protection: body size, request rate, source allow-list and concurrency. What users type is
 * checked here before it can reach the config (nothing typed can carry a quote, "#", ";" or a newline),
 * rendered into the route's own backend section, and read back from it, so the config stays the only
 * record of what HAProxy enforces.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { InvalidRouteError } from './errors.ts';

export type RatePeriod = 's' | 'm';

export interface RateLimit {
  requests: number;
  per: RatePeriod;
  /** Counted per client address instead of for the whole route. */
  perSource: boolean;
}

/** The limits a route enforces; null is "no limit" (any source, for allowFrom). */
export interface RouteLimitValues {
  /** Largest request body in bytes. */
  maxBody: number | null;
  rateLimit: RateLimit | null;
  /** CIDRs a client address must be in. */
  allowFrom: string[] | null;
  /** Requests in flight to the listener at once; the rest queue, then get 503. */
  maxConcurrent: number | null;
}

export type LimitName = keyof RouteLimitValues;
export const LIMIT_NAMES: readonly LimitName[] = ['maxBody', 'rateLimit', 'allowFrom', 'maxConcurrent'];

/** A route's own values; a limit left out follows the gateway default. */
export type RouteLimitSettings = Partial<RouteLimitValues>;

/** What a new gateway gives routes that set nothing: GitHub's own payload cap, and nothing else. */
export const BUILT_IN_DEFAULTS: Readonly<RouteLimitValues> = Object.freeze({
  maxBody: 25 * 1024 * 1024,
  rateLimit: null,
  allowFrom: null,
  maxConcurrent: null,
});

/** The flag each limit is set with, on `route add` and `install` alike. */
export const LIMIT_FLAGS: Record<LimitName, string> = {
  maxBody: '--max-body',
  rateLimit: '--rate-limit',
  allowFrom: '--allow-from',
  maxConcurrent: '--max-concurrent',
};

export const MAX_BODY_LIMIT = 1024 * 1024 * 1024;
export const MAX_RATE = 1_000_000;
export const MAX_CONCURRENT = 10_000;
/** How long a request may wait for a free slot under --max-concurrent before its 503. */
export const QUEUE_TIMEOUT = '5s';
/**
 * A body without Content-Length (chunked) can only be measured inside HAProxy's request buffer
 * (tune.bufsize, 16 KiB by default). Such bodies are accepted up to this size, with headers up to
 * CHUNKED_HEADERS_MAX, which leaves room in the buffer to see one byte past the limit; larger ones get 413.
 */
export const CHUNKED_BODY_MAX = 8 * 1024;
export const CHUNKED_HEADERS_MAX = 4 * 1024;

const UNITS: Record<string, number> = { B: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3 };

const SIZE_HINT =
  'a size is a whole number with B, KiB, MiB or GiB (1 byte to 1GiB), e.g. 25MiB or 512KiB, or none';
const RATE_HINT = `a rate is requests per second or per minute, from 1 to ${MAX_RATE}, e.g. 100/s or 600/m, or none`;
const CIDR_HINT =
  'an allow-list is comma-separated IPv4 or IPv6 addresses or CIDRs, e.g. 192.30.252.0/22,2606:50c0::/32, or any';
const CONCURRENT_HINT = `max-concurrent is a whole number from 1 to ${MAX_CONCURRENT}, e.g. 10, or none`;

function invalid(flag: string, value: string, hint: string): InvalidRouteError {
  return new InvalidRouteError(`${flag}: invalid value ${JSON.stringify(value)}`, hint);
}

/** '25MiB' → 26214400; 'none' → null. */
export function parseSize(text: string, flag = LIMIT_FLAGS.maxBody): number | null {
  if (text === 'none') return null;
  const match = /^([0-9]{1,10})(B|KiB|MiB|GiB)?$/.exec(text);
  const bytes = match ? Number(match[1]) * (UNITS[match[2] ?? 'B'] ?? 1) : NaN;
  if (!Number.isSafeInteger(bytes) || bytes < 1 || bytes > MAX_BODY_LIMIT)
    throw invalid(flag, text, SIZE_HINT);
  return bytes;
}

/** 26214400 → '25MiB'; sizes that are no whole unit stay in bytes. */
export function formatSize(bytes: number): string {
  for (const unit of ['GiB', 'MiB', 'KiB'] as const) {
    const size = UNITS[unit] ?? 1;
    if (bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return `${bytes}B`;
}

/** '100/s' → { requests: 100, per: 's' }; 'none' → null. */
export function parseRate(text: string, perSource: boolean, flag = LIMIT_FLAGS.rateLimit): RateLimit | null {
  if (text === 'none') return null;
  const match = /^([0-9]{1,7})\/(s|m)$/.exec(text);
  const requests = Number(match?.[1]);
  if (!match || requests < 1 || requests > MAX_RATE) throw invalid(flag, text, RATE_HINT);
  return { requests, per: match[2] as RatePeriod, perSource };
}

export function formatRate(rate: RateLimit): string {
  return `${rate.requests}/${rate.per}${rate.perSource ? ' per source' : ''}`;
}

/** Throws unless `text` is an IPv4 or IPv6 address, optionally with a prefix length that fits it. */
function validateCidr(text: string, flag: string): void {
  const slash = text.indexOf('/');
  const address = slash < 0 ? text : text.slice(0, slash);
  const prefix = slash < 0 ? undefined : text.slice(slash + 1);
  const v4 = /^[0-9.]+$/.test(address) && isIPv4(address);
  const v6 = /^[0-9A-Fa-f:.]+$/.test(address) && isIPv6(address);
  const bits = v4 ? 32 : 128;
  const prefixOk = prefix === undefined || (/^(0|[1-9][0-9]{0,2})$/.test(prefix) && Number(prefix) <= bits);
  if (!(v4 || v6) || !prefixOk) {
    throw new InvalidRouteError(`${flag}: invalid address or CIDR ${JSON.stringify(text)}`, CIDR_HINT);
  }
}

/** '10.0.0.0/8,192.168.0.0/16' → the CIDRs; 'any' → null. Blanks around commas are allowed. */
export function parseCidrList(text: string, flag = LIMIT_FLAGS.allowFrom): string[] | null {
  if (text === 'any') return null;
  const cidrs = text.split(',').map((part) => part.replace(/^ +| +$/g, ''));
  if (cidrs.length === 0 || cidrs.some((cidr) => cidr === '')) throw invalid(flag, text, CIDR_HINT);
  for (const cidr of cidrs) validateCidr(cidr, flag);
  return [...new Set(cidrs)];
}

/** `--trusted-proxies`: CIDRs, or none (X-Forwarded-For is then never believed). */
export function parseTrustedProxies(text: string): string[] {
  const flag = '--trusted-proxies';
  if (text === 'none') return [];
  if (text === 'any') {
    throw new InvalidRouteError(
      `${flag}: "any" would let every client forge its address`,
      "name the proxies in front of the gateway, e.g. your Ingress controller pods' range 10.244.0.0/16, or none",
    );
  }
  return parseCidrList(text, flag) ?? [];
}

/**
 * A file of CIDRs, one or more a line, separated by commas or blanks; "#" starts a comment (the form
 * GitHub's published hook ranges take once extracted, e.g. `curl -s https://api.github.com/meta | jq -r '.hooks[]'`).
 */
export function parseCidrFile(content: string, file: string, flag = '--allow-from-file'): string[] {
  const cidrs = content
    .split('\n')
    .map((line) => line.replace(/#.*$/, ''))
    .flatMap((line) => line.split(/[\s,]+/))
    .filter((word) => word !== '');
  if (cidrs.length === 0) {
    throw new InvalidRouteError(`${flag}: ${file} holds no address or CIDR`, CIDR_HINT);
  }
  for (const cidr of cidrs) validateCidr(cidr, `${flag} ${file}`);
  return [...new Set(cidrs)];
}

/** '10' → 10; 'none' → null. */
export function parseConcurrency(text: string, flag = LIMIT_FLAGS.maxConcurrent): number | null {
  if (text === 'none') return null;
  const value = Number(text);
  if (!/^[1-9][0-9]{0,4}$/.test(text) || value > MAX_CONCURRENT) throw invalid(flag, text, CONCURRENT_HINT);
  return value;
}

/** Throws InvalidRouteError unless every value set could have come from the parsers above. */
export function validateLimits(limits: RouteLimitSettings): void {
  const { maxBody, rateLimit, allowFrom, maxConcurrent } = limits;
  if (maxBody != null) parseSize(String(maxBody));
  if (rateLimit != null) parseRate(`${rateLimit.requests}/${rateLimit.per}`, rateLimit.perSource);
  if (allowFrom != null) {
    if (allowFrom.length === 0) throw invalid(LIMIT_FLAGS.allowFrom, '', CIDR_HINT);
    for (const cidr of allowFrom) validateCidr(cidr, LIMIT_FLAGS.allowFrom);
  }
  if (maxConcurrent != null) parseConcurrency(String(maxConcurrent));
}

/** The values a route enforces: its own, else the gateway's defaults. */
export function effectiveLimits(own: RouteLimitSettings, defaults: RouteLimitValues): RouteLimitValues {
  return {
    maxBody: own.maxBody === undefined ? defaults.maxBody : own.maxBody,
    rateLimit: own.rateLimit === undefined ? defaults.rateLimit : own.rateLimit,
    allowFrom: own.allowFrom === undefined ? defaults.allowFrom : own.allowFrom,
    maxConcurrent: own.maxConcurrent === undefined ? defaults.maxConcurrent : own.maxConcurrent,
  };
}

export function sameLimitValue(name: LimitName, a: RouteLimitValues, b: RouteLimitValues): boolean {
  return JSON.stringify(a[name]) === JSON.stringify(b[name]);
}

/** One limit as users type it: '25MiB', '100/s per source', '10.0.0.0/8,192.168.0.0/16', '10'; 'none'/'any'. */
export function formatLimit(name: LimitName, values: RouteLimitValues): string {
  switch (name) {
    case 'maxBody':
      return values.maxBody === null ? 'none' : formatSize(values.maxBody);
    case 'rateLimit':
      return values.rateLimit === null ? 'none' : formatRate(values.rateLimit);
    case 'allowFrom':
      return values.allowFrom === null ? 'any' : values.allowFrom.join(',');
    case 'maxConcurrent':
      return values.maxConcurrent === null ? 'none' : String(values.maxConcurrent);
  }
}

const KEBAB: Record<LimitName, string> = {
  maxBody: 'max-body',
  rateLimit: 'rate-limit',
  allowFrom: 'allow-from',
  maxConcurrent: 'max-concurrent',
};

/** The defaults line of the client block: `# route defaults: max-body 25MiB, rate-limit none, …`. */
export const DEFAULTS_PREFIX = '# route defaults:';

export function renderDefaultsLine(defaults: RouteLimitValues): string {
  return `${DEFAULTS_PREFIX} ${LIMIT_NAMES.map((name) => `${KEBAB[name]} ${formatLimit(name, defaults).replace(' per source', '-per-source')}`).join(', ')}`;
}

/** Reads a defaults line back; undefined when it is not one renderDefaultsLine could have written. */
export function parseDefaultsLine(text: string): RouteLimitValues | undefined {
  const body = text.trim();
  if (!body.startsWith(DEFAULTS_PREFIX)) return undefined;
  const values: RouteLimitValues = { ...BUILT_IN_DEFAULTS };
  try {
    for (const item of body.slice(DEFAULTS_PREFIX.length).split(',')) {
      const [key = '', value = ''] = item.trim().split(' ');
      if (key === 'max-body') values.maxBody = parseSize(value);
      else if (key === 'rate-limit') {
        const perSource = value.endsWith('-per-source');
        values.rateLimit = parseRate(value.replace(/-per-source$/, ''), perSource);
      } else if (key === 'allow-from') values.allowFrom = parseCidrList(value);
      else if (key === 'max-concurrent') values.maxConcurrent = parseConcurrency(value);
      else return undefined;
    }
  } catch {
    return undefined;
  }
  return values;
}

/** The comment inside a route backend naming the limits that follow the gateway defaults. */
const FOLLOWS_PREFIX = '# limits following the gateway defaults:';

export function kebabName(name: LimitName): string {
  return KEBAB[name];
}

const ERROR_BODY = (error: string) => `'{"error":"${error}","gateway":"trigger-gateway"}'`;
const JSON_RETURN = 'http-request return status';
const CHUNKED = '{ req.hdr(transfer-encoding) -m found }';
const ALLOW_ACL = 'allowed_source';
/** Allow-list addresses per acl line: HAProxy reads at most 64 words a line; acl lines with one name OR together. */
const CIDRS_PER_LINE = 40;

/**
 * The backend lines that enforce `limits`, before the server line, and the server line's options
 * (` maxconn N`). `follows` names the limits that come from the gateway defaults. Order matters:
 * sources outside the allow-list are refused first, then oversized bodies, then the rate is counted,
 * so refused requests never use up a route's rate.
 */
export function renderLimitLines(
  limits: RouteLimitValues,
  follows: readonly LimitName[],
): { lines: string[]; serverOptions: string } {
  const lines: string[] = [];
  // Always written, "none" included: a backend of ours without it predates limits and follows every default.
  lines.push(`${FOLLOWS_PREFIX} ${follows.length > 0 ? follows.map(kebabName).join(', ') : 'none'}`);
  const { maxBody, rateLimit, allowFrom, maxConcurrent } = limits;
  if (allowFrom !== null || rateLimit?.perSource) {
    // The client block in the frontend sets it; a hand-made frontend without that block gets the source.
    lines.push('http-request set-var(txn.client) src unless { var(txn.client) -m found }');
  }
  if (allowFrom !== null) {
    for (let at = 0; at < allowFrom.length; at += CIDRS_PER_LINE) {
      lines.push(
        `acl ${ALLOW_ACL} var(txn.client) -m ip ${allowFrom.slice(at, at + CIDRS_PER_LINE).join(' ')}`,
      );
    }
    lines.push(
      `${JSON_RETURN} 403 content-type application/json string ${ERROR_BODY('the client address is not in the allow-list of this route')} unless ${ALLOW_ACL}`,
    );
  }
  if (maxBody !== null) {
    const size = formatSize(maxBody);
    const chunked = Math.min(maxBody, CHUNKED_BODY_MAX);
    const tooLarge = `the request body is larger than ${size}, the max-body of this route`;
    lines.push(
      `${JSON_RETURN} 413 content-type application/json string ${ERROR_BODY(tooLarge)} if { req.hdr_val(content-length) gt ${maxBody} }`,
      `http-request wait-for-body time 10s at-least ${chunked + 1} if ${CHUNKED}`,
      `${JSON_RETURN} 413 content-type application/json string ${ERROR_BODY(chunked === maxBody ? tooLarge : `a body without Content-Length is accepted up to ${formatSize(chunked)} (max-body ${size}); send a Content-Length`)} if ${CHUNKED} { req.body_len gt ${chunked} } || ${CHUNKED} { req.hdrs,length gt ${CHUNKED_HEADERS_MAX} }`,
    );
  }
  if (rateLimit !== null) {
    const period = rateLimit.per === 's' ? '1s' : '1m';
    const expire = rateLimit.per === 's' ? '10s' : '2m';
    const key = rateLimit.perSource ? 'var(txn.client)' : 'int(0)';
    const table = rateLimit.perSource ? 'type ipv6 size 100k' : 'type integer size 1';
    // Only requests let through are counted (gpc0), so a flood does not lock the route's own clients out.
    lines.push(
      `stick-table ${table} expire ${expire} store gpc0_rate(${period})`,
      `http-request track-sc0 ${key}`,
      `${JSON_RETURN} 429 content-type application/json hdr Retry-After ${rateLimit.per === 's' ? 1 : 60} string ${ERROR_BODY(`over the rate limit of this route, ${formatRate(rateLimit)} per gateway pod`)} if { sc_gpc0_rate(0) ge ${rateLimit.requests} }`,
      'http-request sc-inc-gpc0(0)',
    );
  }
  if (maxConcurrent !== null) {
    lines.push(
      `timeout queue ${QUEUE_TIMEOUT}`,
      `http-error status 503 content-type application/json string ${ERROR_BODY(`the listener is unavailable, or busy with max-concurrent ${maxConcurrent} requests for longer than ${QUEUE_TIMEOUT}`)}`,
    );
  }
  return { lines, serverOptions: maxConcurrent === null ? '' : ` maxconn ${maxConcurrent}` };
}

/** One line of a backend: its text (for comments) and its words. */
export interface BackendLine {
  text: string;
  words: readonly string[];
}

/** Where a word list ends with `if { <fetch> <operator> N }`: N, else undefined. */
function comparedValue(words: readonly string[], fetch: string, operator = 'gt'): number | undefined {
  const at = words.length - 5;
  if (at < 0 || words[at] !== '{' || words[at + 1] !== fetch || words[at + 2] !== operator) return undefined;
  if (words[at + 4] !== '}' || words[at - 1] !== 'if') return undefined;
  const value = Number(words[at + 3]);
  return Number.isSafeInteger(value) ? value : undefined;
}

/**
 * The limits a backend's lines enforce, in the forms renderLimitLines writes (anything else, as in
 * hand-written backends, is not a limit of ours), and which of them follow the gateway defaults.
 */
export function readLimitLines(lines: readonly BackendLine[]): {
  limits: RouteLimitValues;
  follows: LimitName[];
  /** Whether the backend says which limits follow the defaults (every backend the tool writes now does). */
  marked: boolean;
} {
  const limits: RouteLimitValues = { maxBody: null, rateLimit: null, allowFrom: null, maxConcurrent: null };
  let follows: LimitName[] = [];
  let marked = false;
  let period: RatePeriod | undefined;
  let perSource = false;
  const allowed: string[] = [];
  let refusesOthers = false;
  for (const { text, words } of lines) {
    const comment = text.trim();
    if (words.length === 0 && comment.startsWith(FOLLOWS_PREFIX)) {
      const names = comment
        .slice(FOLLOWS_PREFIX.length)
        .split(',')
        .map((name) => name.trim());
      follows = LIMIT_NAMES.filter((name) => names.includes(KEBAB[name]));
      marked = true;
      continue;
    }
    const [keyword, second] = words;
    if (keyword === 'acl' && second === ALLOW_ACL && words[2] === 'var(txn.client)' && words[3] === '-m') {
      allowed.push(...words.slice(5));
    } else if (keyword === 'http-request' && second === 'return') {
      const status = words[3];
      if (status === '403' && words.at(-2) === 'unless' && words.at(-1) === ALLOW_ACL) refusesOthers = true;
      const body = status === '413' ? comparedValue(words, 'req.hdr_val(content-length)') : undefined;
      if (body !== undefined) limits.maxBody = body;
      const rate = status === '429' ? comparedValue(words, 'sc_gpc0_rate(0)', 'ge') : undefined;
      if (rate !== undefined && period) limits.rateLimit = { requests: rate, per: period, perSource };
    } else if (keyword === 'stick-table') {
      const store = words.indexOf('store');
      const counter = /^gpc0_rate\((1s|1m)\)$/.exec(words[store + 1] ?? '');
      period = counter ? (counter[1] === '1s' ? 's' : 'm') : undefined;
      perSource = words[2] === 'ipv6';
    } else if (keyword === 'server') {
      const maxconn = words.indexOf('maxconn');
      const value = maxconn > 0 ? Number(words[maxconn + 1]) : NaN;
      if (Number.isSafeInteger(value) && value > 0) limits.maxConcurrent = value;
    }
  }
  if (refusesOthers && allowed.length > 0) limits.allowFrom = allowed;
  return { limits, follows, marked };
}
