import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dump, load } from 'js-yaml';
import nock from 'nock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import WorkspaceCreate from '../../src/commands/workspace/create.ts';
import WorkspaceCurrent from '../../src/commands/workspace/current.ts';
import WorkspaceUse from '../../src/commands/workspace/use.ts';
import { runCommand, runExecutable } from '../support/cli.ts';
import { type ControlPlane, startControlPlane } from '../support/control-plane/index.ts';

/** kcp workspaces against a local kcp-mode control plane: root, root:org (an organization) and its children. */
let plane: ControlPlane;
let kubeconfig: string;

interface Kubeconfig {
  'current-context': string;
  contexts: Array<{ name: string; context: { cluster: string; user: string; namespace?: string } }>;
  clusters: Array<{ name: string; cluster: { server: string } }>;
  [key: string]: unknown;
}

const readKubeconfig = () => load(readFileSync(kubeconfig, 'utf8')) as Kubeconfig;
const serverOf = (config: Kubeconfig, context: string) => {
  const cluster = config.contexts.find((entry) => entry.name === context)?.context.cluster;
  return config.clusters.find((entry) => entry.name === cluster)?.cluster.server;
};
const currentServer = () => {
  const config = readKubeconfig();
  return serverOf(config, config['current-context']);
};

const create = (...args: string[]) => runCommand(WorkspaceCreate, ['--kubeconfig', kubeconfig, ...args]);
const use = (...args: string[]) => runCommand(WorkspaceUse, ['--kubeconfig', kubeconfig, ...args]);
const current = (...args: string[]) => runCommand(WorkspaceCurrent, ['--kubeconfig', kubeconfig, ...args]);
const kubectl = (...args: string[]) => runExecutable('kubectl', args, { KUBECONFIG: kubeconfig });

beforeAll(async () => {
  plane = await startControlPlane({
    kcp: {
      workspaces: [
        { path: 'root:org', type: 'organization' },
        { path: 'root:org:secret' },
        { path: 'root:org:pending', type: 'stuck' },
        { path: 'root:other', type: 'organization' },
      ],
      workspaceTypes: [{ name: 'stuck', stuck: true }],
    },
    users: {
      'admin-token': { name: 'admin' },
      'outsider-token': {
        name: 'outsider',
        deny: [{ workspace: 'root:org:secret' }, { workspace: 'root:org:pending' }],
      },
    },
  });
});
afterAll(async () => {
  await plane.stop();
});

beforeEach(() => {
  kubeconfig = plane.writeKubeconfig(join(mkdtempSync(join(tmpdir(), 'tg-ws-')), 'kubeconfig'), {
    workspace: 'root:org',
    namespace: 'ci',
  });
});
afterEach(() => {
  nock.cleanAll();
});

describe('workspace create', () => {
  it('creates a workspace, waits until it is ready, and with --enter points the kubeconfig at it', async () => {
    const result = await create('infra', '--enter');
    expect(result.stderr).not.toMatch(/error/);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('Workspace root:org:infra (type root:universal) created and ready.');
    expect(result.stdout).toContain('Switched to workspace root:org:infra.');
    expect(plane.cluster('root:org')?.get('workspaces', 'infra')?.status).toMatchObject({ phase: 'Ready' });

    // The real kubectl reads back what was written, and works inside the new workspace.
    expect((await kubectl('config', 'current-context')).stdout.trim()).toBe('workspace.kcp.io/current');
    expect(currentServer()).toBe(plane.workspaceUrl('root:org:infra'));
    const configmap = await kubectl('create', 'configmap', 'hello', '-n', 'default', '--from-literal=a=b');
    expect(configmap.exitCode).toBe(0);
    expect(plane.cluster('root:org:infra')?.get('configmaps', 'hello', 'default')).toBeDefined();
    expect(plane.cluster('root:org')?.get('configmaps', 'hello', 'default')).toBeUndefined();
  });

  it('keeps the user and namespace of the context it came from, and remembers it as previous', async () => {
    expect((await create('keep', '--enter')).exitCode).toBe(0);
    const config = readKubeconfig();
    const currentContext = config.contexts.find(
      (entry) => entry.name === 'workspace.kcp.io/current',
    )?.context;
    const original = config.contexts.find((entry) => entry.name === 'control-plane')?.context;
    expect(currentContext).toEqual({ ...original, cluster: 'workspace.kcp.io/current' });
    expect(currentContext?.namespace).toBe('ci');
    expect(serverOf(config, 'workspace.kcp.io/previous')).toBe(plane.workspaceUrl('root:org'));
  });

  it('without --enter leaves the kubeconfig alone and says how to enter', async () => {
    const before = readFileSync(kubeconfig, 'utf8');
    const result = await create('quiet');
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('Enter it with: kubectl trigger-gateway workspace use quiet');
    expect(readFileSync(kubeconfig, 'utf8')).toBe(before);
  });

  it('refuses an existing workspace unless --ignore-existing, and then refuses another type by name', async () => {
    expect((await create('twice')).exitCode).toBe(0);
    const again = await create('twice');
    expect(again.exitCode).toBe(7);
    expect(again.stderr).toContain('error: workspace root:org:twice already exists');
    expect(again.stderr).toContain('add --ignore-existing');

    const ignored = await create('twice', '--ignore-existing', '-o', 'json');
    expect(ignored.exitCode).toBe(0);
    expect(JSON.parse(ignored.stdout)).toMatchObject({
      path: 'root:org:twice',
      type: 'root:universal',
      phase: 'Ready',
      action: 'existed',
      entered: false,
    });

    const otherType = await create('twice', '--ignore-existing', '--type', 'team');
    expect(otherType.exitCode).toBe(7);
    expect(otherType.stderr).toContain(
      'error: workspace root:org:twice already exists with type root:universal, not team',
    );
  });

  it('names a type the parent does not allow, and an unknown type, creating nothing', async () => {
    const notAllowed = await create('org2', '--type', 'organization');
    expect(notAllowed.exitCode).toBe(7);
    expect(notAllowed.stderr).toContain(
      'error: a workspace of type organization cannot be created in root:org',
    );
    expect(notAllowed.stderr).toContain('only allows [root:root] parent workspaces');

    const unknown = await create('x', '--type', 'nosuchtype');
    expect(unknown.exitCode).toBe(7);
    expect(unknown.stderr).toContain('error: there is no workspace type nosuchtype');
    expect(plane.cluster('root:org')?.get('workspaces', 'org2')).toBeUndefined();
    expect(plane.cluster('root:org')?.get('workspaces', 'x')).toBeUndefined();
  });

  it('rejects a bad name before asking the server', async () => {
    const result = await create('Infra');
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('error: "Infra" cannot name a workspace');
    expect(result.stderr).toContain('lowercase letters');
  });

  it('on timeout shows the phase, the conditions and the initializers it still waits for', async () => {
    const result = await create('slow', '--type', 'stuck', '--timeout', '1s');
    expect(result.exitCode).toBe(8);
    expect(result.stderr).toContain('error: workspace root:org:slow is not ready after 1s');
    expect(result.stderr).toContain('phase Initializing');
    expect(result.stderr).toContain('WorkspaceInitialized is False: InitializerExists');
    expect(result.stderr).toContain('waiting for initializers root:stuck');
  });

  it('tolerates a new workspace that kcp does not list yet', async () => {
    const scope = nock(plane.url, { allowUnmocked: true })
      .get('/clusters/root:org/apis/tenancy.kcp.io/v1alpha1/workspaces/late')
      .twice()
      .reply(404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'NotFound', code: 404 });
    const result = await create('late');
    scope.done();
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('Workspace root:org:late (type root:universal) created and ready.');
  });
});

describe('workspace use and current', () => {
  it('goes down, up with .., back with -, and to absolute paths, as kubectl ws does', async () => {
    expect((await create('nav')).exitCode).toBe(0);
    expect((await use('nav')).stdout).toBe('Switched to workspace root:org:nav (type root:universal).\n');
    expect((await current()).stdout).toBe('root:org:nav\n');
    expect((await use('..')).stdout).toBe('Switched to workspace root:org (type root:organization).\n');
    expect((await current()).stdout).toBe('root:org\n');
    expect((await use('-')).stdout).toContain('root:org:nav');
    expect(currentServer()).toBe(plane.workspaceUrl('root:org:nav'));
    expect((await use('-')).stdout).toContain('root:org');
    expect(currentServer()).toBe(plane.workspaceUrl('root:org'));
    expect((await use(':root:other')).exitCode).toBe(0);
    expect(currentServer()).toBe(plane.workspaceUrl('root:other'));
    expect((await use(':')).exitCode).toBe(0);
    expect((await current('-o', 'json')).stdout).toContain('"path": "root"');
  });

  it('tells a workspace that does not exist from one you may not enter (kcp answers 403 for both)', async () => {
    const missing = await use('nope');
    expect(missing.exitCode).toBe(7);
    expect(missing.stderr).toContain('error: workspace root:org:nope does not exist');
    expect(missing.stderr).toMatch(/root:org has: .*secret/);

    const outsider = plane.writeKubeconfig(join(mkdtempSync(join(tmpdir(), 'tg-ws-')), 'kubeconfig'), {
      workspace: 'root:org',
      token: 'outsider-token',
    });
    const denied = await runCommand(WorkspaceUse, ['--kubeconfig', outsider, 'secret']);
    expect(denied.exitCode).toBe(6);
    expect(denied.stderr).toContain('error: access to workspace root:org:secret is denied');
    expect(readFileSync(kubeconfig, 'utf8')).not.toContain('workspace.kcp.io');
  });

  it('says a workspace is not ready yet, with what it waits for, instead of "forbidden"', async () => {
    // kcp v0.26 lets those with access into a workspace once it is Initializing: the admin enters.
    expect((await use('pending')).stdout).toContain('Switched to workspace root:org:pending');
    const outsider = plane.writeKubeconfig(join(mkdtempSync(join(tmpdir(), 'tg-ws-')), 'kubeconfig'), {
      workspace: 'root:org',
      token: 'outsider-token',
    });
    const result = await runCommand(WorkspaceUse, ['--kubeconfig', outsider, 'pending']);
    expect(result.exitCode).toBe(7);
    expect(result.stderr).toContain('error: workspace root:org:pending is not ready yet');
    expect(result.stderr).toContain('phase Initializing');
    expect(result.stderr).toContain('waiting for initializers root:stuck');
    expect(readFileSync(outsider, 'utf8')).not.toContain('workspace.kcp.io');
  });

  it('reports a current workspace that is closed to you as not accessible', async () => {
    const outsider = plane.writeKubeconfig(join(mkdtempSync(join(tmpdir(), 'tg-ws-')), 'kubeconfig'), {
      workspace: 'root:org:secret',
      token: 'outsider-token',
    });
    const text = await runCommand(WorkspaceCurrent, ['--kubeconfig', outsider]);
    expect(text.exitCode).toBe(0);
    expect(text.stdout).toBe(
      'root:org:secret (not accessible: it no longer exists, or it is closed to you)\n',
    );
    const json = await runCommand(WorkspaceCurrent, ['--kubeconfig', outsider, '-o', 'json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ path: 'root:org:secret', accessible: false });
  });

  it('cannot go up from root', async () => {
    expect((await use(':root')).exitCode).toBe(0);
    const result = await use('..');
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('error: cannot go up from root');
  });

  it('says when there is no previous workspace', async () => {
    const result = await use('-');
    expect(result.exitCode).toBe(3);
    expect(result.stderr).toContain('error: there is no previous workspace to go back to');
  });

  it('changes nothing else in the kubeconfig, and keeps its permissions', async () => {
    const rich = {
      ...(load(readFileSync(kubeconfig, 'utf8')) as Kubeconfig),
      preferences: { colors: true },
      extensions: [{ name: 'company', extension: { team: 'platform' } }],
    };
    rich.clusters.push({ name: 'prod', cluster: { server: 'https://prod.example.com:6443' } });
    rich.contexts.push({ name: 'prod', context: { cluster: 'prod', user: 'control-plane-user' } });
    writeFileSync(kubeconfig, dump(rich), { mode: 0o600 });
    const withoutWorkspaces = (config: Kubeconfig) => ({
      ...config,
      'current-context': undefined,
      contexts: config.contexts.filter((entry) => !entry.name.startsWith('workspace.kcp.io/')),
      clusters: config.clusters.filter((entry) => !entry.name.startsWith('workspace.kcp.io/')),
    });

    expect((await use(':root:other')).exitCode).toBe(0);
    expect((await use(':root:org:secret')).exitCode).toBe(0);
    expect((await use('-')).exitCode).toBe(0);
    const after = readKubeconfig();
    expect(withoutWorkspaces(after)).toEqual(withoutWorkspaces(rich));
    expect(statSync(kubeconfig).mode & 0o777).toBe(0o600);
    const view = await kubectl('config', 'view', '-o', 'json');
    expect(view.exitCode).toBe(0);
    expect(
      JSON.parse(view.stdout)
        .contexts.map((entry: { name: string }) => entry.name)
        .sort(),
    ).toEqual(['control-plane', 'prod', 'workspace.kcp.io/current', 'workspace.kcp.io/previous']);
  });

  it('edits the first file of KUBECONFIG and leaves the others untouched', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-ws-'));
    const first = join(dir, 'first');
    writeFileSync(first, dump({ apiVersion: 'v1', kind: 'Config', preferences: {} }));
    const secondBefore = readFileSync(kubeconfig, 'utf8');
    const result = await runExecutable('kubectl', ['trigger-gateway', 'workspace', 'use', 'secret'], {
      KUBECONFIG: `${first}:${kubeconfig}`,
    });
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    expect(readFileSync(kubeconfig, 'utf8')).toBe(secondBefore);
    expect(readFileSync(first, 'utf8')).toContain('workspace.kcp.io/current');
    const get = await runExecutable('kubectl', ['get', 'namespaces', '-o', 'name'], {
      KUBECONFIG: `${first}:${kubeconfig}`,
    });
    expect(get.stdout).toContain('namespace/default');
    expect(plane.requests.some((request) => request.path.startsWith('/clusters/root:org:secret/api'))).toBe(
      true,
    );
  });
});

describe('on plain Kubernetes', () => {
  let plain: ControlPlane;
  let plainKubeconfig: string;
  beforeAll(async () => {
    plain = await startControlPlane();
  });
  afterAll(async () => {
    await plain.stop();
  });
  beforeEach(() => {
    plainKubeconfig = plain.writeKubeconfig(join(mkdtempSync(join(tmpdir(), 'tg-ws-')), 'kubeconfig'));
  });

  it('every workspace command says kcp is not present, and writes nothing', async () => {
    const before = readFileSync(plainKubeconfig, 'utf8');
    for (const [command, args] of [
      [WorkspaceCreate, ['infra', '--enter']],
      [WorkspaceUse, ['..']],
      [WorkspaceCurrent, []],
    ] as const) {
      const result = await runCommand(command, ['--kubeconfig', plainKubeconfig, ...args]);
      expect(result.exitCode).toBe(3);
      expect(result.stderr).toContain('kcp is not present');
      expect(result.stderr).toContain('is plain Kubernetes');
    }
    expect(readFileSync(plainKubeconfig, 'utf8')).toBe(before);
    expect(plain.requests.filter((request) => request.method !== 'GET')).toEqual([]);
  });
});

describe('on a kcp older than v0.11', () => {
  it('names the version it needs', async () => {
    const legacy = await startControlPlane({ kcp: { legacy: true } });
    try {
      const config = legacy.writeKubeconfig(join(mkdtempSync(join(tmpdir(), 'tg-ws-')), 'kubeconfig'), {
        workspace: 'root',
      });
      const result = await runCommand(WorkspaceCreate, ['--kubeconfig', config, 'infra']);
      expect(result.exitCode).toBe(3);
      expect(result.stderr).toContain('runs a kcp older than v0.11');
      expect(result.stderr).toContain('needs kcp v0.11 or later');
    } finally {
      await legacy.stop();
    }
  });
});
