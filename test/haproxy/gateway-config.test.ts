/**
 * The pure config functions: path validation, backend names, the routes block, the checksum.
 * (Whether HAProxy accepts and serves the result is checked in haproxy-check and haproxy-serve.)
 */
import { describe, expect, it } from 'vitest';
import {
  addRoutes,
  BACKENDS_BEGIN,
  BACKENDS_END,
  configChecksum,
  defaultGatewayConfig,
  InvalidRouteError,
  ROUTES_BEGIN,
  ROUTES_END,
  type Route,
  renderRouteBackend,
  routeBackendName,
  routedPaths,
  routeMapKey,
  validateRoute,
  validateRoutePath,
} from '../../src/haproxy/gateway-config.ts';

const route = (path: string, service = 'el-github', namespace = 'ci', port = 8080): Route => ({
  path,
  service,
  namespace,
  port,
});

describe('validateRoutePath', () => {
  it.each(['/', '/trigger', '/github/org-a/repo_1', '/a.b/~c', '/V1'])('accepts %s', (path) => {
    expect(() => validateRoutePath(path)).not.toThrow();
  });

  it.each([
    '',
    'trigger',
    '/trigger/',
    '//trigger',
    '/a//b',
    '/a b',
    '/a%20b',
    '/a?b',
    '/a#b',
    '/a:b',
    '/ä',
    '/./a',
    '/a/..',
    `/${'a'.repeat(200)}`,
  ])('rejects %j with a hint', (path) => {
    expect(() => validateRoutePath(path)).toThrow(InvalidRouteError);
    try {
      validateRoutePath(path);
    } catch (error) {
      expect((error as InvalidRouteError).hint).toMatch(/starts with "\/"/);
    }
  });
});

describe('validateRoute', () => {
  it('accepts a plain route', () => {
    expect(() => validateRoute(route('/github'))).not.toThrow();
  });

  it.each([
    ['service', route('/a', 'El-Github')],
    ['service', route('/a', '1el')],
    ['namespace', route('/a', 'el', 'Ci')],
    ['port', route('/a', 'el', 'ci', 0)],
    ['port', route('/a', 'el', 'ci', 65536)],
    ['port', route('/a', 'el', 'ci', 80.5)],
  ])('rejects a bad %s', (field, bad) => {
    expect(() => validateRoute(bad)).toThrow(field === 'service' ? /Service name/ : new RegExp(field));
  });
});

describe('routeBackendName and routeMapKey', () => {
  it('derive a valid HAProxy name from the path, one-to-one', () => {
    const paths = [
      '/',
      '/a',
      '/a/b',
      '/a_b',
      '/a:b'.replace(':', '_3a'),
      '/a~b',
      '/a_7eb',
      '/a.b',
      '/a-b',
      '/a_5fb',
    ];
    const names = paths.map(routeBackendName);
    expect(new Set(names).size).toBe(paths.length);
    for (const name of names) expect(name).toMatch(/^[A-Za-z0-9._:-]+$/);
    expect(routeBackendName('/github/org_a')).toBe('route:github:org_5fa');
    expect(routeBackendName('/')).toBe('route:');
  });

  it('end map keys in "/" so matching is by whole segments', () => {
    expect(routeMapKey('/trigger')).toBe('/trigger/');
    expect(routeMapKey('/')).toBe('/');
  });
});

describe('defaultGatewayConfig', () => {
  const cfg = defaultGatewayConfig();

  it('has the routes block inside the gateway frontend and the backends block after it, both empty', () => {
    const frontend = cfg.indexOf('frontend gateway');
    const routesAt = cfg.indexOf(ROUTES_BEGIN);
    expect(routesAt).toBeGreaterThan(frontend);
    expect(routesAt).toBeLessThan(cfg.indexOf('    use_backend %['));
    expect(cfg.indexOf(BACKENDS_BEGIN)).toBeGreaterThan(cfg.indexOf('backend no_route'));
    expect(routedPaths(cfg)).toEqual([]);
    expect(cfg.slice(cfg.indexOf(BACKENDS_BEGIN), cfg.indexOf(BACKENDS_END))).not.toMatch(/^backend/m);
  });

  it('routes through one map lookup rather than one rule per route', () => {
    expect(cfg).toContain('use_backend %[path,concat(/),map_beg(/usr/local/etc/haproxy/haproxy.cfg)]');
    expect(cfg.match(/^\s*use_backend/gm)).toHaveLength(1);
    expect(cfg).not.toMatch(/^\s*acl /m);
  });
});

describe('addRoutes', () => {
  const base = defaultGatewayConfig().replace('timeout client 30s', 'timeout client 30s # hand edit');

  it('adds one map line and one backend per route, resolving the Service at run time', () => {
    const cfg = addRoutes(base, [route('/github'), route('/gitlab/team', 'el-gitlab', 'other', 80)]);
    expect(routedPaths(cfg)).toEqual(['/github', '/gitlab/team']);
    const block = cfg.slice(cfg.indexOf(ROUTES_BEGIN), cfg.indexOf(ROUTES_END));
    expect(block).toContain('\n    /github/ route:github\n    /gitlab/team/ route:gitlab:team\n    .endif\n');
    expect(cfg).toContain(
      'backend route:gitlab:team\n    server listener el-gitlab.other.svc.cluster.local:80 resolvers cluster init-addr last,libc,none resolve-prefer ipv4\n',
    );
    const backends = cfg.slice(cfg.indexOf(BACKENDS_BEGIN), cfg.indexOf(BACKENDS_END));
    expect(backends).toContain(renderRouteBackend(route('/github')));
  });

  it('keeps every other byte: removing the added lines gives the input back', () => {
    const cfg = addRoutes(base, [route('/github'), route('/')]);
    const added = new Set([
      '    /github/ route:github',
      '    / route:',
      ...renderRouteBackend(route('/github')).split('\n'),
      ...renderRouteBackend(route('/')).split('\n'),
    ]);
    expect(
      cfg
        .split('\n')
        .filter((line) => !added.has(line))
        .join('\n'),
    ).toBe(base);
  });

  it('appends to routes already there, and is a no-op for no routes', () => {
    const once = addRoutes(base, [route('/a')]);
    expect(routedPaths(addRoutes(once, [route('/b')]))).toEqual(['/a', '/b']);
    expect(addRoutes(base, [])).toBe(base);
  });

  it('refuses a path routed already, or twice in one call', () => {
    const once = addRoutes(base, [route('/a')]);
    expect(() => addRoutes(once, [route('/a', 'other')])).toThrow(/already exists/);
    expect(() => addRoutes(base, [route('/b'), route('/b')])).toThrow(/already exists/);
  });

  it('refuses a config without the marked blocks, naming the missing marker', () => {
    expect(() => addRoutes(base.replace(ROUTES_END, '# gone'), [route('/a')])).toThrow(
      /END trigger-gateway routes/,
    );
    expect(() => addRoutes(base.replace(BACKENDS_BEGIN, '# gone'), [route('/a')])).toThrow(
      /BEGIN trigger-gateway backends/,
    );
  });

  it('validates routes before touching anything', () => {
    expect(() => addRoutes(base, [route('/ok'), route('/bad/')])).toThrow(InvalidRouteError);
  });
});

describe('configChecksum', () => {
  it('is the sha256 of the text, in hex', () => {
    expect(configChecksum('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(configChecksum('a')).not.toBe(configChecksum('a\n'));
  });
});
