/**
 * checkGatewayConfig: refuses, naming the line, what the tool cannot safely edit; accepts whatever
 * HAProxy accepts that the tool merely does not understand.
 */
import { describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/errors.ts';
import { checkGatewayConfig, InvalidConfigError } from '../../src/haproxy/routes.ts';
import {
  bundledGatewayConfig,
  HAPROXY_FIXTURES,
  haproxyFixture,
  ORIGINAL_FIXTURES,
} from '../support/haproxy.ts';

const base = bundledGatewayConfig(false);
const withRoute = bundledGatewayConfig(true);

function failure(cfg: string): InvalidConfigError {
  try {
    checkGatewayConfig(cfg, { namespace: 'gw' });
  } catch (error) {
    if (error instanceof InvalidConfigError) return error;
    throw error;
  }
  throw new Error('the config was accepted');
}

/** The 1-based number of the first line that is `text`, or starts with `text` and a space, once trimmed. */
function lineOf(cfg: string, text: string): number {
  const index = cfg
    .split('\n')
    .findIndex((line) => line.trim() === text || line.trim().startsWith(`${text} `));
  if (index < 0) throw new Error(`no line ${text}`);
  return index + 1;
}

describe('checkGatewayConfig accepts', () => {
  it.each([
    ['the bundled config', base],
    ['the bundled config with the echo route', withRoute],
    ...HAPROXY_FIXTURES.map((name) => [name, haproxyFixture(name)]),
    ...HAPROXY_FIXTURES.map((name) => [`${name} with CRLF`, haproxyFixture(name, { crlf: true })]),
    ...ORIGINAL_FIXTURES.map((name) => [`${name} (no marked blocks)`, haproxyFixture(name)]),
    ...ORIGINAL_FIXTURES.map((name) => [`${name} with CRLF`, haproxyFixture(name, { crlf: true })]),
    [
      'the bundled config without its four marker lines',
      base.replace(/^ *# (BEGIN|END) trigger-gateway .*\n/gm, ''),
    ],
  ])('%s', (_name, cfg) => {
    expect(() => checkGatewayConfig(cfg as string)).not.toThrow();
  });

  it('directives it does not know, inside sections, and comments or blank lines anywhere', () => {
    const cfg = base
      .replace('    bind :8080\n', '    bind :8080\n    some-future-directive with "quoted # words" x\n')
      .replace('# BEGIN trigger-gateway backends\n', '# BEGIN trigger-gateway backends\n\n# nothing yet\n');
    expect(() => checkGatewayConfig(cfg)).not.toThrow();
  });

  it('sections it does not edit, before or after the blocks, and .if 0 blocks holding anything', () => {
    const cfg = `${base}\nring buffer\n    size 32764\n\n.if 0\nthis is not a directive\n.endif\n`;
    expect(() => checkGatewayConfig(cfg)).not.toThrow();
  });
});

describe('checkGatewayConfig refuses, naming the line', () => {
  const cases: Array<[string, string, RegExp, number | undefined]> = [
    [
      'a missing marker',
      base.replace('    # END trigger-gateway routes\n', ''),
      /has no "# END trigger-gateway routes" line/,
      undefined,
    ],
    [
      'the backends block without the routes block',
      base.replace(/^ *# (BEGIN|END) trigger-gateway routes\n/gm, ''),
      /has no "# BEGIN trigger-gateway routes" line/,
      undefined,
    ],
    [
      'a duplicated marker',
      base.replace(
        '# END trigger-gateway backends\n',
        '# BEGIN trigger-gateway backends\n# END trigger-gateway backends\n',
      ),
      /appears a second time \(first on line \d+\)/,
      lineOf(base, '# END trigger-gateway backends'),
    ],
    [
      'markers out of order',
      base
        .replace('# BEGIN trigger-gateway backends\n', '# END-X\n')
        .replace('# END trigger-gateway backends\n', '# BEGIN trigger-gateway backends\n')
        .replace('# END-X\n', '# END trigger-gateway backends\n'),
      /comes before "# BEGIN trigger-gateway backends"/,
      lineOf(base, '# BEGIN trigger-gateway backends'),
    ],
    [
      'a map line without the trailing "/"',
      withRoute.replace('    /trigger/ route:trigger', '    /trigger route:trigger'),
      /a route map line must be "<path>\/ <backend>"/,
      lineOf(withRoute, '/trigger/ route:trigger'),
    ],
    [
      'a map line with three words',
      withRoute.replace('    /trigger/ route:trigger', '    /trigger/ route:trigger extra'),
      /a route map line must be/,
      lineOf(withRoute, '/trigger/ route:trigger'),
    ],
    [
      'a map line naming a missing backend',
      withRoute.replace('    /trigger/ route:trigger', '    /trigger/ route:gone'),
      /route for \/trigger names backend route:gone, which does not exist/,
      lineOf(withRoute, '/trigger/ route:trigger'),
    ],
    [
      'a map line after .endif',
      base.replace('    .endif\n', '    .endif\n    /stray/ route:stray\n'),
      /after "\.endif" would be read as a directive/,
      lineOf(base, '.endif') + 1,
    ],
    [
      'a routes block without .if 0',
      base.replace('    .if 0\n', ''),
      /must start with the route map's "\.if 0" line/,
      lineOf(base, '.endif') - 1,
    ],
    [
      'a use_backend naming a missing backend',
      base.replace('    bind :8080\n', '    bind :8080\n    use_backend nowhere if { path_beg /x }\n'),
      /use_backend names backend nowhere, which does not exist/,
      lineOf(base, 'bind :8080') + 1,
    ],
    [
      'a default_backend naming a missing backend',
      base.replace('default_backend no_route', 'default_backend no_such'),
      /default_backend names backend no_such/,
      lineOf(base, 'default_backend no_route'),
    ],
    [
      'two backends with one name',
      withRoute.replace(
        '\nbackend no_route',
        '\nbackend route:trigger\n    server s 10.0.0.1:80\nbackend no_route',
      ),
      /a second backend named route:trigger \(first on line \d+\)/,
      lineOf(withRoute, 'backend route:trigger') + 2,
    ],
    [
      'a section keyword inside the routes block',
      base.replace('    .endif\n', '    .endif\nbackend sneaky\n'),
      /a "backend" section cannot start inside the routes block/,
      lineOf(base, '.endif') + 1,
    ],
    [
      'the routes block outside a frontend',
      base
        .replace(
          '    # BEGIN trigger-gateway routes\n    .if 0\n    .endif\n    # END trigger-gateway routes\n',
          '',
        )
        .replace(
          'global\n',
          'global\n    # BEGIN trigger-gateway routes\n    .if 0\n    .endif\n    # END trigger-gateway routes\n',
        ),
      /must be inside a frontend/,
      lineOf(base, 'global') + 1,
    ],
    [
      'a non-backend section in the backends block',
      base.replace(
        '# END trigger-gateway backends',
        'frontend extra\n    bind :9999\n# END trigger-gateway backends',
      ),
      /only backend sections belong in the backends block, not "frontend"/,
      lineOf(base, '# END trigger-gateway backends'),
    ],
    [
      'a directive after the backends block that the last route backend would swallow',
      `${withRoute}    timeout server 5s\n`,
      /outside any section of its own/,
      withRoute.split('\n').length,
    ],
    [
      'a keyword outside any section (or a section HAProxy does not have)',
      `frobnicate on\n${base}`,
      /"frobnicate" is outside any section/,
      1,
    ],
    [
      'a server naming resolvers that do not exist',
      withRoute.replace('resolvers cluster\n', 'resolvers other\n'),
      /uses resolvers cluster, and there is no "resolvers cluster" section/,
      lineOf(withRoute, 'server listener'),
    ],
  ];

  it.each(cases)('%s', (_name, cfg, message, line) => {
    const error = failure(cfg);
    expect(error.message).toMatch(message);
    expect(error.location?.line).toBe(line);
    if (line !== undefined) {
      const text = cfg.split('\n')[line - 1] ?? '';
      expect(error.message).toContain(`line ${line} (${JSON.stringify(text)})`);
    }
    expect(error.exitCode).toBe(ExitCode.clusterState);
    expect(error.next[0]).toMatch(/^kubectl edit configmap trigger-gateway-haproxy -n gw/);
    expect(error.next.join('\n')).toContain('manifests/20-configmap.yaml');
  });
});
