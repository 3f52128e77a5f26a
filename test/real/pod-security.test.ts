/**
 * Pod Security on the real control plane (the local one does not imitate Pod Security admission):
 * the bundled gateway runs where the `restricted` level is enforced, and a pod template someone made
 * non-compliant is refused by the real admission, which the plugin reports at once with the
 * server's reason instead of waiting out its timeout.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import Install from '../../src/commands/install.ts';
import RouteAdd from '../../src/commands/route/add.ts';
import { runCommand, runExecutable } from '../support/cli.ts';

const plane = inject('realControlPlane');
const ns = `tg-restricted-${process.pid.toString(36)}`;

const kubectl = (...args: string[]) => runExecutable('kubectl', args, { KUBECONFIG: plane.kubeconfig });
const run = (command: Parameters<typeof runCommand>[0], ...args: string[]) =>
  runCommand(command, ['--kubeconfig', plane.kubeconfig, '-n', ns, ...args]);

describe('Pod Security restricted', () => {
  beforeAll(async () => {
    expect((await kubectl('create', 'namespace', ns)).exitCode).toBe(0);
    const labelled = await kubectl(
      'label',
      'namespace',
      ns,
      'pod-security.kubernetes.io/enforce=restricted',
      'pod-security.kubernetes.io/enforce-version=latest',
    );
    expect(labelled.exitCode, labelled.stderr).toBe(0);
  });

  afterAll(async () => {
    await kubectl('delete', 'namespace', ns, '--wait=false');
  });

  it('admits the bundled gateway: install rolls it out where restricted is enforced', async () => {
    const installed = await run(Install, '--timeout', '2m');
    expect(installed.exitCode, installed.stderr).toBe(0);
    expect(installed.stdout).toContain(`Ready: deployment ${ns}/trigger-gateway 2/2 pods.`);
  });

  it('reports pods the admission refuses with its reason and exit 7, and install restores a compliant gateway', async () => {
    // A hand edit the restricted level forbids: the Deployment is accepted, its pods are not.
    const patched = await kubectl(
      'patch',
      'deployment',
      'trigger-gateway',
      '-n',
      ns,
      '--type',
      'json',
      '-p',
      '[{"op":"replace","path":"/spec/template/spec/containers/0/securityContext/allowPrivilegeEscalation","value":true}]',
    );
    expect(patched.exitCode, patched.stderr).toBe(0);

    const refused = await run(RouteAdd, '/github', 'el-github.ci:8080', '--timeout', '2m');
    expect(refused.exitCode).toBe(7);
    expect(refused.stderr).toContain(`the cluster refuses the pods of deployment ${ns}/trigger-gateway`);
    expect(refused.stderr).toContain('violates PodSecurity "restricted:latest"');
    expect(refused.stderr).toContain('allowPrivilegeEscalation');
    expect(refused.stderr).toContain(`kubectl get namespace ${ns} --show-labels`);

    const restored = await run(Install, '--timeout', '2m');
    expect(restored.exitCode, restored.stderr).toBe(0);
    expect(restored.stdout).toContain(`Ready: deployment ${ns}/trigger-gateway 2/2 pods.`);
  });
});
