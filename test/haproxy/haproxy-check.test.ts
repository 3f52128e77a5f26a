/**
 * `haproxy -c` on the configs we produce, with a real HAProxy (Debian's 2.6 where installed): the
 * default config, the echo config and a config with several routes are valid, a broken one is not.
 */
import { describe, expect, it } from 'vitest';
import { addRoutes, defaultGatewayConfig } from '../../src/haproxy/gateway-config.ts';
import { bundledGatewayConfig, checkConfig, findHaproxy, HAPROXY_MISSING } from '../support/haproxy.ts';

const haproxy = findHaproxy();

// Outside CI a machine without haproxy skips these; in CI they run, and fail loudly without it.
describe.skipIf(!haproxy && !process.env.CI)(`haproxy -c (${haproxy ?? HAPROXY_MISSING})`, () => {
  const bin = haproxy ?? 'haproxy';

  it('accepts the bundled default config', async () => {
    const result = await checkConfig(bin, bundledGatewayConfig(false));
    expect(result.output).toContain('Configuration file is valid');
    expect(result.ok).toBe(true);
  });

  it('accepts the config with the echo route', async () => {
    const cfg = bundledGatewayConfig(true);
    expect(cfg).toContain('httpecho.trigger.svc.cluster.local:80');
    const result = await checkConfig(bin, cfg);
    expect(result.ok, result.output).toBe(true);
  });

  it('accepts a config with several routes, including the root and escaped names', async () => {
    const cfg = addRoutes(defaultGatewayConfig(), [
      { path: '/github', service: 'el-github', namespace: 'ci', port: 8080 },
      { path: '/github/org_a', service: 'el-org-a', namespace: 'ci', port: 8080 },
      { path: '/gitlab/team~1/v1.2', service: 'el-gitlab', namespace: 'other-ns', port: 80 },
      { path: '/', service: 'fallback', namespace: 'default', port: 9000 },
    ]);
    const result = await checkConfig(bin, cfg);
    expect(result.ok, result.output).toBe(true);
  });

  it('rejects a broken config, so the check above is real', async () => {
    const broken = defaultGatewayConfig().replace(
      'default_backend no_route',
      'default_backend no_such_backend',
    );
    const result = await checkConfig(bin, broken);
    expect(result.ok).toBe(false);
    expect(result.output).toMatch(/no_such_backend/);
  });

  it('rejects a route map line outside the .if 0 block (it would be read as a directive)', async () => {
    const broken = defaultGatewayConfig().replace('    .endif\n', '    .endif\n    /stray/ route:stray\n');
    const result = await checkConfig(bin, broken);
    expect(result.ok).toBe(false);
  });
});
