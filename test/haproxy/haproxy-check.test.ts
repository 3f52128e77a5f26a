/**
 * `haproxy -c` on the configs we produce, with a real HAProxy (Debian's 2.6 where installed): the
 * bundled config, the fixtures, and the results of add/remove sequences on each of them (path, root,
 * strip-prefix, TLS and header routes, hand routes removed or overwritten) are valid; a broken one is not.
 * Hand-made configs without the tool's blocks too, after the first route brings them: the hand servers
 * point at 127.0.0.1 (their Services resolve in the cluster only); the tool's keep theirs, unresolved.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  addRoute,
  describeMatch,
  listRoutes,
  removeRoute,
  type RouteSpec,
  sameMatch,
} from '../../src/haproxy/routes.ts';
import {
  bundledGatewayConfig,
  checkConfig,
  findHaproxy,
  HAPROXY_FIXTURES,
  HAPROXY_MISSING,
  haproxyFixture,
  ORIGINAL_FIXTURES,
  withLocalHandServers,
} from '../support/haproxy.ts';
import { selfSignedCertificate } from '../support/certificates.ts';

const haproxy = findHaproxy();

const spec = (match: RouteSpec['match'], name: string, extra: Partial<RouteSpec> = {}): RouteSpec => ({
  match,
  service: { name, namespace: 'ci', port: 8080 },
  ...extra,
});

/** Every route kind the tool writes, including escaped names and a header name with every allowed sign. */
const EVERY_KIND: RouteSpec[] = [
  spec({ type: 'path', path: '/hooks' }, 'el-hooks'),
  spec({ type: 'path', path: '/hooks/org_a/v1.2~x' }, 'el-org', { stripPrefix: true }),
  spec({ type: 'path', path: '/tls' }, 'el-tls', { tls: true, stripPrefix: true }),
  spec({ type: 'path', path: '/' }, 'fallback'),
  spec({ type: 'header', header: 'X-Github-Event' }, 'pac'),
  spec({ type: 'header', header: 'X-Github-Event', value: 'pull_request' }, 'pac-pr'),
  spec({ type: 'header', header: 'X-a!$%&*+.^_|~b' }, 'odd'),
  spec({ type: 'header', header: 'X-Gitlab-Token', value: 'a:b/c.d-e_f' }, 'gitlab'),
];

/** HAProxy's own alert lines, as every version prints them: `[ALERT]    (pid) : …`. */
const alerts = (output: string) => output.split('\n').filter((line) => line.startsWith('[ALERT]'));

function addAll(cfg: string, specs: RouteSpec[]): string {
  return specs.reduce((text, one) => addRoute(text, one, { overwrite: false }).cfg, cfg);
}

// Outside CI a machine without haproxy skips these; in CI they run, and fail loudly without it.
describe.skipIf(!haproxy && !process.env.CI)(`haproxy -c (${haproxy ?? HAPROXY_MISSING})`, () => {
  const bin = haproxy ?? 'haproxy';
  /** The hand-edited fixture binds TLS: a throwaway certificate stands in for its crt file. */
  const files: Record<string, string> = {};

  beforeAll(() => {
    const { cert, key } = selfSignedCertificate('gateway.test');
    files['/etc/haproxy/certs/gateway.pem'] = cert + key;
  });

  async function expectValid(cfg: string): Promise<void> {
    const result = await checkConfig(bin, cfg, files);
    expect(result.ok, result.output).toBe(true);
  }

  // What every supported HAProxy does: exit 0 and no alert when valid (2.6 also prints "Configuration
  // file is valid", 3.x prints nothing), a non-zero exit with [ALERT] lines naming the problem when not.
  it('accepts the bundled default config: exit status 0, no alert', async () => {
    const result = await checkConfig(bin, bundledGatewayConfig(false));
    expect(result.ok, result.output).toBe(true);
    expect(alerts(result.output)).toEqual([]);
  });

  it('accepts the config with the echo route', async () => {
    const cfg = bundledGatewayConfig(true);
    expect(cfg).toContain('httpecho.trigger.svc.cluster.local:80');
    await expectValid(cfg);
  });

  it('accepts every kind of route the tool writes, and the config after removing them again', async () => {
    const base = bundledGatewayConfig(false);
    let cfg = addAll(base, EVERY_KIND);
    expect(listRoutes(cfg)).toHaveLength(EVERY_KIND.length);
    await expectValid(cfg);
    for (const one of EVERY_KIND.slice(0, 4)) cfg = removeRoute(cfg, one.match).cfg;
    await expectValid(cfg);
    const replaced = addRoute(
      cfg,
      spec({ type: 'header', header: 'x-github-event' }, 'other', { tls: true }),
      {
        overwrite: true,
      },
    );
    expect(replaced.outcome).toBe('replaced');
    await expectValid(replaced.cfg);
  });

  describe.each(HAPROXY_FIXTURES.flatMap((name) => [[name, false] as const, [name, true] as const]))(
    'fixture %s (CRLF: %s)',
    (name, crlf) => {
      const fixture = haproxyFixture(name, { crlf });

      it('is valid as written, and with every kind of route added', async () => {
        await expectValid(fixture);
        const routed = listRoutes(fixture);
        const fresh = EVERY_KIND.filter((one) => !routed.some((route) => sameMatch(route.match, one.match)));
        await expectValid(addAll(fixture, fresh));
      });

      it('stays valid as each hand-written route is removed, and when each is overwritten', async () => {
        const routes = listRoutes(fixture);
        let removed = fixture;
        for (const route of routes) {
          removed = removeRoute(removed, route.match).cfg;
          await expectValid(removed);
        }
        let overwritten = fixture;
        // Hand-written values the tool would not write itself ("Push Hook") can be removed, not re-added.
        for (const route of routes.filter((one) => describeMatch(one.match).match(/^[^ ]+( [^ ]+)?$/))) {
          overwritten = addRoute(overwritten, spec(route.match, 'replacement'), { overwrite: true }).cfg;
        }
        await expectValid(overwritten);
      });
    },
  );

  describe.each(ORIGINAL_FIXTURES.flatMap((name) => [[name, false] as const, [name, true] as const]))(
    'hand-made %s without the blocks (CRLF: %s)',
    (name, crlf) => {
      const fixture = withLocalHandServers(haproxyFixture(name, { crlf }));

      /**
       * Valid, and the only warnings are the tool's servers whose Service does not resolve here (HAProxy
       * starts without their address, as it will before a Service exists): no http rule in a tcp
       * backend, say.
       */
      async function expectClean(cfg: string): Promise<void> {
        const { ok, output } = await checkConfig(bin, cfg, files);
        expect(ok, output).toBe(true);
        const warnings = output.split('\n').filter((line) => line.includes('WARNING'));
        for (const warning of warnings) {
          expect(warning).toMatch(
            /'server (route|header):[^/]*\/listener' : could not resolve address '[a-z0-9-]+\.ci\.svc\.cluster\.local', disabling server\.$/,
          );
        }
      }

      const [hand] = listRoutes(fixture);
      if (!hand) throw new Error(`${name} has no hand-written route`);
      const github = spec({ type: 'path', path: '/github' }, 'el-github');

      it('is valid as written, after its hand route is removed, and with every kind of route added', async () => {
        expect(hand.origin).toBe('hand');
        await expectClean(fixture);
        await expectClean(removeRoute(fixture, hand.match).cfg);
        const fresh = EVERY_KIND.filter((one) => !sameMatch(one.match, hand.match));
        const all = addAll(fixture, fresh);
        expect(listRoutes(all)).toHaveLength(fresh.length + listRoutes(fixture).length);
        await expectClean(all);
      });

      it('is valid after adding a route, then removing it (the blocks go with it) or the hand route', async () => {
        const added = addRoute(fixture, github, { overwrite: false }).cfg;
        await expectClean(added);
        const back = removeRoute(added, github.match).cfg;
        expect(back).toBe(fixture);
        await expectClean(removeRoute(added, hand.match).cfg);
      });
    },
  );

  it('rejects a broken config, so the checks above are real', async () => {
    const broken = bundledGatewayConfig(false).replace(
      'default_backend no_route',
      'default_backend no_such_backend',
    );
    const result = await checkConfig(bin, broken);
    expect(result.ok).toBe(false);
    expect(alerts(result.output).join('\n')).toMatch(/no_such_backend/);
  });

  it('rejects a route map line outside the .if 0 block (it would be read as a directive)', async () => {
    const broken = bundledGatewayConfig(false).replace(
      '    .endif\n',
      '    .endif\n    /stray/ route:stray\n',
    );
    const result = await checkConfig(bin, broken);
    expect(result.ok).toBe(false);
    expect(alerts(result.output).join('\n')).toContain('/stray/');
  });
});
