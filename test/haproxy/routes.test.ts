/**
 * listRoutes, addRoute and removeRoute on the text: every byte not owned survives, hand-written routes
 * are listed and removed with nothing else, header routes, overwrite rules, 1000 routes.
 * (Whether HAProxy accepts and serves the results: haproxy-check and haproxy-serve.)
 */
import { describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/errors.ts';
import {
  addRoute,
  type GatewayRoute,
  InvalidConfigError,
  InvalidRouteError,
  listRoutes,
  removeRoute,
  RouteExistsError,
  type RouteMatch,
  RouteNotFoundError,
  type RouteSpec,
} from '../../src/haproxy/routes.ts';
import { BUILT_IN_DEFAULTS, LIMIT_NAMES } from '../../src/haproxy/route-limits.ts';
import {
  bundledGatewayConfig,
  defaultLimitLines,
  HAPROXY_FIXTURES,
  haproxyFixture,
} from '../support/haproxy.ts';

const path = (p: string): RouteMatch => ({ type: 'path', path: p });
const header = (name: string, value?: string): RouteMatch =>
  value === undefined ? { type: 'header', header: name } : { type: 'header', header: name, value };

function spec(match: RouteMatch, name = 'el-github', extra: Partial<RouteSpec> = {}): RouteSpec {
  return { match, service: { name, namespace: 'ci', port: 8080 }, ...extra };
}

function add(cfg: string, one: RouteSpec, overwrite = false): string {
  return addRoute(cfg, one, { overwrite }).cfg;
}

function addAll(cfg: string, specs: readonly RouteSpec[]): string {
  return specs.reduce((text, one) => add(text, one), cfg);
}

/** The lines of `before` missing from `after`, and those added, as multisets in order. */
function lineChanges(before: string, after: string): { removed: string[]; added: string[] } {
  const a = before.split('\n');
  const b = after.split('\n');
  const count = (lines: string[]) => {
    const counts = new Map<string, number>();
    for (const line of lines) counts.set(line, (counts.get(line) ?? 0) + 1);
    return counts;
  };
  const inA = count(a);
  const inB = count(b);
  const removed = a.filter((line) => {
    const left = inB.get(line) ?? 0;
    if (left > 0) {
      inB.set(line, left - 1);
      return false;
    }
    return true;
  });
  const added = b.filter((line) => {
    const left = inA.get(line) ?? 0;
    if (left > 0) {
      inA.set(line, left - 1);
      return false;
    }
    return true;
  });
  return { removed, added };
}

/** Every kind of route the tool writes. */
const KINDS: RouteSpec[] = [
  spec(path('/hooks'), 'el-hooks'),
  spec(path('/hooks/team_a'), 'el-team', { stripPrefix: true }),
  spec(path('/secure'), 'el-secure', { tls: true }),
  spec(path('/'), 'fallback'),
  spec(header('X-Gitea-Event'), 'el-gitea'),
  spec(header('X-Gitea-Event', 'push'), 'el-gitea-push', { tls: true }),
];

const configs: Array<[string, string]> = [
  ['the bundled config', bundledGatewayConfig(false)],
  ['the bundled config with the echo route', bundledGatewayConfig(true)],
  ...HAPROXY_FIXTURES.flatMap((name): Array<[string, string]> => [
    [name, haproxyFixture(name)],
    [`${name} with CRLF`, haproxyFixture(name, { crlf: true })],
  ]),
  ['a config ending without a newline', bundledGatewayConfig(false).trimEnd()],
];

describe.each(configs)('byte preservation on %s', (_name, base) => {
  it('adding then removing each kind of route gives the config back byte for byte', () => {
    for (const one of KINDS) {
      const added = add(base, one);
      expect(added).not.toBe(base);
      expect(removeRoute(added, one.match).cfg, JSON.stringify(one.match)).toBe(base);
    }
  });

  it('adding all, then removing them in any order, gives the config back', () => {
    const all = addAll(base, KINDS);
    expect(listRoutes(all).filter((route) => route.origin === 'tool')).toHaveLength(
      KINDS.length + listRoutes(base).filter((route) => route.origin === 'tool').length,
    );
    for (const order of [
      KINDS,
      [...KINDS].reverse(),
      [KINDS[3], KINDS[0], KINDS[5], KINDS[1], KINDS[4], KINDS[2]],
    ]) {
      const back = order.reduce((cfg, one) => removeRoute(cfg, (one as RouteSpec).match).cfg, all);
      expect(back).toBe(base);
    }
  });

  it('only inserts whole lines: every original line is still there, in order', () => {
    const all = addAll(base, KINDS);
    const { removed } = lineChanges(base, all);
    expect(removed).toEqual([]);
    expect(all.startsWith(base.slice(0, base.indexOf('# BEGIN trigger-gateway routes')))).toBe(true);
  });

  it("writes new lines with the config's own line endings", () => {
    const all = addAll(base, KINDS);
    if (base.includes('\r\n')) expect(all).not.toMatch(/[^\r]\n/);
    else expect(all).not.toContain('\r');
  });
});

describe('what addRoute writes', () => {
  const base = bundledGatewayConfig(false);

  it('a path route: one map line before .endif and one backend at the end of the backends block', () => {
    const cfg = add(base, spec(path('/github')));
    expect(lineChanges(base, cfg).added).toEqual([
      '    /github/ route:github',
      '# route /github -> Service el-github in namespace ci, port 8080',
      'backend route:github',
      ...defaultLimitLines(),
      '    server listener el-github.ci.svc.cluster.local:8080 resolvers cluster init-addr last,libc,none resolve-prefer ipv4',
    ]);
    expect(cfg).toContain('    .if 0\n    /github/ route:github\n    .endif\n');
  });

  it('strip-prefix and TLS: a set-path rewrite, and ssl on the server', () => {
    const cfg = add(base, spec(path('/github'), 'el-github', { stripPrefix: true, tls: true }));
    expect(cfg).toContain(
      `backend route:github\n${defaultLimitLines().join('\n')}\n    http-request set-path %[path,regsub(^/github/?,/)]\n    server listener el-github.ci.svc.cluster.local:8080 resolvers cluster init-addr last,libc,none resolve-prefer ipv4 ssl verify none\n`,
    );
    expect(listRoutes(cfg)).toEqual([
      {
        match: path('/github'),
        backend: 'route:github',
        address: 'el-github.ci.svc.cluster.local:8080',
        service: { name: 'el-github', namespace: 'ci', port: 8080 },
        tls: true,
        stripPrefix: true,
        limits: BUILT_IN_DEFAULTS,
        limitDefaults: LIMIT_NAMES,
        origin: 'tool',
      },
    ]);
  });

  it('header routes: acl + use_backend after .endif, a value before a mere presence of the same header', () => {
    let cfg = add(base, spec(header('X-Github-Event'), 'pac'));
    cfg = add(cfg, spec(path('/github')));
    cfg = add(cfg, spec(header('X-Github-Event', 'push'), 'pac-push'));
    const block = cfg.slice(
      cfg.indexOf('# BEGIN trigger-gateway routes'),
      cfg.indexOf('# END trigger-gateway routes'),
    );
    expect(block).toBe(
      [
        '# BEGIN trigger-gateway routes',
        '    .if 0',
        '    /github/ route:github',
        '    .endif',
        '    acl header:x-github-event:push hdr(X-Github-Event) -m str push',
        '    use_backend header:x-github-event:push if header:x-github-event:push',
        '    acl header:x-github-event hdr(X-Github-Event) -m found',
        '    use_backend header:x-github-event if header:x-github-event',
        '    ',
      ].join('\n'),
    );
    expect(listRoutes(cfg).map((route) => [route.match, route.backend, route.service?.name])).toEqual([
      [path('/github'), 'route:github', 'el-github'],
      [header('X-Github-Event', 'push'), 'header:x-github-event:push', 'pac-push'],
      [header('X-Github-Event'), 'header:x-github-event', 'pac'],
    ]);
  });

  it('keeps tab indentation in a tab-indented config', () => {
    const fixture = haproxyFixture('hand-edited.cfg');
    const cfg = add(fixture, spec(path('/gitlab'), 'el-gitlab', { stripPrefix: true }));
    expect(lineChanges(fixture, cfg).added).toEqual([
      '\t/gitlab/ route:gitlab',
      '# route /gitlab -> Service el-gitlab in namespace ci, port 8080, prefix stripped',
      'backend route:gitlab',
      ...defaultLimitLines('\t'),
      '\thttp-request set-path %[path,regsub(^/gitlab/?,/)]',
      '\tserver listener el-gitlab.ci.svc.cluster.local:8080 resolvers cluster init-addr last,libc,none resolve-prefer ipv4',
    ]);
  });

  it('leaves resolvers out where the config has no "resolvers cluster" section', () => {
    const fixture = haproxyFixture('acl-per-route.cfg');
    const cfg = add(fixture, spec(path('/new')));
    expect(cfg).toContain(
      '    server listener el-github.ci.svc.cluster.local:8080 init-addr last,libc,none\n',
    );
  });

  it("picks a free backend name when a hand-written backend has the tool's", () => {
    const taken = bundledGatewayConfig(false).replace(
      '\nbackend no_route',
      '\nbackend route:github\n    server s1 10.0.0.1:80\n\nbackend no_route',
    );
    const cfg = add(taken, spec(path('/github')));
    expect(cfg).toContain('    /github/ route:github_2\n');
    expect(listRoutes(cfg)[0]?.backend).toBe('route:github_2');
    expect(removeRoute(cfg, path('/github')).cfg).toBe(taken);
  });

  it('validates the spec before reading the config, and never writes what it refused', () => {
    const bad: RouteSpec[] = [
      spec(path('/a\nbackend evil')),
      spec(path('/a b')),
      spec(header('X-A', 'a b')),
      spec(header('X-A\n')),
      { match: path('/a'), service: { name: 'el github', namespace: 'ci', port: 80 } },
      { match: path('/a'), service: { name: 'el', namespace: 'ci\n', port: 80 } },
      { match: path('/a'), service: { name: 'el', namespace: 'ci', port: 0 } },
      spec(header('X-A'), 'el', { stripPrefix: true }),
      spec(path('/'), 'el', { stripPrefix: true }),
    ];
    for (const one of bad)
      expect(() => addRoute(base, one, { overwrite: true }), JSON.stringify(one)).toThrow(InvalidRouteError);
  });
});

describe('same match: unchanged, RouteExistsError, overwrite', () => {
  const base = add(bundledGatewayConfig(false), spec(path('/github'), 'el-github', { stripPrefix: true }));

  it('the same target is unchanged and returns the exact same text, with or without overwrite', () => {
    for (const overwrite of [false, true]) {
      const result = addRoute(base, spec(path('/github'), 'el-github', { stripPrefix: true }), { overwrite });
      expect(result.outcome).toBe('unchanged');
      expect(result.cfg).toBe(base);
      expect(result.previous?.service?.name).toBe('el-github');
    }
  });

  it('a different target without overwrite fails, naming the current target and --overwrite', () => {
    for (const other of [
      spec(path('/github'), 'el-other', { stripPrefix: true }),
      spec(path('/github'), 'el-github'),
      spec(path('/github'), 'el-github', { stripPrefix: true, tls: true }),
    ]) {
      const error = (() => {
        try {
          addRoute(base, other, { overwrite: false });
        } catch (caught) {
          return caught;
        }
        return undefined;
      })() as RouteExistsError;
      expect(error).toBeInstanceOf(RouteExistsError);
      expect(error.message).toContain('/github → el-github.ci:8080 (prefix stripped)');
      expect(error.next.join('\n')).toContain('--overwrite');
      expect(error.exitCode).toBe(ExitCode.clusterState);
    }
  });

  it("overwrite replaces the tool's backend where it stands, keeping the map line", () => {
    const result = addRoute(base, spec(path('/github'), 'el-new', { tls: true }), { overwrite: true });
    expect(result.outcome).toBe('replaced');
    expect(result.previous?.stripPrefix).toBe(true);
    expect(lineChanges(base, result.cfg)).toEqual({
      removed: [
        '# route /github -> Service el-github in namespace ci, port 8080, prefix stripped',
        '    http-request set-path %[path,regsub(^/github/?,/)]',
        '    server listener el-github.ci.svc.cluster.local:8080 resolvers cluster init-addr last,libc,none resolve-prefer ipv4',
      ],
      added: [
        '# route /github -> Service el-new in namespace ci, port 8080, TLS',
        '    server listener el-new.ci.svc.cluster.local:8080 resolvers cluster init-addr last,libc,none resolve-prefer ipv4 ssl verify none',
      ],
    });
  });

  it('header names match case-insensitively, values exactly', () => {
    const cfg = add(bundledGatewayConfig(false), spec(header('X-Github-Event', 'push'), 'pac'));
    expect(() => add(cfg, spec(header('x-github-event', 'push'), 'other'))).toThrow(RouteExistsError);
    expect(addRoute(cfg, spec(header('x-github-event', 'push'), 'pac'), { overwrite: false }).outcome).toBe(
      'unchanged',
    );
    expect(addRoute(cfg, spec(header('X-Github-Event', 'Push'), 'other'), { overwrite: false }).outcome).toBe(
      'added',
    );
    expect(removeRoute(cfg, header('X-GITHUB-EVENT', 'push')).cfg).toBe(bundledGatewayConfig(false));
  });
});

describe('hand-written routes', () => {
  const acl = haproxyFixture('acl-per-route.cfg');
  const headers = haproxyFixture('header-acl.cfg');
  const edited = haproxyFixture('hand-edited.cfg');

  const summary = (routes: GatewayRoute[]) =>
    routes.map((route) => [route.origin, route.match, route.backend, route.address, route.tls]);

  it('lists acl + use_backend routes: path_beg, -i, exact path, and inline conditions', () => {
    expect(summary(listRoutes(acl))).toEqual([
      ['hand', path('/github'), 'be_github', 'el-github.ci.svc.cluster.local:80', false],
      ['hand', path('/gh'), 'be_github', 'el-github.ci.svc.cluster.local:80', false],
      ['hand', path('/gitlab'), 'be_gitlab', 'el-gitlab.ci.svc.cluster.local:80', false],
      ['hand', path('/bitbucket/hook'), 'be_bitbucket', 'el-bitbucket.ci.svc.cluster.local:8443', true],
      ['hand', path('/gitea'), 'be_gitea', 'el-gitea.gitea.svc:8080', false],
    ]);
    expect(listRoutes(acl)[4]?.service).toEqual({ name: 'el-gitea', namespace: 'gitea', port: 8080 });
  });

  it('lists header acls: -m found, -i value (quoted), plain value', () => {
    expect(summary(listRoutes(headers))).toEqual([
      [
        'hand',
        header('X-Github-Event'),
        'pac',
        'pipelines-as-code-controller.openshift-pipelines.svc.cluster.local:8080',
        false,
      ],
      [
        'hand',
        header('X-Gitlab-Event', 'Push Hook'),
        'gitlab_push',
        'el-gitlab.ci.svc.cluster.local:8080',
        false,
      ],
      [
        'hand',
        header('X-Event-Key', 'repo:push'),
        'bb_push',
        'el-bitbucket.ci.svc.cluster.local:8080',
        false,
      ],
      ['hand', path('/tekton'), 'tekton', 'el-tekton.ci.svc.cluster.local:8080', false],
    ]);
  });

  it("lists routes in every frontend, skips .if 0 blocks, and tells the tool's from hand-written ones", () => {
    expect(summary(listRoutes(edited))).toEqual([
      ['hand', path('/jenkins'), 'jenkins', 'jenkins.tools.svc.cluster.local:8080', false],
      ['tool', path('/github'), 'route:github', 'el-github.ci.svc.cluster.local:8080', false],
      ['hand', path('/internal/metrics'), 'metrics_proxy', 'prometheus.monitoring.svc:9090', false],
    ]);
  });

  it('removing one deletes its use_backend, its acl and its backend, nothing else', () => {
    const { cfg, removed } = removeRoute(acl, path('/gitea'));
    expect(removed.origin).toBe('hand');
    expect(lineChanges(acl, cfg)).toEqual({
      removed: [
        '    use_backend be_gitea if { path_beg /gitea }',
        'backend be_gitea',
        '    server s1 el-gitea.gitea.svc:8080',
      ],
      added: [],
    });
  });

  it('keeps an acl another rule uses, and a backend another route uses', () => {
    const gitlab = removeRoute(acl, path('/gitlab')).cfg;
    expect(lineChanges(acl, gitlab).removed).toEqual([
      '    use_backend be_gitlab if PATH_gitlab',
      'backend be_gitlab',
      '    server s1 el-gitlab.ci.svc.cluster.local:80',
    ]);
    const github = removeRoute(acl, path('/github')).cfg;
    expect(lineChanges(acl, github).removed).toEqual([
      '    acl PATH_github path_beg -i /github',
      '    use_backend be_github if PATH_github',
    ]);
    const both = removeRoute(github, path('/gh')).cfg;
    expect(lineChanges(github, both).removed).toEqual([
      '    acl PATH_gh path_beg /gh',
      '    use_backend be_github if PATH_gh',
      'backend be_github',
      '    server s1 el-github.ci.svc.cluster.local:80',
    ]);
  });

  it('removes header routes the same way, by name case-insensitively and exact value', () => {
    const cfg = removeRoute(headers, header('x-gitlab-event', 'Push Hook')).cfg;
    expect(lineChanges(headers, cfg).removed).toEqual([
      '    acl GITLAB_PUSH hdr(X-Gitlab-Event) -i "Push Hook"',
      '    use_backend gitlab_push if GITLAB_PUSH',
      'backend gitlab_push',
      '    server s1 el-gitlab.ci.svc.cluster.local:8080',
    ]);
  });

  it('removes a route in a second frontend, keeping the tab-indented rest and CRLF', () => {
    const crlf = haproxyFixture('hand-edited.cfg', { crlf: true });
    const cfg = removeRoute(crlf, path('/internal/metrics')).cfg;
    expect(lineChanges(crlf, cfg).removed).toEqual([
      '\tuse_backend metrics_proxy if { path_beg -i /internal/metrics }\r',
      'backend metrics_proxy\r',
      '\tserver prom prometheus.monitoring.svc:9090\r',
    ]);
  });

  it("adding a match a hand route has fails without overwrite; overwrite moves it into the tool's blocks", () => {
    expect(() => add(acl, spec(path('/gitlab'), 'el-new'))).toThrow(/\/gitlab → el-gitlab\.ci:80/);
    const result = addRoute(acl, spec(path('/gitlab'), 'el-new'), { overwrite: true });
    expect(result.outcome).toBe('replaced');
    expect(result.previous?.origin).toBe('hand');
    const changes = lineChanges(acl, result.cfg);
    expect(changes.removed).toEqual([
      '    use_backend be_gitlab if PATH_gitlab',
      'backend be_gitlab',
      '    server s1 el-gitlab.ci.svc.cluster.local:80',
    ]);
    expect(changes.added).toContain('    /gitlab/ route:gitlab');
    expect(
      listRoutes(result.cfg).find((route) => route.match.type === 'path' && route.match.path === '/gitlab'),
    ).toMatchObject({
      origin: 'tool',
      backend: 'route:gitlab',
      service: { name: 'el-new', namespace: 'ci', port: 8080 },
    });
  });

  it("a hand route with the same target is unchanged; overwrite then moves it into the tool's blocks", () => {
    const same: RouteSpec = {
      match: path('/gitlab'),
      service: { name: 'el-gitlab', namespace: 'ci', port: 80 },
    };
    expect(addRoute(acl, same, { overwrite: false })).toMatchObject({ outcome: 'unchanged', cfg: acl });
    const moved = addRoute(acl, same, { overwrite: true });
    expect(moved.outcome).toBe('replaced');
    expect(listRoutes(moved.cfg).find((route) => route.backend === 'route:gitlab')?.origin).toBe('tool');
  });
});

describe('removeRoute errors', () => {
  it('names the routes there are when none matches', () => {
    let cfg = add(bundledGatewayConfig(false), spec(path('/github')));
    cfg = add(cfg, {
      match: header('X-Github-Event'),
      service: { name: 'pac', namespace: 'openshift-pipelines', port: 8080 },
    });
    const error = (() => {
      try {
        removeRoute(cfg, path('/gitlab'));
      } catch (caught) {
        return caught;
      }
      return undefined;
    })() as RouteNotFoundError;
    expect(error).toBeInstanceOf(RouteNotFoundError);
    expect(error.message).toBe(
      'no route for /gitlab; routes: /github → el-github.ci:8080, header X-Github-Event → pac.openshift-pipelines:8080',
    );
    expect(() => removeRoute(bundledGatewayConfig(false), header('X-A', 'b'))).toThrow(
      'no route for header X-A=b; there are no routes',
    );
  });

  it('refuses a config it cannot read, whatever the route', () => {
    const broken = bundledGatewayConfig(false).replace('# END trigger-gateway routes\n', '');
    expect(() => removeRoute(broken, path('/x'))).toThrow(InvalidConfigError);
    expect(() => listRoutes(broken)).toThrow(InvalidConfigError);
    expect(() => add(broken, spec(path('/x')))).toThrow(InvalidConfigError);
  });
});

describe('a thousand routes', () => {
  // 2,000 edits, each reading the whole config as it grows to about 1 MB: a minute on 2 idle cores,
  // more beside CI's Go builds. The limit only ends a run that hangs; speed is test/bench's job.
  it(
    'builds a 1000-route config by successive addRoute calls, lists and removes them',
    { timeout: 300_000 },
    () => {
      const base = bundledGatewayConfig(false);
      let cfg = base;
      for (let index = 0; index < 1000; index++) {
        const match = index % 10 === 0 ? header(`X-Hook-${index}`) : path(`/hooks/repo-${index}`);
        cfg = add(cfg, spec(match, `el-${index}`));
      }
      const routes = listRoutes(cfg);
      expect(routes).toHaveLength(1000);
      expect(new Set(routes.map((route) => route.backend)).size).toBe(1000);
      expect(routes.every((route) => route.origin === 'tool')).toBe(true);
      for (let index = 999; index >= 0; index--) {
        cfg = removeRoute(
          cfg,
          index % 10 === 0 ? header(`X-Hook-${index}`) : path(`/hooks/repo-${index}`),
        ).cfg;
      }
      expect(cfg).toBe(base);
    },
  );
});
