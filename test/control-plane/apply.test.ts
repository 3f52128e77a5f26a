import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ControlPlane, startControlPlane } from '../support/control-plane/index.ts';
import { dig, type Kubectl, kubectlFor, raw } from './helpers.ts';

let plane: ControlPlane;
let kubectl: Kubectl;

beforeAll(async () => {
  plane = await startControlPlane();
  kubectl = kubectlFor(plane, { namespace: 'apply' });
  await kubectl('create', 'namespace', 'apply');
});
afterAll(async () => {
  kubectl.cleanup();
  await plane.stop();
});

const configMap = (name: string, data: Record<string, string>, labels?: Record<string, string>) =>
  JSON.stringify({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, ...(labels ? { labels } : {}) },
    data,
  });

const managers = (name: string) =>
  dig<Array<Record<string, unknown>>>(
    plane.get('configmaps', name, 'apply'),
    'metadata',
    'managedFields',
  ).map((m) => ({
    manager: m.manager,
    operation: m.operation,
    fieldsV1: m.fieldsV1,
  }));

describe('client-side apply', () => {
  it('creates, is unchanged on a re-apply, and configures a change', async () => {
    const first = await kubectl.withInput(configMap('csa', { one: '1' }), 'apply', '-f', '-');
    expect(first).toMatchObject({ code: 0, stdout: 'configmap/csa created\n', stderr: '' });
    const second = await kubectl.withInput(configMap('csa', { one: '1' }), 'apply', '-f', '-');
    expect(second.stdout).toBe('configmap/csa unchanged\n');
    const third = await kubectl.withInput(configMap('csa', { one: '2', two: '2' }), 'apply', '-f', '-');
    expect(third.stdout).toBe('configmap/csa configured\n');
    const stored = plane.get('configmaps', 'csa', 'apply');
    expect(stored?.data).toEqual({ one: '2', two: '2' });
    expect(stored?.metadata.annotations?.['kubectl.kubernetes.io/last-applied-configuration']).toContain(
      '"two":"2"',
    );
    const dropped = await kubectl.withInput(configMap('csa', { two: '2' }), 'apply', '-f', '-');
    expect(dropped.stdout).toBe('configmap/csa configured\n');
    expect(plane.get('configmaps', 'csa', 'apply')?.data).toEqual({ two: '2' });
  });

  it('records Update managed fields for the client-side-apply manager', () => {
    expect(managers('csa')).toEqual([
      {
        manager: 'kubectl-client-side-apply',
        operation: 'Update',
        fieldsV1: {
          'f:data': { '.': {}, 'f:two': {} },
          'f:metadata': {
            'f:annotations': { '.': {}, 'f:kubectl.kubernetes.io/last-applied-configuration': {} },
          },
        },
      },
    ]);
  });
});

describe('server-side apply', () => {
  const ssa = (input: string, ...flags: string[]) =>
    kubectl.withInput(input, 'apply', '--server-side', '-f', '-', ...flags);

  it('creates the object and owns the applied fields', async () => {
    const created = await ssa(configMap('ssa', { one: '1', two: '2' }, { app: 'demo' }));
    expect(created).toMatchObject({ code: 0, stdout: 'configmap/ssa serverside-applied\n', stderr: '' });
    expect(managers('ssa')).toEqual([
      {
        manager: 'kubectl',
        operation: 'Apply',
        fieldsV1: { 'f:data': { 'f:one': {}, 'f:two': {} }, 'f:metadata': { 'f:labels': { 'f:app': {} } } },
      },
    ]);
  });

  it('is a no-op when the same configuration is applied again', async () => {
    const before = plane.get('configmaps', 'ssa', 'apply')?.metadata.resourceVersion;
    expect((await ssa(configMap('ssa', { one: '1', two: '2' }, { app: 'demo' }))).code).toBe(0);
    expect(plane.get('configmaps', 'ssa', 'apply')?.metadata.resourceVersion).toBe(before);
  });

  it('removes a field the manager stops applying', async () => {
    expect((await ssa(configMap('ssa', { one: '1' }, { app: 'demo' }))).code).toBe(0);
    expect(plane.get('configmaps', 'ssa', 'apply')?.data).toEqual({ one: '1' });
  });

  it('keeps a dropped field that another manager also owns', async () => {
    await ssa(configMap('ssa', { one: '1', shared: 's' }, { app: 'demo' }));
    await ssa(configMap('ssa', { shared: 's' }), '--field-manager=other');
    await ssa(configMap('ssa', { one: '1' }, { app: 'demo' }));
    expect(plane.get('configmaps', 'ssa', 'apply')?.data).toEqual({ one: '1', shared: 's' });
  });

  it('reports a conflict with another manager, and takes the field with --force-conflicts', async () => {
    expect((await kubectl('patch', 'configmap', 'ssa', '-p', '{"data":{"one":"patched"}}')).code).toBe(0);
    const conflicted = await ssa(configMap('ssa', { one: '1' }, { app: 'demo' }));
    expect(conflicted.code).not.toBe(0);
    expect(conflicted.stderr).toContain(
      'error: Apply failed with 1 conflict: conflict with "kubectl-patch" using v1: .data.one',
    );
    const forced = await ssa(configMap('ssa', { one: '1' }, { app: 'demo' }), '--force-conflicts');
    expect(forced.code).toBe(0);
    expect(dig(plane.get('configmaps', 'ssa', 'apply'), 'data', 'one')).toBe('1');
    expect(managers('ssa').map((m) => m.manager)).not.toContain('kubectl-patch');
  });

  it('lists every conflict, grouped by manager', async () => {
    await kubectl('patch', 'configmap', 'ssa', '-p', '{"data":{"one":"x","shared":"y"}}');
    const response = await raw(
      plane,
      'PATCH',
      '/api/v1/namespaces/apply/configmaps/ssa?fieldManager=kubectl',
      {
        contentType: 'application/apply-patch+yaml',
        body: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa\ndata:\n  one: "1"\n  shared: "s"\n',
      },
    );
    expect(response.status).toBe(409);
    expect(response.body.message).toBe(
      'Apply failed with 2 conflicts: conflicts with "kubectl-patch" using v1:\n- .data.one\n- .data.shared',
    );
    expect((response.body.details as { causes: unknown[] }).causes).toEqual([
      { type: 'FieldManagerConflict', message: 'conflict with "kubectl-patch" using v1', field: '.data.one' },
      {
        type: 'FieldManagerConflict',
        message: 'conflict with "kubectl-patch" using v1',
        field: '.data.shared',
      },
    ]);
  });

  it('requires a field manager', async () => {
    const response = await raw(plane, 'PATCH', '/api/v1/namespaces/apply/configmaps/ssa', {
      contentType: 'application/apply-patch+yaml',
      body: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa\n',
    });
    expect(response.status).toBe(422);
    expect(response.body.message).toContain('fieldManager: Required value: is required for apply patch');
  });

  it('stores nothing with --dry-run=server', async () => {
    const result = await ssa(configMap('dry', { a: 'b' }), '--dry-run=server');
    expect(result.stdout).toBe('configmap/dry serverside-applied (server dry run)\n');
    expect(plane.get('configmaps', 'dry', 'apply')).toBeUndefined();
  });

  it('merges associative lists by key and tracks them with k: entries', async () => {
    const deployment = (containers: object[]) =>
      JSON.stringify({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'web' },
        spec: {
          selector: { matchLabels: { app: 'web' } },
          template: { metadata: { labels: { app: 'web' } }, spec: { containers } },
        },
      });
    await ssa(deployment([{ name: 'app', image: 'app:1', ports: [{ containerPort: 80 }] }]));
    await ssa(deployment([{ name: 'sidecar', image: 'side:1' }]), '--field-manager=sidecar-injector');
    const stored = plane.get('deployments', 'web', 'apply');
    const containers = dig<Array<{ name: string }>>(stored, 'spec', 'template', 'spec', 'containers');
    expect(containers.map((c) => c.name)).toEqual(['app', 'sidecar']);
    const entries = dig<Array<{ manager: string; fieldsV1: unknown }>>(stored, 'metadata', 'managedFields');
    const kubectlEntry = entries.find((m) => m.manager === 'kubectl');
    expect(kubectlEntry?.fieldsV1).toMatchObject({
      'f:spec': {
        'f:selector': {},
        'f:template': {
          'f:spec': {
            'f:containers': {
              'k:{"name":"app"}': {
                '.': {},
                'f:image': {},
                'f:name': {},
                'f:ports': { 'k:{"containerPort":80,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {} } },
              },
            },
          },
        },
      },
    });
  });
});
