/**
 * The limit flags of route add and install against the local control plane: bad values refused with
 * exit 2 before anything is written, limits shown by route list (text and JSON), gateway defaults kept
 * across re-installs and reaching the routes that follow them.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Install from '../../src/commands/install.ts';
import RouteAdd from '../../src/commands/route/add.ts';
import RouteList from '../../src/commands/route/list.ts';
import { ExitCode } from '../../src/errors.ts';
import { pluginPath, runCommand } from '../support/cli.ts';
import { type ControlPlane, type KubeObject, startControlPlane } from '../support/control-plane/index.ts';

const NS = 'trigger-gateway';
let plane: ControlPlane;
let kubeconfig: string;
let dir: string;

function run(command: Parameters<typeof runCommand>[0], ...args: string[]) {
  return runCommand(command, ['--kubeconfig', kubeconfig, ...args]);
}

function liveConfig(): string {
  const configMap = plane.get('configmaps', 'trigger-gateway-haproxy', NS) as KubeObject & {
    data: Record<string, string>;
  };
  return configMap.data['haproxy.cfg'] ?? '';
}

/** The gateway's objects with their resourceVersions: equal before and after means nothing was written. */
function fingerprint(): string[] {
  return ['configmaps', 'deployments', 'replicasets']
    .flatMap((resource) => plane.list(resource, NS))
    .map((object) => `${object.kind}/${object.metadata.name}@${object.metadata.resourceVersion}`)
    .sort();
}

interface ListedLimits {
  match: { path?: string };
  limits: Record<string, unknown>;
  limitDefaults: string[];
}

async function listed(): Promise<ListedLimits[]> {
  const result = await run(RouteList, '-o', 'json');
  expect(result.exitCode, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as ListedLimits[];
}

beforeAll(async () => {
  plane = await startControlPlane();
  dir = mkdtempSync(join(tmpdir(), 'tg-limits-'));
  kubeconfig = plane.writeKubeconfig(join(dir, 'kubeconfig'));
  const installed = await run(Install);
  expect(installed.exitCode, installed.stderr).toBe(0);
});

afterAll(async () => {
  await plane.stop();
});

describe('bad limit values', () => {
  const file = () => {
    const path = join(dir, 'bad-ranges.txt');
    writeFileSync(path, '192.30.252.0/22\n10.0.0.0/33\n');
    return path;
  };

  it.each([
    [['--max-body', '-5'], '--max-body: invalid value "-5"', 'e.g. 25MiB'],
    [['--max-body', '1XB'], '--max-body: invalid value "1XB"', 'e.g. 25MiB'],
    [['--max-body', '1KiB;'], '--max-body: invalid value "1KiB;"', 'e.g. 25MiB'],
    [['--rate-limit', 'abc'], '--rate-limit: invalid value "abc"', 'e.g. 100/s'],
    [['--rate-limit', '0/s'], '--rate-limit: invalid value "0/s"', 'e.g. 100/s'],
    [
      ['--allow-from', '999.1.1.1/8'],
      '--allow-from: invalid address or CIDR "999.1.1.1/8"',
      'e.g. 192.30.252.0/22',
    ],
    [
      ['--allow-from', '10.0.0.0/33'],
      '--allow-from: invalid address or CIDR "10.0.0.0/33"',
      'e.g. 192.30.252.0/22',
    ],
    [
      ['--allow-from', '10.0.0.0/8\nacl x always_true'],
      '--allow-from: invalid address or CIDR',
      'e.g. 192.30.252.0/22',
    ],
    [['--max-concurrent', '0'], '--max-concurrent: invalid value "0"', 'e.g. 10'],
    [['--max-concurrent', '5;'], '--max-concurrent: invalid value "5;"', 'e.g. 10'],
  ])(
    'route add %j: exit 2 naming the flag and a good value; nothing written',
    async (flags, message, example) => {
      const before = fingerprint();
      const result = await run(RouteAdd, '/github', 'el-github.ci:8080', ...flags);
      expect(result.exitCode).toBe(ExitCode.usage);
      expect(result.stderr).toContain(message);
      expect(result.stderr).toContain(example);
      expect(fingerprint()).toEqual(before);
    },
  );

  it('route add --allow-from-file with a bad line names the file; nothing written', async () => {
    const before = fingerprint();
    const result = await run(RouteAdd, '/github', 'el-github.ci:8080', '--allow-from-file', file());
    expect(result.exitCode).toBe(ExitCode.usage);
    expect(result.stderr).toContain('bad-ranges.txt: invalid address or CIDR "10.0.0.0/33"');
    expect(fingerprint()).toEqual(before);
  });

  it('route add --allow-from-file - reads the ranges from a pipe, as curl … | jq … | kubectl would give them', async () => {
    const add = spawn(
      'kubectl',
      ['trigger-gateway', 'route', 'add', '/piped', 'el-piped.ci:8080', '--allow-from-file', '-'],
      { env: { PATH: pluginPath(), HOME: dir, KUBECONFIG: kubeconfig, NO_COLOR: '1' } },
    );
    let stderr = '';
    add.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    add.stdin.end('# GitHub hooks\n192.30.252.0/22\n185.199.108.0/22\n2a0a:a440::/29\n');
    const [code] = (await once(add, 'exit')) as [number | null];
    expect(code, stderr).toBe(0);
    const route = (await listed()).find((each) => each.match.path === '/piped');
    expect(route?.limits.allowFrom).toEqual(['192.30.252.0/22', '185.199.108.0/22', '2a0a:a440::/29']);

    const empty = spawn(
      'kubectl',
      ['trigger-gateway', 'route', 'add', '/empty', 'el-empty.ci:8080', '--allow-from-file', '-'],
      {
        env: { PATH: pluginPath(), HOME: dir, KUBECONFIG: kubeconfig, NO_COLOR: '1' },
      },
    );
    let refused = '';
    empty.stderr.on('data', (chunk: Buffer) => (refused += chunk.toString()));
    empty.stdin.end('');
    const [emptyCode] = (await once(empty, 'exit')) as [number | null];
    expect(emptyCode).toBe(ExitCode.usage);
    expect(refused).toContain('--allow-from-file: standard input holds no address or CIDR');
  });

  it('install refuses a bad default or trusted proxy the same way; nothing written', async () => {
    const before = fingerprint();
    for (const flags of [
      ['--max-body', '0'],
      ['--rate-limit', '10/h'],
      ['--trusted-proxies', 'any'],
      ['--trusted-proxies', '10.244.0.0/16;'],
    ]) {
      const result = await run(Install, ...flags);
      expect(result.exitCode, flags.join(' ')).toBe(ExitCode.usage);
      expect(result.stderr, flags.join(' ')).toContain(flags[0]);
    }
    expect(fingerprint()).toEqual(before);
  });
});

describe('limits on routes and gateway defaults', () => {
  it('route add writes a route limits, route list shows them in text and JSON', async () => {
    const added = await run(
      RouteAdd,
      '/github',
      'el-github.ci:8080',
      '--max-body',
      '1MiB',
      '--rate-limit',
      '10/s',
      '--rate-limit-per-source',
      '--allow-from',
      '192.30.252.0/22,185.199.108.0/22',
    );
    expect(added.exitCode, added.stderr).toBe(0);
    expect(added.stdout).toContain(
      'Limits: body 1MiB, rate 10/s per source per pod, from 192.30.252.0/22,185.199.108.0/22\n',
    );
    expect((await run(RouteAdd, '/gitlab', 'el-gitlab.ci:8080')).exitCode).toBe(0);

    const text = await run(RouteList);
    expect(text.stdout).toMatch(
      /^\/github .* body 1MiB, rate 10\/s per source per pod, from 192\.30\.252\.0\/22,185\.199\.108\.0\/22$/m,
    );
    expect(text.stdout).toMatch(/^\/gitlab .* body 25MiB\*$/m);
    expect(text.stdout).toContain('* the gateway default');
    const routes = await listed();
    expect(routes.find((route) => route.match.path === '/github')).toMatchObject({
      limits: {
        maxBody: 1024 ** 2,
        rateLimit: { requests: 10, per: 's', perSource: true },
        allowFrom: ['192.30.252.0/22', '185.199.108.0/22'],
        maxConcurrent: null,
      },
      limitDefaults: ['maxConcurrent'],
    });
  });

  it('install defaults reach routes that follow them, survive a plain re-install, and own values stay', async () => {
    const changed = await run(
      Install,
      '--max-body',
      '64KiB',
      '--max-concurrent',
      '4',
      '--trusted-proxies',
      '10.244.0.0/16',
    );
    expect(changed.exitCode, changed.stderr).toBe(0);
    expect(changed.stdout).toContain('Trusted proxies (--trusted-proxies): 10.244.0.0/16');
    expect(changed.stdout).toContain(
      'Route defaults: max-body 64KiB, rate-limit none, allow-from any, max-concurrent 4',
    );
    const byPath = async () => new Map((await listed()).map((route) => [route.match.path, route]));
    let routes = await byPath();
    expect(routes.get('/gitlab')?.limits).toMatchObject({ maxBody: 64 * 1024, maxConcurrent: 4 });
    expect(routes.get('/github')?.limits).toMatchObject({ maxBody: 1024 ** 2, maxConcurrent: 4 });

    const before = fingerprint();
    const again = await run(Install);
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.stdout).toContain('Trusted proxies (kept from the live config): 10.244.0.0/16');
    expect(fingerprint()).toEqual(before);
    routes = await byPath();
    expect(routes.get('/gitlab')?.limits).toMatchObject({ maxBody: 64 * 1024, maxConcurrent: 4 });
    expect(liveConfig()).toContain('acl trusted_proxy src 10.244.0.0/16');
  });
});

describe('install --trusted-proxies by default', () => {
  it('trusts the pod ranges the Nodes report on a first install, and says where they came from', async () => {
    plane.put({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'node-a' },
      spec: { podCIDR: '10.244.0.0/24', podCIDRs: ['10.244.0.0/24', 'fd00:10:244::/64'] },
    } as KubeObject);
    plane.put({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'node-b' },
      spec: { podCIDR: '10.244.1.0/24' },
    } as KubeObject);
    const installed = await run(Install, '-n', 'tg-pod-ranges', '--no-wait');
    expect(installed.exitCode, installed.stderr).toBe(0);
    expect(installed.stdout).toContain(
      "Trusted proxies (the cluster's pod ranges, from the Nodes' spec.podCIDRs): 10.244.0.0/24, 10.244.1.0/24, fd00:10:244::/64",
    );
  });
});
