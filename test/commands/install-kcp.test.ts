import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { load } from 'js-yaml';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import Install from '../../src/commands/install.ts';
import { runCommand, runExecutable } from '../support/cli.ts';
import {
  type ControlPlane,
  startControlPlane,
  COMPUTE_EXPORT_RESOURCES,
} from '../support/control-plane/index.ts';

/** install --workspace / --bind against a kcp-mode control plane with a compute provider workspace. */

let plane: ControlPlane;
let kubeconfig: string;

const install = (...args: string[]) => runCommand(Install, ['--kubeconfig', kubeconfig, ...args]);
const currentContext = () =>
  (load(readFileSync(kubeconfig, 'utf8')) as { 'current-context': string })['current-context'];

beforeEach(async () => {
  plane = await startControlPlane({
    kcp: {
      workspaces: [
        { path: 'root:org', type: 'organization' },
        { path: 'root:compute', exports: { kubernetes: COMPUTE_EXPORT_RESOURCES } },
        { path: 'root:org:ready', bindings: ['root:compute:kubernetes'] },
      ],
    },
  });
  kubeconfig = plane.writeKubeconfig(join(mkdtempSync(join(tmpdir(), 'tg-kcp-')), 'kubeconfig'), {
    workspace: 'root:org',
  });
});
afterEach(async () => {
  await plane.stop();
});

describe('install --workspace', () => {
  it('creates the workspace, binds the compute APIs, installs there and enters it, in one command', async () => {
    const result = await install('--workspace', 'infra', '--bind', 'root:compute:kubernetes');
    expect(result.stderr).not.toMatch(/^error/m);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('Workspace root:org:infra (type root:universal) created.');
    expect(result.stdout).toContain('Bound root:compute:kubernetes (APIBinding kubernetes)');
    expect(result.stdout).toContain('Gateway installed in namespace trigger-gateway.');
    expect(result.stdout).toContain('Switched to workspace root:org:infra.');

    const infra = plane.cluster('root:org:infra');
    expect(infra?.get('deployments', 'trigger-gateway', 'trigger-gateway')).toBeDefined();
    expect(infra?.get('apibindings', 'kubernetes')?.status).toMatchObject({ phase: 'Bound' });
    expect(plane.cluster('root:org')?.list('configmaps', 'trigger-gateway')).toEqual([]);

    // The user's own kubectl now looks at the gateway in the workspace.
    expect(currentContext()).toBe('workspace.kcp.io/current');
    const rollout = await runExecutable(
      'kubectl',
      ['-n', 'trigger-gateway', 'get', 'deployment', 'trigger-gateway'],
      {
        KUBECONFIG: kubeconfig,
      },
    );
    expect(rollout.exitCode).toBe(0);
    expect(rollout.stdout).toContain('2/2');
  });

  it('run again from the parent, uses the workspace and changes nothing', async () => {
    expect((await install('--workspace', 'infra', '--bind', 'root:compute:kubernetes')).exitCode).toBe(0);
    const again = await install(
      '--workspace',
      ':root:org:infra',
      '--bind',
      'root:compute:kubernetes',
      '-o',
      'json',
    );
    expect(again.exitCode).toBe(0);
    const result = JSON.parse(again.stdout);
    expect(result.workspace).toEqual({
      path: 'root:org:infra',
      type: 'root:universal',
      action: 'existed',
      entered: true,
    });
    expect(result.bindings).toEqual([
      expect.objectContaining({
        binding: 'kubernetes',
        export: 'root:compute:kubernetes',
        action: 'existed',
      }),
    ]);
    expect(new Set(result.objects.map((object: { action: string }) => object.action))).toEqual(
      new Set(['unchanged']),
    );
  });

  it('in a workspace without Deployments, Services and Ingresses, says so and offers --bind, installing nothing', async () => {
    const before = readFileSync(kubeconfig, 'utf8');
    const result = await install('--workspace', 'bare');
    expect(result.exitCode).toBe(7);
    expect(result.stderr).toContain(
      'error: workspace root:org:bare does not serve deployments.apps, services, poddisruptionbudgets.policy and ingresses.networking.k8s.io',
    );
    expect(result.stderr).toContain('kubectl trigger-gateway install --workspace bare --bind PATH:EXPORT');
    const bare = plane.cluster('root:org:bare');
    expect(bare?.list('namespaces').map((ns) => ns.metadata.name)).not.toContain('trigger-gateway');
    expect(bare?.list('configmaps')).toEqual([]);
    expect(readFileSync(kubeconfig, 'utf8')).toBe(before);
  });

  it('an export that does not exist is named, and the binding it tried is taken back', async () => {
    const result = await install('--workspace', 'infra', '--bind', 'root:compute:nope');
    expect(result.exitCode).toBe(7);
    expect(result.stderr).toContain('error: cannot bind root:compute:nope: there is no such APIExport');
    expect(plane.cluster('root:org:infra')?.list('apibindings')).toEqual([]);
  });

  it('a malformed --bind is a usage error before anything happens', async () => {
    const result = await install('--workspace', 'infra', '--bind', 'kubernetes');
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('error: --bind "kubernetes" is not an APIExport reference');
    expect(plane.cluster('root:org:infra')).toBeUndefined();
  });
});

describe('install in the current kcp workspace', () => {
  it('works unchanged where the APIs are bound already', async () => {
    kubeconfig = plane.writeKubeconfig(join(mkdtempSync(join(tmpdir(), 'tg-kcp-')), 'kubeconfig'), {
      workspace: 'root:org:ready',
    });
    const result = await install();
    expect(result.exitCode).toBe(0);
    expect(result.stdout).not.toMatch(/workspace/i);
    expect(
      plane.cluster('root:org:ready')?.get('configmaps', 'trigger-gateway-haproxy', 'trigger-gateway'),
    ).toBeDefined();
  });

  it('without them, offers --bind', async () => {
    const result = await install();
    expect(result.exitCode).toBe(7);
    expect(result.stderr).toContain('error: workspace root:org does not serve');
    expect(result.stderr).toContain('kubectl trigger-gateway install --bind PATH:EXPORT');
  });
});

describe('on plain Kubernetes', () => {
  it('install never mentions workspaces, and --workspace says kcp is not present', async () => {
    const plain = await startControlPlane();
    try {
      const config = plain.writeKubeconfig(join(mkdtempSync(join(tmpdir(), 'tg-kcp-')), 'kubeconfig'));
      const result = await runCommand(Install, ['--kubeconfig', config]);
      expect(result.exitCode).toBe(0);
      expect(`${result.stdout}${result.stderr}`).not.toMatch(/workspace|kcp/i);
      const withWorkspace = await runCommand(Install, ['--kubeconfig', config, '--workspace', 'infra']);
      expect(withWorkspace.exitCode).toBe(3);
      expect(withWorkspace.stderr).toContain('kcp is not present');
    } finally {
      await plain.stop();
    }
  });

  it('--workspace and --dry-run do not mix', async () => {
    const result = await install('--workspace', 'infra', '--dry-run');
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(
      /--workspace=infra cannot also be provided when using --dry-run|cannot also be provided/,
    );
  });
});
