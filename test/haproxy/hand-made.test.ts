/**
 * Hand-made gateway configs without the tool's marked blocks, as users wrote them before the tool
 * existed: accepted, their hand-written routes listed and removed, the first route added brings
 * the blocks (in the webhook frontend, after its hand rules) with nothing else changed, and the last
 * route the tool added takes them away again, byte for byte.
 * (HAProxy's verdict on the results: haproxy-check and haproxy-serve.)
 */
import { describe, expect, it } from 'vitest';
import { CONFIG_PATH } from '../../src/haproxy/gateway-config.ts';
import { ROUTE_MAP_RULE, ROUTES_ADDED_NOTE } from '../../src/haproxy/names.ts';
import {
  addRoute,
  checkGatewayConfig,
  type GatewayRoute,
  InvalidConfigError,
  listRoutes,
  removeRoute,
  type RouteMatch,
  type RouteSpec,
} from '../../src/haproxy/routes.ts';
import {
  bundledGatewayConfig,
  defaultLimitLines,
  haproxyFixture,
  ORIGINAL_FIXTURES,
} from '../support/haproxy.ts';

const path = (p: string): RouteMatch => ({ type: 'path', path: p });
const header = (name: string, value?: string): RouteMatch =>
  value === undefined ? { type: 'header', header: name } : { type: 'header', header: name, value };

function spec(match: RouteMatch, name = 'el-github', extra: Partial<RouteSpec> = {}): RouteSpec {
  return { match, service: { name, namespace: 'ci', port: 8080 }, ...extra };
}

const add = (cfg: string, one: RouteSpec, overwrite = false): string => addRoute(cfg, one, { overwrite }).cfg;

/** The empty routes block and map rule the tool inserts, with `indent`, one string per line. */
const routesBlock = (indent: string, configPath = '/usr/local/etc/haproxy/haproxy.cfg'): string[] =>
  [
    '# BEGIN trigger-gateway routes',
    '# Added by kubectl trigger-gateway, removed with its last route; the rule after END reads this map',
    '.if 0',
    '.endif',
    '# END trigger-gateway routes',
    `use_backend %[path,concat(/),map_beg(${configPath})]`,
  ].map((line) => indent + line);

/** The lines of `text` (split on LF, so a CRLF text keeps its "\r"s). */
const lines = (text: string): string[] => text.split('\n');

/** `text` with `lines` inserted after the line `after` (which must occur once). */
function insertAfter(text: string, after: string, inserted: string[], eol: string): string {
  const at = text.indexOf(`${after}${eol}`);
  expect(text.indexOf(`${after}${eol}`, at + 1), after).toBe(-1);
  const cut = at + after.length + eol.length;
  return `${text.slice(0, cut)}${inserted.map((line) => line + eol).join('')}${text.slice(cut)}`;
}

const summary = (routes: GatewayRoute[]) =>
  routes.map((route) => [route.origin, route.match, route.backend, route.service, route.tls]);

interface Case {
  fixture: 'original-acl.cfg' | 'original-header.cfg';
  /** The hand route: its match, what list says, and its exact lines. */
  hand: {
    match: RouteMatch;
    backend: string;
    service: { name: string; namespace: string; port: number };
    rule: string[];
    backendLines: string[];
  };
  /** The line the routes block goes after. */
  lastRule: string;
  /** The backend of /github → el-github.ci:8080 as written there. */
  github: string[];
}

const CASES: Case[] = [
  {
    fixture: 'original-acl.cfg',
    hand: {
      match: path('/x'),
      backend: 'be_x',
      service: { name: 'x', namespace: 'y', port: 80 },
      rule: ['    acl PATH_x path_beg -i /x', '    use_backend be_x if PATH_x'],
      backendLines: [
        'backend be_x',
        '    mode http',
        '    option redispatch',
        '    option forwardfor',
        '    timeout check 3000ms',
        '    server s1 x.y.svc.cluster.local:80',
      ],
    },
    lastRule: '    use_backend be_x if PATH_x',
    // Its defaults leave the mode at tcp: the tool's backend says http itself.
    github: [
      '# route /github -> Service el-github in namespace ci, port 8080',
      'backend route:github',
      '    mode http',
      ...defaultLimitLines(),
      '    server listener el-github.ci.svc.cluster.local:8080 init-addr last,libc,none',
    ],
  },
  {
    fixture: 'original-header.cfg',
    hand: {
      match: header('X-Github-Event'),
      backend: 'be_el_pac',
      service: { name: 'pac-controller', namespace: 'pipelines', port: 8080 },
      rule: ['    acl PAC hdr(X-Github-Event) -m found', '    use_backend be_el_pac if PAC'],
      backendLines: [
        'backend be_el_pac',
        '    option redispatch',
        '    option forwardfor',
        '    server el-pac pac-controller.pipelines.svc.cluster.local:8080',
      ],
    },
    lastRule: '    use_backend be_el_pac if PAC',
    // Its defaults say mode http, which the tool's backend inherits.
    github: [
      '# route /github -> Service el-github in namespace ci, port 8080',
      'backend route:github',
      ...defaultLimitLines(),
      '    server listener el-github.ci.svc.cluster.local:8080 init-addr last,libc,none',
    ],
  },
];

describe.each(
  CASES.flatMap((one) => [[one.fixture, false, one] as const, [one.fixture, true, one] as const]),
)('%s (CRLF: %s)', (name, crlf, { hand, lastRule, github }) => {
  const eol = crlf ? '\r\n' : '\n';
  const cr = crlf ? '\r' : '';
  const base = haproxyFixture(name, { crlf });
  const join = (text: string[]) => text.map((line) => line + eol).join('');
  const emptyBackends = ['# BEGIN trigger-gateway backends', '# END trigger-gateway backends'];

  it('has no marked blocks, and checkGatewayConfig accepts it', () => {
    expect(base).not.toContain('trigger-gateway routes');
    expect(base).not.toContain('trigger-gateway backends');
    expect(() => checkGatewayConfig(base)).not.toThrow();
  });

  it('lists the hand-written route with its Service', () => {
    expect(summary(listRoutes(base))).toEqual([['hand', hand.match, hand.backend, hand.service, false]]);
  });

  it('removing the hand route deletes its acl, use_backend and backend: every other byte stays', () => {
    const { cfg, removed } = removeRoute(base, hand.match);
    expect(removed.backend).toBe(hand.backend);
    const expected = base.replace(join(hand.rule), '').replace(join(hand.backendLines), '');
    expect(expected).not.toBe(base);
    expect(cfg).toBe(expected);
    expect(listRoutes(cfg)).toEqual([]);
    expect(() => checkGatewayConfig(cfg)).not.toThrow();
  });

  it('adding a route inserts the routes block after the hand rules and the backends block at the end, nothing else', () => {
    const { cfg, outcome } = addRoute(base, spec(path('/github')), { overwrite: false });
    expect(outcome).toBe('added');
    const block = routesBlock('    ');
    const filled = [...block.slice(0, 3), '    /github/ route:github', ...block.slice(3)];
    const expected = `${insertAfter(base, lastRule, filled, eol)}${eol}${join([
      emptyBackends[0] as string,
      ...github,
      emptyBackends[1] as string,
    ])}`;
    expect(cfg).toBe(expected);
    // The same as a line diff: the original lines all stay, in order, and these are the new ones.
    const before = lines(base);
    const after = lines(cfg);
    const at = after.indexOf(`${lastRule}${cr}`) + 1;
    expect(after.slice(0, at)).toEqual(before.slice(0, at));
    expect(after.slice(at, at + filled.length)).toEqual(filled.map((line) => line + cr));
    expect(after.slice(at + filled.length, at + filled.length + before.length - at - 1)).toEqual(
      before.slice(at, -1),
    );
    expect(after.slice(at + filled.length + before.length - at - 1)).toEqual([
      cr,
      ...[emptyBackends[0] as string, ...github, emptyBackends[1] as string].map((line) => line + cr),
      '',
    ]);
    if (crlf) expect(cfg).not.toMatch(/[^\r]\n/);
    else expect(cfg).not.toContain('\r');
  });

  it('lists the hand route and the added one', () => {
    const cfg = add(add(base, spec(path('/github'))), spec(header('X-Gitlab-Event', 'push'), 'el-gitlab'));
    expect(summary(listRoutes(cfg))).toEqual([
      ['hand', hand.match, hand.backend, hand.service, false],
      ['tool', path('/github'), 'route:github', { name: 'el-github', namespace: 'ci', port: 8080 }, false],
      [
        'tool',
        header('X-Gitlab-Event', 'push'),
        'header:x-gitlab-event:push',
        { name: 'el-gitlab', namespace: 'ci', port: 8080 },
        false,
      ],
    ]);
  });

  it('add then remove gives back the config byte for byte, for every kind of route and in any order', () => {
    const added = add(base, spec(path('/github')));
    expect(removeRoute(added, path('/github')).cfg).toBe(base);
    const kinds = [
      spec(path('/github'), 'el-github', { stripPrefix: true, tls: true }),
      spec(header('X-Gitea-Event'), 'el-gitea'),
      spec(path('/'), 'fallback'),
    ];
    const all = kinds.reduce((cfg, one) => add(cfg, one), base);
    expect(listRoutes(all)).toHaveLength(kinds.length + 1);
    let back = all;
    for (const one of [kinds[1], kinds[0], kinds[2]] as RouteSpec[]) {
      expect(back).toContain(ROUTES_ADDED_NOTE);
      back = removeRoute(back, one.match).cfg;
    }
    expect(back).toBe(base);
  });

  it('removing the hand route keeps the blocks while a route of the tool is in them', () => {
    const added = add(base, spec(path('/github')));
    const withoutHand = removeRoute(added, hand.match).cfg;
    expect(summary(listRoutes(withoutHand))).toEqual([
      ['tool', path('/github'), 'route:github', { name: 'el-github', namespace: 'ci', port: 8080 }, false],
    ]);
    expect(removeRoute(withoutHand, path('/github')).cfg).toBe(removeRoute(base, hand.match).cfg);
  });

  it('a header route added first goes into the new routes block too', () => {
    const cfg = add(base, spec(header('X-Gitea-Event', 'push'), 'el-gitea'));
    const block = routesBlock('    ');
    expect(cfg).toContain(
      join([
        lastRule,
        ...block.slice(0, 4),
        '    acl header:x-gitea-event:push hdr(X-Gitea-Event) -m str push',
        '    use_backend header:x-gitea-event:push if header:x-gitea-event:push',
        ...block.slice(4),
      ]),
    );
  });

  it('the same target as the hand route is unchanged: no blocks are added', () => {
    const same: RouteSpec = { match: hand.match, service: hand.service };
    expect(addRoute(base, same, { overwrite: false })).toMatchObject({ outcome: 'unchanged', cfg: base });
    expect(() => add(base, spec(hand.match, 'el-other'))).toThrow(/already exists/);
  });

  it("overwriting the hand route moves it into the tool's new blocks", () => {
    const result = addRoute(base, spec(hand.match, 'el-new'), { overwrite: true });
    expect(result.outcome).toBe('replaced');
    expect(result.previous?.origin).toBe('hand');
    expect(summary(listRoutes(result.cfg))).toEqual([
      [
        'tool',
        hand.match,
        hand.match.type === 'path' ? 'route:x' : 'header:x-github-event',
        { name: 'el-new', namespace: 'ci', port: 8080 },
        false,
      ],
    ]);
    expect(result.cfg).not.toContain(hand.rule[1]);
    expect(result.cfg).not.toContain(hand.backendLines[0]);
  });
});

describe('where the blocks go in a hand-made config', () => {
  const acl = haproxyFixture('original-acl.cfg');

  it('keeps tab indentation', () => {
    const tabs = acl.replaceAll('    ', '\t');
    const cfg = add(tabs, spec(path('/github')));
    expect(cfg).toContain(
      `\tuse_backend be_x if PATH_x\n${['\t# BEGIN trigger-gateway routes', `\t${ROUTES_ADDED_NOTE}`, '\t.if 0', '\t/github/ route:github', '\t.endif', '\t# END trigger-gateway routes', `\t${ROUTE_MAP_RULE}`].join('\n')}\n\n`,
    );
    expect(cfg).toContain(
      `backend route:github\n\tmode http\n${defaultLimitLines('\t').join('\n')}\n\tserver listener `,
    );
  });

  it('picks the first http frontend with a bind, whatever comes before it', () => {
    const cfg = [
      'defaults',
      '    mode tcp',
      'frontend raw',
      '    bind :9000',
      '    default_backend be_raw',
      'frontend nobind',
      '    mode http',
      'listen web',
      '    mode http',
      '    bind :80',
      '    use_backend be_raw if { path_beg /raw }',
      '    # a comment after the last rule',
      '    default_backend be_raw',
      'backend be_raw',
      '    server s 127.0.0.1:9',
      '',
    ].join('\n');
    const added = add(cfg, spec(path('/github')));
    expect(added).toContain(
      `    use_backend be_raw if { path_beg /raw }\n${routesBlock('    ')
        .slice(0, 3)
        .join('\n')}\n    /github/ route:github\n`,
    );
    expect(added).toContain(`    # END trigger-gateway routes\n    ${ROUTE_MAP_RULE}\n    # a comment after`);
    // The defaults say tcp: the tool's backend says http.
    expect(added).toContain('backend route:github\n    mode http\n');
  });

  it('without an http frontend, takes the first frontend with a bind', () => {
    const cfg = 'frontend a\n    bind :9000\n    default_backend b\n\nbackend b\n    server s 127.0.0.1:9\n';
    expect(add(cfg, spec(path('/github')))).toBe(
      `frontend a\n    bind :9000\n    default_backend b\n${routesBlock('    ')
        .slice(0, 3)
        .join(
          '\n',
        )}\n    /github/ route:github\n${routesBlock('    ').slice(3).join('\n')}\n\nbackend b\n    server s 127.0.0.1:9\n\n# BEGIN trigger-gateway backends\n# route /github -> Service el-github in namespace ci, port 8080\nbackend route:github\n    mode http\n${defaultLimitLines().join('\n')}\n    server listener el-github.ci.svc.cluster.local:8080 init-addr last,libc,none\n# END trigger-gateway backends\n`,
    );
  });

  it('without use_backend lines, after the last directive, before the comments of the next section', () => {
    const cfg = [
      'defaults',
      '    mode http',
      'frontend web',
      '    bind :80',
      '    default_backend fallback',
      '',
      '# The fallback.',
      'backend fallback',
      '    http-request return status 404',
      '',
      '',
    ].join('\n');
    const added = add(cfg, spec(path('/github')));
    expect(added.split('\n').slice(0, 12)).toEqual([
      'defaults',
      '    mode http',
      'frontend web',
      '    bind :80',
      '    default_backend fallback',
      ...routesBlock('    ').slice(0, 3),
      '    /github/ route:github',
      ...routesBlock('    ').slice(3),
    ]);
    // The config ended with a blank line: the backends block brings its own, so removing it gives that end back.
    expect(added.slice(added.indexOf('\n\n# The fallback.'))).toBe(
      `\n\n# The fallback.\nbackend fallback\n    http-request return status 404\n\n\n# BEGIN trigger-gateway backends\n# route /github -> Service el-github in namespace ci, port 8080\nbackend route:github\n${defaultLimitLines().join('\n')}\n    server listener el-github.ci.svc.cluster.local:8080 init-addr last,libc,none\n# END trigger-gateway backends\n`,
    );
  });

  it('after the .endif of a conditional holding the last use_backend', () => {
    const cfg = acl.replace(
      '    use_backend be_x if PATH_x\n',
      '    .if defined(LEGACY)\n    use_backend be_x if PATH_x\n    .endif\n',
    );
    const added = add(cfg, spec(path('/github')));
    expect(added).toContain(
      `    .if defined(LEGACY)\n    use_backend be_x if PATH_x\n    .endif\n    # BEGIN trigger-gateway routes\n`,
    );
    expect(() => checkGatewayConfig(added)).not.toThrow();
  });

  it('a config ending without a newline (which HAProxy refuses) gets one, and keeps it', () => {
    const cfg = add(acl.trimEnd(), spec(path('/github')));
    expect(cfg).toContain('    server s1 x.y.svc.cluster.local:80\n\n# BEGIN trigger-gateway backends\n');
    expect(cfg.endsWith('# END trigger-gateway backends\n')).toBe(true);
    expect(removeRoute(cfg, path('/github')).cfg).toBe(`${acl.trimEnd()}\n`);
  });

  it('refuses to add to a config without a frontend that binds, naming the section it needs; list and remove still work', () => {
    const cfg = 'defaults\n    mode http\nbackend b\n    server s 127.0.0.1:9\n';
    expect(listRoutes(cfg)).toEqual([]);
    expect(() => add(cfg, spec(path('/github')))).toThrow(InvalidConfigError);
    expect(() => add(cfg, spec(path('/github')))).toThrow(/no frontend section with a "bind" line/);
  });

  it('a partial marker set is still an error, in every call', () => {
    const partial = `${acl}\n# BEGIN trigger-gateway backends\n# END trigger-gateway backends\n`;
    for (const call of [
      () => checkGatewayConfig(partial),
      () => listRoutes(partial),
      () => removeRoute(partial, path('/x')),
      () => add(partial, spec(path('/github'))),
    ]) {
      expect(call).toThrow(/has no "# BEGIN trigger-gateway routes" line/);
    }
  });

  it("writes the bundled config's map rule, which reads the file where the pods mount it", () => {
    expect(ROUTE_MAP_RULE).toContain(`map_beg(${CONFIG_PATH})`);
    expect(bundledGatewayConfig(false)).toContain(
      `    # END trigger-gateway routes\n    ${ROUTE_MAP_RULE}\n`,
    );
  });
});

describe('add then remove on every hand-made config: byte for byte', () => {
  const extra = spec(path('/extra'), 'x', { service: { name: 'x', namespace: 'y', port: 81 } });
  describe.each(
    ORIGINAL_FIXTURES.flatMap((name) => [
      [name, false, '/usr/local/etc/haproxy/haproxy.cfg'] as const,
      [name, true, '/etc/haproxy/haproxy.cfg'] as const,
      [name, false, '/etc/gateway/gateway.cfg'] as const,
    ]),
  )('%s (CRLF: %s, read from %s)', (name, crlf, configPath) => {
    const base = haproxyFixture(name, { crlf });

    it('route add /extra x.y:81 then route remove /extra gives back the same bytes', () => {
      const added = addRoute(base, extra, { overwrite: false, configPath }).cfg;
      expect(added).toContain(`map_beg(${configPath})]${crlf ? '\r\n' : '\n'}`);
      expect(() => checkGatewayConfig(added, { configPath })).not.toThrow();
      expect(removeRoute(added, path('/extra'), { configPath }).cfg).toBe(base);
    });

    it('also with tabs for indentation', () => {
      const tabs = base.replace(/^ {4}/gm, '\t');
      const added = addRoute(tabs, extra, { overwrite: false, configPath }).cfg;
      expect(added).toContain(`\t# BEGIN trigger-gateway routes`);
      expect(removeRoute(added, path('/extra'), { configPath }).cfg).toBe(tabs);
    });
  });
});

describe('blocks the tool did not add to a hand-made config stay', () => {
  const github = spec(path('/github'));

  it("the bundled config's blocks, as installed", () => {
    const bundled = bundledGatewayConfig(false);
    expect(removeRoute(add(bundled, github), github.match).cfg).toBe(bundled);
  });

  it('blocks pasted in by hand, empty', () => {
    const pasted = haproxyFixture('acl-per-route.cfg');
    const extra = spec(path('/extra'));
    expect(removeRoute(add(pasted, extra), extra.match).cfg).toBe(pasted);
  });

  it('added blocks a user wrote a line into', () => {
    const added = add(haproxyFixture('original-acl.cfg'), github).replace(
      '    # END trigger-gateway routes\n',
      '    # kept: the x listener moves here next week\n    # END trigger-gateway routes\n',
    );
    const back = removeRoute(added, github.match).cfg;
    expect(back).toContain('# BEGIN trigger-gateway routes');
    expect(back).toContain('# kept: the x listener moves here next week\n');
    expect(listRoutes(back)).toEqual(listRoutes(haproxyFixture('original-acl.cfg')));
  });
});

describe('the route map rule reads the config where the gateway pods read it', () => {
  const bundled = bundledGatewayConfig(true);
  const moved = '/etc/haproxy/haproxy.cfg';
  const rule = (at: string) => `    use_backend %[path,concat(/),map_beg(${at})]\n`;

  it('an edit rewrites a rule that reads another path, and changes nothing else for it', () => {
    const added = addRoute(bundled, spec(path('/github')), { overwrite: false, configPath: moved }).cfg;
    expect(added).toContain(rule(moved));
    expect(added).not.toContain('map_beg(/usr/local/etc/haproxy/haproxy.cfg)');
    const expected = add(bundled, spec(path('/github'))).replace(rule(CONFIG_PATH), rule(moved));
    expect(added).toBe(expected);
    const removed = removeRoute(bundled, path('/trigger'), { configPath: moved }).cfg;
    expect(removed).toBe(removeRoute(bundled, path('/trigger')).cfg.replace(rule(CONFIG_PATH), rule(moved)));
  });

  it('an edit writes the rule after the routes block when it is missing', () => {
    const without = bundled.replace(rule(CONFIG_PATH), '');
    const added = addRoute(without, spec(path('/github')), { overwrite: false, configPath: moved }).cfg;
    expect(added).toContain(`    # END trigger-gateway routes\n${rule(moved)}`);
  });

  it('the check names both paths when they differ, and a missing rule', () => {
    expect(() => checkGatewayConfig(bundled, { configPath: CONFIG_PATH })).not.toThrow();
    expect(() => checkGatewayConfig(bundled, { configPath: moved })).toThrow(
      `the route map rule reads ${CONFIG_PATH}, but the gateway pods read haproxy.cfg at ${moved}`,
    );
    expect(() => checkGatewayConfig(bundled.replace(rule(CONFIG_PATH), ''), { configPath: moved })).toThrow(
      /no rule reads the route map/,
    );
    // Without a path to compare with (route list), the rule is not checked.
    expect(() => checkGatewayConfig(bundled)).not.toThrow();
  });
});
