/**
 * The names and checks shared by the bundled config and route editing: path validation, backend
 * names, map keys, the checksum, and the layout of the bundled config's routes block.
 * (Route editing is in routes.test.ts; whether HAProxy accepts and serves it, haproxy-check and haproxy-serve.)
 */
import { describe, expect, it } from 'vitest';
import {
  BACKENDS_BEGIN,
  BACKENDS_END,
  configChecksum,
  InvalidRouteError,
  ROUTES_BEGIN,
  ROUTES_END,
  routeBackendName,
  routeMapKey,
  validateRoutePath,
} from '../../src/haproxy/gateway-config.ts';
import { listRoutes } from '../../src/haproxy/routes.ts';
import { bundledGatewayConfig } from '../support/haproxy.ts';

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

describe('the bundled config', () => {
  const cfg = bundledGatewayConfig(false);

  it('has the routes block inside the gateway frontend and the backends block after it, both empty', () => {
    const frontend = cfg.indexOf('frontend gateway');
    const routesAt = cfg.indexOf(ROUTES_BEGIN);
    expect(routesAt).toBeGreaterThan(frontend);
    expect(routesAt).toBeLessThan(cfg.indexOf('    use_backend %['));
    expect(cfg.indexOf(BACKENDS_BEGIN)).toBeGreaterThan(cfg.indexOf('backend no_route'));
    expect(listRoutes(cfg)).toEqual([]);
    expect(cfg.slice(cfg.indexOf(BACKENDS_BEGIN), cfg.indexOf(BACKENDS_END))).not.toMatch(/^backend/m);
    expect(cfg.slice(cfg.indexOf(ROUTES_BEGIN), cfg.indexOf(ROUTES_END))).toBe(
      `${ROUTES_BEGIN}\n    .if 0\n    .endif\n    `,
    );
  });

  it('routes through one map lookup rather than one rule per route', () => {
    expect(cfg).toContain('use_backend %[path,concat(/),map_beg(/usr/local/etc/haproxy/haproxy.cfg)]');
    expect(cfg.match(/^\s*use_backend/gm)).toHaveLength(1);
    expect(cfg).not.toMatch(/^\s*acl /m);
  });
});

describe('configChecksum', () => {
  it('is the sha256 of the text, in hex', () => {
    expect(configChecksum('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(configChecksum('a')).not.toBe(configChecksum('a\n'));
  });
});
