/**
 * A cluster's own rules, as platform teams write them (a ValidatingAdmissionPolicy, which the local
 * control plane does not imitate): install's server-side dry run meets the refusal before anything
 * is written, and the error carries the policy's message and where to read the policies.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import Install from '../../src/commands/install.ts';
import { runCommand, runExecutable } from '../support/cli.ts';

const plane = inject('realControlPlane');
const ns = `tg-guarded-${process.pid.toString(36)}`;
const POLICY = `tg-test-max-replicas-${process.pid.toString(36)}`;
const kubectl = (...args: string[]) => runExecutable('kubectl', args, { KUBECONFIG: plane.kubeconfig });

async function apply(manifest: object): Promise<void> {
  const file = join(mkdtempSync(join(tmpdir(), 'tg-policy-')), 'manifest.json');
  writeFileSync(file, JSON.stringify(manifest));
  const applied = await kubectl('apply', '-f', file);
  expect(applied.exitCode, applied.stderr).toBe(0);
}

describe('a ValidatingAdmissionPolicy that allows at most 2 gateway replicas', () => {
  beforeAll(async () => {
    expect((await kubectl('create', 'namespace', ns)).exitCode).toBe(0);
    expect((await kubectl('label', 'namespace', ns, 'tg-test/guarded=true')).exitCode).toBe(0);
    await apply({
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicy',
      metadata: { name: POLICY },
      spec: {
        failurePolicy: 'Fail',
        matchConstraints: {
          resourceRules: [
            {
              apiGroups: ['apps'],
              apiVersions: ['v1'],
              operations: ['CREATE', 'UPDATE'],
              resources: ['deployments'],
            },
          ],
        },
        validations: [
          { expression: 'object.spec.replicas <= 2', message: 'at most 2 replicas in guarded namespaces' },
        ],
      },
    });
    await apply({
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicyBinding',
      metadata: { name: POLICY },
      spec: {
        policyName: POLICY,
        validationActions: ['Deny'],
        matchResources: { namespaceSelector: { matchLabels: { 'tg-test/guarded': 'true' } } },
      },
    });
  });

  afterAll(async () => {
    await kubectl('delete', 'validatingadmissionpolicybinding', POLICY);
    await kubectl('delete', 'validatingadmissionpolicy', POLICY);
    await kubectl('delete', 'namespace', ns, '--wait=false');
  });

  it('refuses install --replicas 3 in the dry run, writes nothing, and says which rule and where to look', async () => {
    // The policy takes effect once the API server has loaded it: wait until a dry run of its own is refused.
    await vi.waitFor(
      async () => {
        const probe = await kubectl(
          'create',
          'deployment',
          'probe',
          '--image=x',
          '--replicas=3',
          '-n',
          ns,
          '--dry-run=server',
        );
        expect(probe.stderr).toContain('at most 2 replicas');
      },
      { timeout: 30_000, interval: 200 },
    );
    const refused = await runCommand(Install, [
      '--kubeconfig',
      plane.kubeconfig,
      '-n',
      ns,
      '--replicas',
      '3',
    ]);
    expect(refused.exitCode).toBe(7);
    expect(refused.stderr).toContain('at most 2 replicas in guarded namespaces');
    expect(refused.stderr).toContain('get validatingadmissionpolicies,validatingadmissionpolicybindings');
    const written = await kubectl(
      'get',
      'configmaps,services,deployments,serviceaccounts,ingresses',
      '-n',
      ns,
      '-l',
      'app.kubernetes.io/managed-by=kubectl-trigger-gateway',
      '-o',
      'name',
    );
    expect(written.exitCode, written.stderr).toBe(0);
    expect(written.stdout.trim()).toBe('');

    const allowed = await runCommand(Install, [
      '--kubeconfig',
      plane.kubeconfig,
      '-n',
      ns,
      '--replicas',
      '2',
      '--no-wait',
    ]);
    expect(allowed.exitCode, allowed.stderr).toBe(0);
  });
});
