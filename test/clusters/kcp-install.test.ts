import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Install from '../../src/commands/install.ts';
import { runCommand } from '../support/cli.ts';
import { BIND, freshWorkspace, type KcpUnderTest, kcpPlanes, ORG } from '../support/kcp-planes.ts';

/**
 * install --workspace / --bind on each kcp of the run. kcp runs no pods (nothing rolls a Deployment
 * out there), so every install here is --no-wait: the objects are what the user can check.
 */
describe.each(kcpPlanes())('install --workspace on the $name', (row) => {
  let kcp: KcpUnderTest;
  beforeAll(async () => {
    kcp = await row.connect();
  });
  afterAll(async () => {
    await kcp?.close();
  });

  const install = (kubeconfig: string, ...args: string[]) =>
    runCommand(Install, ['--kubeconfig', kubeconfig, '--no-wait', ...args]);

  it('creates the workspace, binds the export until Bound and served, applies the gateway there and enters it', async () => {
    const kubeconfig = kcp.kubeconfig(ORG);
    const name = freshWorkspace('gw');
    const result = await install(kubeconfig, '--workspace', name, '--bind', BIND);
    expect(result.stderr).not.toMatch(/^error/m);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain(`Workspace root:org:${name} (type root:universal) created.`);
    expect(result.stdout).toContain(`Bound ${BIND} (APIBinding kubernetes)`);
    expect(result.stdout).toContain(`Switched to workspace root:org:${name}.`);

    const path = `root:org:${name}`;
    const phase = await kcp.kubectl(
      path,
      'get',
      'apibinding',
      'kubernetes',
      '-o',
      'jsonpath={.status.phase}',
    );
    expect(phase.stdout).toBe('Bound');
    const objects = await kcp.kubectl(
      path,
      'get',
      'deployments.apps,services,poddisruptionbudgets.policy,ingresses.networking.k8s.io,configmaps',
      '-n',
      'trigger-gateway',
      '-o',
      'name',
    );
    expect(objects.stderr).toBe('');
    expect(objects.stdout).toContain('deployment.apps/trigger-gateway');
    expect(objects.stdout).toContain('service/trigger-gateway');
    expect(objects.stdout).toContain('configmap/trigger-gateway-haproxy');
    // Nothing landed in the organization itself.
    expect((await kcp.kubectl(ORG, 'get', 'namespace', 'trigger-gateway')).exitCode).not.toBe(0);

    // Run again from the organization: the same workspace and binding, nothing changed.
    const again = await install(kcp.kubeconfig(ORG), '--workspace', name, '--bind', BIND, '-o', 'json');
    expect(again.stderr).not.toMatch(/^error/m);
    expect(again.exitCode).toBe(0);
    const json = JSON.parse(again.stdout);
    expect(json.workspace).toMatchObject({ path, action: 'existed' });
    expect(json.bindings).toEqual([expect.objectContaining({ export: BIND, action: 'existed' })]);
  });

  it('an export that does not exist is named, and the binding it tried is taken back', async () => {
    const name = freshWorkspace('nobind');
    const result = await install(kcp.kubeconfig(ORG), '--workspace', name, '--bind', 'root:compute:nope');
    expect(result.exitCode).toBe(7);
    expect(result.stderr).toContain('error: cannot bind root:compute:nope: there is no such APIExport');
    const bindings = await kcp.kubectl(`root:org:${name}`, 'get', 'apibindings', '-o', 'name');
    expect(bindings.stdout).not.toMatch(/apibinding\.apis\.kcp\.io\/(?!tenancy|topology)/);
  });

  it('in a workspace that serves no Deployments, names what is missing and offers --bind, writing nothing', async () => {
    const kubeconfig = kcp.kubeconfig(ORG);
    const before = readFileSync(kubeconfig, 'utf8');
    const name = freshWorkspace('bare');
    const result = await install(kubeconfig, '--workspace', name);
    expect(result.exitCode).toBe(7);
    expect(result.stderr).toContain(
      `error: workspace root:org:${name} does not serve deployments.apps, services`,
    );
    expect(result.stderr).toContain(`kubectl trigger-gateway install --workspace ${name} --bind PATH:EXPORT`);
    expect((await kcp.kubectl(`root:org:${name}`, 'get', 'namespace', 'trigger-gateway')).exitCode).not.toBe(
      0,
    );
    expect(
      (await kcp.kubectl(`root:org:${name}`, 'get', 'configmaps', '-A', '-o', 'name')).stdout,
    ).not.toContain('trigger-gateway');
    expect(readFileSync(kubeconfig, 'utf8')).toBe(before);
  });
});
