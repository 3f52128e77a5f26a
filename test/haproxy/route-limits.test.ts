/**
 * Route limits in the pure core: every flag's good and bad values, what a route's backend holds for its
 * limits and what route list reads back from it, and how gateway defaults reach the routes that follow them.
 */
import { describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/errors.ts';
import {
  addRoute,
  BUILT_IN_DEFAULTS,
  InvalidRouteError,
  listRoutes,
  parseCidrFile,
  parseCidrList,
  parseConcurrency,
  parseRate,
  parseSize,
  parseTrustedProxies,
  readGatewayProtection,
  RouteExistsError,
  type RouteLimitSettings,
  type RouteSpec,
  writeGatewayProtection,
} from '../../src/haproxy/routes.ts';
import { bundledGatewayConfig, checkConfig, findHaproxy, haproxyFixture } from '../support/haproxy.ts';

/** The error a parser throws for `value`: exit 2, the flag named, a hint with an example. */
function refusal(parse: () => unknown): InvalidRouteError {
  try {
    parse();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidRouteError);
    return error as InvalidRouteError;
  }
  throw new Error('the value was accepted');
}

describe('--max-body', () => {
  it.each([
    ['1', 1],
    ['1024B', 1024],
    ['1KiB', 1024],
    ['25MiB', 25 * 1024 * 1024],
    ['1GiB', 1024 ** 3],
    ['none', null],
  ])('accepts %j', (text, bytes) => {
    expect(parseSize(text)).toBe(bytes);
  });

  it.each([
    '-5',
    '0',
    '1XB',
    '1kib',
    '1.5MiB',
    '2GiB',
    '99999999999',
    '',
    ' 1KiB',
    '1KiB;',
    '1KiB\n',
    '1\nKiB',
    'none;',
  ])('refuses %j: exit 2, naming the flag and a good value', (text) => {
    const error = refusal(() => parseSize(text));
    expect(error.exitCode).toBe(ExitCode.usage);
    expect(error.message).toBe(`--max-body: invalid value ${JSON.stringify(text)}`);
    expect(error.hint).toMatch(/e\.g\. 25MiB/);
  });
});

describe('--rate-limit', () => {
  it.each([
    ['1/s', { requests: 1, per: 's', perSource: false }],
    ['100/s', { requests: 100, per: 's', perSource: false }],
    ['600/m', { requests: 600, per: 'm', perSource: false }],
    ['1000000/m', { requests: 1_000_000, per: 'm', perSource: false }],
    ['none', null],
  ])('accepts %j', (text, rate) => {
    expect(parseRate(text, false)).toEqual(rate);
  });

  it('keeps --rate-limit-per-source', () => {
    expect(parseRate('5/s', true)).toEqual({ requests: 5, per: 's', perSource: true });
  });

  it.each(['abc', '0/s', '-1/s', '10', '10/h', '10/S', '1000001/s', '10/s;', '10/s\n', '10 /s', '1e3/s'])(
    'refuses %j',
    (text) => {
      const error = refusal(() => parseRate(text, false));
      expect(error.exitCode).toBe(ExitCode.usage);
      expect(error.message).toBe(`--rate-limit: invalid value ${JSON.stringify(text)}`);
      expect(error.hint).toMatch(/e\.g\. 100\/s/);
    },
  );
});

describe('--allow-from', () => {
  it.each([
    ['10.0.0.0/8', ['10.0.0.0/8']],
    ['192.30.252.0/22,185.199.108.0/22', ['192.30.252.0/22', '185.199.108.0/22']],
    ['192.30.252.0/22, 10.1.2.3', ['192.30.252.0/22', '10.1.2.3']],
    ['0.0.0.0/0', ['0.0.0.0/0']],
    ['2606:50c0::/32,::1', ['2606:50c0::/32', '::1']],
    ['10.0.0.0/8,10.0.0.0/8', ['10.0.0.0/8']],
    ['any', null],
  ])('accepts %j', (text, cidrs) => {
    expect(parseCidrList(text)).toEqual(cidrs);
  });

  it.each([
    '999.1.1.1/8',
    '10.0.0.0/33',
    '10.0.0.0/-1',
    '10.0.0.0/08',
    '10.0.0/8',
    '2001:db8::/129',
    'example.com',
    '',
    '10.0.0.0/8,',
    '10.0.0.0/8;',
    '10.0.0.0/8\n',
    '10.0.0.0/8\nacl x always_true',
    "10.0.0.0/8'",
    '10.0.0.0/8 #',
  ])('refuses %j', (text) => {
    const error = refusal(() => parseCidrList(text));
    expect(error.exitCode).toBe(ExitCode.usage);
    expect(error.message).toMatch(/^--allow-from: invalid/);
    expect(error.hint).toMatch(/e\.g\. 192\.30\.252\.0\/22/);
  });

  it('reads a file of CIDRs: lines, blanks or commas between them, # comments', () => {
    const file =
      '# GitHub hook ranges\n192.30.252.0/22\n185.199.108.0/22 140.82.112.0/20\n143.55.64.0/20,2a0a:a440::/29\n\n';
    expect(parseCidrFile(file, 'hooks.txt')).toEqual([
      '192.30.252.0/22',
      '185.199.108.0/22',
      '140.82.112.0/20',
      '143.55.64.0/20',
      '2a0a:a440::/29',
    ]);
  });

  it('refuses a file with a bad entry, naming the file, and an empty one', () => {
    expect(refusal(() => parseCidrFile('10.0.0.0/8\n10.0.0.0/33\n', 'hooks.txt')).message).toBe(
      '--allow-from-file hooks.txt: invalid address or CIDR "10.0.0.0/33"',
    );
    expect(refusal(() => parseCidrFile('# nothing\n', 'hooks.txt')).message).toBe(
      '--allow-from-file: hooks.txt holds no address or CIDR',
    );
  });
});

describe('--max-concurrent and --trusted-proxies', () => {
  it.each([
    ['1', 1],
    ['10000', 10_000],
    ['none', null],
  ])('--max-concurrent accepts %j', (text, value) => {
    expect(parseConcurrency(text)).toBe(value);
  });

  it.each(['0', '-1', '10001', '1.5', '010', 'abc', '5;', '5\n', ''])(
    '--max-concurrent refuses %j',
    (text) => {
      const error = refusal(() => parseConcurrency(text));
      expect(error.message).toBe(`--max-concurrent: invalid value ${JSON.stringify(text)}`);
      expect(error.hint).toMatch(/e\.g\. 10/);
    },
  );

  it('--trusted-proxies takes CIDRs or none, never any', () => {
    expect(parseTrustedProxies('10.244.0.0/16,fd00::/8')).toEqual(['10.244.0.0/16', 'fd00::/8']);
    expect(parseTrustedProxies('none')).toEqual([]);
    expect(refusal(() => parseTrustedProxies('any')).message).toMatch(/would let every client forge/);
    expect(refusal(() => parseTrustedProxies('10.244.0.0/16;')).message).toMatch(
      /^--trusted-proxies: invalid/,
    );
  });
});

const base = bundledGatewayConfig(false);
const github = (limits?: RouteLimitSettings): RouteSpec => ({
  match: { type: 'path', path: '/github' },
  service: { name: 'el-github', namespace: 'ci', port: 8080 },
  ...(limits ? { limits } : {}),
});
const routeOf = (cfg: string, path = '/github') =>
  listRoutes(cfg).find((route) => route.match.type === 'path' && route.match.path === path);

describe('limits in a route backend', () => {
  const all: RouteLimitSettings = {
    maxBody: 1024,
    rateLimit: { requests: 10, per: 's', perSource: true },
    allowFrom: ['192.30.252.0/22', '2606:50c0::/32'],
    maxConcurrent: 5,
  };

  it('writes every limit into the route backend and nowhere else, and route list reads them back', () => {
    const cfg = addRoute(base, github(all), { overwrite: false }).cfg;
    const backend = cfg.slice(
      cfg.indexOf('backend route:github'),
      cfg.indexOf('# END trigger-gateway backends'),
    );
    expect(cfg.replace(backend, '')).not.toMatch(/allowed_source|sc_gpc0_rate|maxconn \d|status 413/);
    expect(backend).toContain('acl allowed_source var(txn.client) -m ip 192.30.252.0/22 2606:50c0::/32\n');
    expect(backend).toContain('stick-table type ipv6 size 100k expire 10s store gpc0_rate(1s)\n');
    expect(backend).toContain('hdr Retry-After 1 ');
    expect(backend).toContain('timeout queue 5s\n');
    expect(backend).toMatch(/server listener \S+ .* maxconn 5\n/);
    expect(routeOf(cfg)).toMatchObject({ limits: all, limitDefaults: [] });
  });

  it('a route that sets nothing follows the defaults: max-body 25MiB and no other limit', () => {
    const cfg = addRoute(base, github(), { overwrite: false }).cfg;
    expect(routeOf(cfg)).toMatchObject({
      limits: BUILT_IN_DEFAULTS,
      limitDefaults: ['maxBody', 'rateLimit', 'allowFrom', 'maxConcurrent'],
    });
  });

  it('none turns a default off for one route', () => {
    const cfg = addRoute(base, github({ maxBody: null }), { overwrite: false }).cfg;
    expect(routeOf(cfg)).toMatchObject({
      limits: { ...BUILT_IN_DEFAULTS, maxBody: null },
      limitDefaults: ['rateLimit', 'allowFrom', 'maxConcurrent'],
    });
    expect(cfg).not.toContain('req.hdr_val(content-length)');
  });

  it('new limits on an existing route need --overwrite; the same ones are unchanged', () => {
    const cfg = addRoute(base, github(all), { overwrite: false }).cfg;
    expect(addRoute(cfg, github(all), { overwrite: false }).outcome).toBe('unchanged');
    expect(() => addRoute(cfg, github({ ...all, maxConcurrent: 6 }), { overwrite: false })).toThrow(
      RouteExistsError,
    );
    const changed = addRoute(cfg, github({ maxConcurrent: 6 }), { overwrite: true });
    expect(changed.outcome).toBe('replaced');
    // --overwrite describes the whole route: what it does not set follows the defaults again.
    expect(routeOf(changed.cfg)).toMatchObject({ limits: { ...BUILT_IN_DEFAULTS, maxConcurrent: 6 } });
  });

  it('splits a long allow-list over several acl lines (HAProxy reads at most 64 words a line)', () => {
    const cidrs = Array.from({ length: 100 }, (_, n) => `10.${n}.0.0/16`);
    const cfg = addRoute(base, github({ allowFrom: cidrs }), { overwrite: false }).cfg;
    expect(cfg.match(/acl allowed_source /g)).toHaveLength(3);
    expect(routeOf(cfg)?.limits.allowFrom).toEqual(cidrs);
  });

  it('a hand-written route keeps its lines, shows no limits of ours, and is unchanged when added as it is', () => {
    const hand = haproxyFixture('acl-per-route.cfg');
    const route = listRoutes(hand).find((one) => one.origin === 'hand');
    expect(route).toMatchObject({
      limits: { maxBody: null, rateLimit: null, allowFrom: null },
      limitDefaults: [],
    });
    if (!route?.service) throw new Error('the fixture has a hand route to a Service');
    const same = addRoute(hand, { match: route.match, service: route.service }, { overwrite: false });
    expect(same.outcome).toBe('unchanged');
    expect(same.cfg).toBe(hand);
  });

  it.skipIf(!findHaproxy())(
    'haproxy -c accepts every limit, IPv6 and long allow-lists included',
    async () => {
      const cidrs = Array.from({ length: 100 }, (_, n) => `10.${n}.0.0/16`);
      let cfg = addRoute(base, github(all), { overwrite: false }).cfg;
      cfg = addRoute(
        cfg,
        {
          match: { type: 'header', header: 'X-Gitlab-Event' },
          service: { name: 'el-gitlab', namespace: 'ci', port: 8080 },
          limits: {
            rateLimit: { requests: 600, per: 'm', perSource: false },
            allowFrom: cidrs,
            maxBody: 25 * 1024 ** 2,
          },
        },
        { overwrite: false },
      ).cfg;
      cfg = writeGatewayProtection(cfg, {
        trustedProxies: ['10.244.0.0/16', 'fd00::/8'],
        defaults: BUILT_IN_DEFAULTS,
      });
      const result = await checkConfig(findHaproxy() ?? 'haproxy', cfg);
      expect(result.output).not.toMatch(/ALERT|WARNING/);
      expect(result.ok, result.output).toBe(true);
    },
  );
});

describe('gateway defaults (install)', () => {
  const own: RouteLimitSettings = { maxBody: 2048, rateLimit: { requests: 5, per: 's', perSource: false } };

  it('are stored in the client block and read back', () => {
    const defaults = { maxBody: 1024 ** 2, rateLimit: null, allowFrom: ['10.0.0.0/8'], maxConcurrent: 20 };
    const cfg = writeGatewayProtection(base, { trustedProxies: ['10.244.0.0/16'], defaults });
    expect(readGatewayProtection(cfg)).toEqual({ trustedProxies: ['10.244.0.0/16'], defaults });
    expect(cfg).toContain(
      '# route defaults: max-body 1MiB, rate-limit none, allow-from 10.0.0.0/8, max-concurrent 20\n',
    );
  });

  it('a new default reaches the routes that follow it; values routes set themselves stay', () => {
    let cfg = addRoute(base, github(own), { overwrite: false }).cfg;
    cfg = addRoute(
      cfg,
      {
        match: { type: 'path', path: '/gitlab' },
        service: { name: 'el-gitlab', namespace: 'ci', port: 8080 },
      },
      { overwrite: false },
    ).cfg;
    const defaults = {
      maxBody: 4096,
      rateLimit: { requests: 50, per: 'm' as const, perSource: true },
      allowFrom: null,
      maxConcurrent: 3,
    };
    const changed = writeGatewayProtection(cfg, { trustedProxies: [], defaults });
    expect(routeOf(changed)?.limits).toEqual({ ...defaults, ...own });
    expect(routeOf(changed)?.limitDefaults).toEqual(['allowFrom', 'maxConcurrent']);
    expect(routeOf(changed, '/gitlab')).toMatchObject({
      limits: defaults,
      limitDefaults: ['maxBody', 'rateLimit', 'allowFrom', 'maxConcurrent'],
    });
    // Back to the old defaults: the config is what it was, byte for byte.
    expect(writeGatewayProtection(changed, { trustedProxies: [], defaults: BUILT_IN_DEFAULTS })).toBe(cfg);
  });

  it('routes written before limits existed follow every default, and the upgrading install writes them in', () => {
    const none = { maxBody: null, rateLimit: null, allowFrom: null, maxConcurrent: null };
    // What main wrote: no client block, route backends with a server line only.
    const legacy = addRoute(base, github(none), { overwrite: false })
      .cfg.replace(/^ *# limits following the gateway defaults: none\n/m, '')
      .replace(/^ *# BEGIN trigger-gateway client\n[^]*?# END trigger-gateway client\n/m, '');
    expect(legacy).not.toContain('trigger-gateway client');
    expect(routeOf(legacy)).toMatchObject({
      limits: none,
      limitDefaults: ['maxBody', 'rateLimit', 'allowFrom', 'maxConcurrent'],
    });
    // Adding it again as it is changes nothing, as before.
    expect(addRoute(legacy, github(), { overwrite: false }).outcome).toBe('unchanged');
    const upgraded = writeGatewayProtection(legacy, { trustedProxies: [], defaults: BUILT_IN_DEFAULTS });
    expect(routeOf(upgraded)).toMatchObject({ limits: BUILT_IN_DEFAULTS });
    expect(upgraded).toContain('# BEGIN trigger-gateway client\n');
  });

  it('a hand-made config without the client block is left as it is', () => {
    const hand = haproxyFixture('original-acl.cfg');
    expect(
      writeGatewayProtection(hand, { trustedProxies: ['10.0.0.0/8'], defaults: BUILT_IN_DEFAULTS }),
    ).toBe(hand);
  });
});
