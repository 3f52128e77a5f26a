import { readFileSync } from 'node:fs';
import { load } from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WorkspaceCreate from '../../src/commands/workspace/create.ts';
import WorkspaceCurrent from '../../src/commands/workspace/current.ts';
import WorkspaceUse from '../../src/commands/workspace/use.ts';
import { runCommand, runExecutable } from '../support/cli.ts';
import { lastSegment } from '../../src/kcp/paths.ts';
import { freshWorkspace, type KcpUnderTest, kcpPlanes, ORG, PENDING } from '../support/kcp-planes.ts';

/** The workspace commands on each kcp of the run (the local imitation, or a real kcp v0.26.0). */

interface Kubeconfig {
  'current-context': string;
  contexts: Array<{ name: string; context: { cluster: string; user: string; namespace?: string } }>;
  clusters: Array<{ name: string; cluster: { server: string } }>;
}

const currentServer = (file: string) => {
  const config = load(readFileSync(file, 'utf8')) as Kubeconfig;
  const cluster = config.contexts.find((entry) => entry.name === config['current-context'])?.context.cluster;
  return config.clusters.find((entry) => entry.name === cluster)?.cluster.server;
};

describe.each(kcpPlanes())('workspaces on the $name', (row) => {
  let kcp: KcpUnderTest;
  beforeAll(async () => {
    kcp = await row.connect();
  });
  afterAll(async () => {
    await kcp?.close();
  });

  /** A kubeconfig in root:org, and the three commands run with it. */
  const inOrg = (user: 'admin' | 'outsider' = 'admin') => {
    const kubeconfig = kcp.kubeconfig(ORG, { user, namespace: 'ci' });
    const withIt =
      (command: Parameters<typeof runCommand>[0]) =>
      (...args: string[]) =>
        runCommand(command, ['--kubeconfig', kubeconfig, ...args]);
    return {
      kubeconfig,
      create: withIt(WorkspaceCreate),
      use: withIt(WorkspaceUse),
      current: withIt(WorkspaceCurrent),
    };
  };

  it('creates a workspace, waits until it is Ready, and with --enter the real kubectl works inside it', async () => {
    const { kubeconfig, create } = inOrg();
    const name = freshWorkspace('infra');
    const result = await create(name, '--enter');
    expect(result.stderr).not.toMatch(/^error/m);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain(`Workspace root:org:${name} (type root:universal) created and ready.`);
    expect(result.stdout).toContain(`Switched to workspace root:org:${name}.`);

    const phase = await kcp.kubectl(ORG, 'get', 'workspace', name, '-o', 'jsonpath={.status.phase}');
    expect(phase.stdout).toBe('Ready');
    expect(currentServer(kubeconfig)).toBe(kcp.workspaceUrl(`root:org:${name}`));
    const kubectl = (...args: string[]) => runExecutable('kubectl', args, { KUBECONFIG: kubeconfig });
    expect((await kubectl('config', 'current-context')).stdout.trim()).toBe('workspace.kcp.io/current');
    expect(
      (await kubectl('create', 'configmap', 'hello', '-n', 'default', '--from-literal=a=b')).exitCode,
    ).toBe(0);
    expect(
      (await kcp.kubectl(`root:org:${name}`, 'get', 'configmap', 'hello', '-n', 'default')).exitCode,
    ).toBe(0);
    expect((await kcp.kubectl(ORG, 'get', 'configmap', 'hello', '-n', 'default')).exitCode).not.toBe(0);
  });

  it('--type, and --ignore-existing, which then refuses another type by name', async () => {
    const { create } = inOrg();
    const name = freshWorkspace('typed');
    expect((await create(name, '--type', 'universal')).exitCode).toBe(0);
    const again = await create(name);
    expect(again.exitCode).toBe(7);
    expect(again.stderr).toContain(`error: workspace root:org:${name} already exists`);
    expect(again.stderr).toContain('add --ignore-existing');
    const ignored = await create(name, '--ignore-existing', '-o', 'json');
    expect(ignored.exitCode).toBe(0);
    expect(JSON.parse(ignored.stdout)).toMatchObject({
      path: `root:org:${name}`,
      type: 'root:universal',
      phase: 'Ready',
      action: 'existed',
    });
    const otherType = await create(name, '--ignore-existing', '--type', 'team');
    expect(otherType.exitCode).toBe(7);
    expect(otherType.stderr).toContain('already exists with type root:universal, not team');
  });

  it('names a type the parent does not allow, and an unknown type, creating nothing', async () => {
    const { create } = inOrg();
    const [notAllowedName, unknownName] = [freshWorkspace('org2'), freshWorkspace('x')];
    const notAllowed = await create(notAllowedName, '--type', 'organization');
    expect(notAllowed.exitCode).toBe(7);
    expect(notAllowed.stderr).toContain(
      'error: a workspace of type organization cannot be created in root:org',
    );
    const unknown = await create(unknownName, '--type', 'nosuchtype');
    expect(unknown.exitCode).toBe(7);
    expect(unknown.stderr).toContain('error: there is no workspace type nosuchtype');
    const listed = await kcp.kubectl(ORG, 'get', 'workspaces', '-o', 'name');
    expect(listed.stdout).not.toContain(notAllowedName);
    expect(listed.stdout).not.toContain(unknownName);
  });

  it('on timeout names the phase and the initializer it still waits for', async () => {
    const { create } = inOrg();
    const name = freshWorkspace('slow');
    const result = await create(name, '--type', 'stuck', '--timeout', '2s');
    expect(result.exitCode).toBe(8);
    expect(result.stderr).toContain(`error: workspace root:org:${name} is not ready after 2s`);
    expect(result.stderr).toContain('phase Initializing');
    expect(result.stderr).toContain('root:stuck');
  });

  it('use NAME, .., -, :root:… and :, and current, as kubectl ws does', async () => {
    const { kubeconfig, create, use, current } = inOrg();
    const name = freshWorkspace('nav');
    expect((await create(name)).exitCode).toBe(0);
    expect((await use(name)).stdout).toBe(`Switched to workspace root:org:${name} (type root:universal).\n`);
    expect((await current()).stdout).toBe(`root:org:${name}\n`);
    expect((await use('..')).stdout).toBe('Switched to workspace root:org (type root:organization).\n');
    expect((await current()).stdout).toBe('root:org\n');
    expect((await use('-')).exitCode).toBe(0);
    expect(currentServer(kubeconfig)).toBe(kcp.workspaceUrl(`root:org:${name}`));
    expect((await use(':root:compute')).exitCode).toBe(0);
    expect(currentServer(kubeconfig)).toBe(kcp.workspaceUrl('root:compute'));
    expect((await use(':')).exitCode).toBe(0);
    expect(JSON.parse((await current('-o', 'json')).stdout)).toMatchObject({ path: 'root' });
    // The real kubectl lists what is in root from there.
    const listed = await runExecutable('kubectl', ['get', 'workspaces', '-o', 'name'], {
      KUBECONFIG: kubeconfig,
    });
    expect(listed.stdout).toContain('workspace.tenancy.kcp.io/org');
  });

  it('tells a missing, a forbidden and a not-yet-ready workspace apart (kcp answers 403 for all three)', async () => {
    const admin = inOrg();
    const missing = await admin.use('nope');
    expect(missing.exitCode).toBe(7);
    expect(missing.stderr).toContain('error: workspace root:org:nope does not exist');
    expect(missing.stderr).toMatch(/root:org has: .*secret/);

    const outsider = inOrg('outsider');
    const denied = await outsider.use('secret');
    expect(denied.exitCode).toBe(6);
    expect(denied.stderr).toContain('error: access to workspace root:org:secret is denied');
    expect(readFileSync(outsider.kubeconfig, 'utf8')).not.toContain('workspace.kcp.io');

    // kcp v0.26 opens a workspace to those with access once it is Initializing: the admin enters.
    const pending = lastSegment(PENDING);
    expect((await admin.create(pending, '--type', 'stuck', '--timeout', '1s')).exitCode).toBe(8);
    const outsiderInPending = await outsider.use(pending);
    expect(outsiderInPending.exitCode).toBe(7);
    expect(outsiderInPending.stderr).toContain(`error: workspace ${PENDING} is not ready yet`);
    expect(outsiderInPending.stderr).toContain('phase Initializing');
    expect(outsiderInPending.stderr).toContain('root:stuck');
    expect(readFileSync(outsider.kubeconfig, 'utf8')).not.toContain('workspace.kcp.io');
    expect((await admin.use(pending)).stdout).toBe(`Switched to workspace ${PENDING} (type root:stuck).\n`);
  });
});
