import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ControlPlane,
  startControlPlane,
  COMPUTE_EXPORT_RESOURCES,
} from '../support/control-plane/index.ts';
import {
  dig,
  type Kubectl,
  kubectlFor,
  listResourceVersion,
  raw,
  type WatchEvent,
  watchUntil,
} from './helpers.ts';

let plane: ControlPlane;
let bare: Kubectl;
let seeded: Kubectl;

const BINDINGS = 'apis/apis.kcp.io/v1alpha1/apibindings';
const AGGREGATED = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json';

const bindingYaml = (name: string, path: string | undefined, exportName: string) =>
  [
    'apiVersion: apis.kcp.io/v1alpha1',
    'kind: APIBinding',
    'metadata:',
    `  name: ${name}`,
    'spec:',
    '  reference:',
    '    export:',
    ...(path ? [`      path: ${path}`] : []),
    `      name: ${exportName}`,
  ].join('\n');

/** kubectl api-resources as rows of [name, apiVersion]. */
async function apiResources(kubectl: Kubectl): Promise<string[][]> {
  const result = await kubectl('api-resources', '--no-headers', '-o', 'wide');
  expect(result.stderr).toBe('');
  return result.stdout
    .trim()
    .split('\n')
    .map((line) => line.split(/\s+/))
    .map((cells) => [cells[0] ?? '', cells.find((c) => /^(v1|[a-z0-9.-]+\/v[0-9a-z]+)$/.test(c)) ?? '']);
}

/** Watches the APIBindings of `workspace` from `resourceVersion` until binding `name` reaches `phase`. */
async function bindingReaches(workspace: string, name: string, resourceVersion: string, phase: string) {
  const events = await watchUntil(
    plane,
    `/clusters/${workspace}/${BINDINGS}?watch=1&resourceVersion=${resourceVersion}&fieldSelector=metadata.name%3D${name}`,
    (all) => dig((all.at(-1) as WatchEvent | undefined)?.object, 'status', 'phase') === phase,
  );
  return (events.at(-1) as WatchEvent).object;
}

const resourceVersionOf = (workspace: string) =>
  listResourceVersion(plane, `/clusters/${workspace}/${BINDINGS}`);

beforeAll(async () => {
  plane = await startControlPlane({
    kcp: {
      workspaces: [
        { path: 'root:compute', type: 'universal', exports: { kubernetes: COMPUTE_EXPORT_RESOURCES } },
        { path: 'root:org' },
        { path: 'root:org:bare' },
        { path: 'root:org:seeded', bindings: ['root:compute:kubernetes'] },
      ],
    },
  });
  bare = kubectlFor(plane, { workspace: 'root:org:bare' });
  seeded = kubectlFor(plane, { workspace: 'root:org:seeded' });
});
afterAll(async () => {
  bare.cleanup();
  seeded.cleanup();
  await plane.stop();
});

describe('kcp APIExports and APIBindings', () => {
  it('serves only kcp and a few core resources in a workspace without bindings', async () => {
    const rows = await apiResources(bare);
    expect(rows.map((r) => r[0]).sort()).toEqual(
      [
        'apibindings',
        'apiexports',
        'configmaps',
        'events',
        'logicalclusters',
        'namespaces',
        'secrets',
        'serviceaccounts',
        'workspaces',
        'workspacetypes',
      ].sort(),
    );
    expect(rows).toContainEqual(['workspaces', 'tenancy.kcp.io/v1alpha1']);
    expect(rows).toContainEqual(['apibindings', 'apis.kcp.io/v1alpha1']);
    expect(rows).toContainEqual(['logicalclusters', 'core.kcp.io/v1alpha1']);
    const groups = await raw(plane, 'GET', '/clusters/root:org:bare/apis');
    expect((groups.body.groups as Array<{ name: string }>).map((g) => g.name)).toEqual([
      'tenancy.kcp.io',
      'apis.kcp.io',
      'core.kcp.io',
    ]);
    const missing = await raw(
      plane,
      'GET',
      '/clusters/root:org:bare/apis/apps/v1/namespaces/default/deployments',
    );
    expect(missing.body).toMatchObject({
      code: 404,
      message: 'the server could not find the requested resource',
    });
    expect((await raw(plane, 'GET', '/clusters/root:org:bare/api/v1/namespaces/default/pods')).status).toBe(
      404,
    );
    expect((await raw(plane, 'GET', '/clusters/root:org:bare/apis/apps/v1')).status).toBe(404);
    const openapi = await raw(plane, 'GET', '/clusters/root:org:bare/openapi/v3');
    expect(Object.keys(openapi.body.paths as object)).not.toContain('apis/apps/v1');
  });

  it('serves what a binding made at start brings, in every form of discovery', async () => {
    const rows = await apiResources(seeded);
    for (const row of [
      ['deployments', 'apps/v1'],
      ['replicasets', 'apps/v1'],
      ['services', 'v1'],
      ['pods', 'v1'],
      ['endpoints', 'v1'],
      ['ingresses', 'networking.k8s.io/v1'],
      ['ingressclasses', 'networking.k8s.io/v1'],
      ['poddisruptionbudgets', 'policy/v1'],
    ]) {
      expect(rows).toContainEqual(row);
    }
    expect(rows.map((r) => r[0])).not.toContain('eventlisteners');
    const aggregated = await raw(plane, 'GET', '/clusters/root:org:seeded/apis', { accept: AGGREGATED });
    expect(
      (aggregated.body.items as Array<{ metadata: { name: string } }>).map((i) => i.metadata.name),
    ).toEqual(['apps', 'networking.k8s.io', 'policy', 'tenancy.kcp.io', 'apis.kcp.io', 'core.kcp.io']);
    const openapi = await raw(plane, 'GET', '/clusters/root:org:seeded/openapi/v3');
    expect(Object.keys(openapi.body.paths as object)).toContain('apis/apps/v1');

    const binding = plane.cluster('root:org:seeded')?.get('apibindings', 'kubernetes');
    expect(dig(binding, 'status', 'phase')).toBe('Bound');
    expect(dig(binding, 'status', 'boundResources')).toContainEqual({
      group: 'apps',
      resource: 'deployments',
      schema: {
        name: 'v250101-00000000.deployments.apps',
        UID: expect.stringMatching(/^[0-9a-f-]{36}$/),
        identityHash: expect.stringMatching(/^[0-9a-f]{64}$/),
      },
      storageVersions: ['v1'],
    });
    expect(dig(plane.cluster('root:compute')?.get('apiexports', 'kubernetes'), 'spec')).toEqual({
      latestResourceSchemas: COMPUTE_EXPORT_RESOURCES.map(
        (r) => `v250101-00000000.${r.includes('.') ? r : `${r}.core`}`,
      ),
    });
    expect((await seeded('get', 'apibindings')).stdout).toMatch(
      /^NAME\s+AGE\s+READY\nkubernetes\s+\S+\s+True\n$/,
    );
  });

  it('binds an export on request, after which its resources can be used', async () => {
    const resourceVersion = await resourceVersionOf('root:org:bare');
    const created = await bare.withInput(
      bindingYaml('kubernetes', 'root:compute', 'kubernetes'),
      'create',
      '-f',
      '-',
    );
    expect(created.stdout.trim()).toBe('apibinding.apis.kcp.io/kubernetes created');
    const bound = await bindingReaches('root:org:bare', 'kubernetes', resourceVersion, 'Bound');
    expect(dig(bound, 'status', 'conditions')).toEqual([
      expect.objectContaining({ type: 'APIExportValid', status: 'True' }),
      expect.objectContaining({ type: 'InitialBindingCompleted', status: 'True' }),
      expect.objectContaining({ type: 'Ready', status: 'True' }),
    ]);
    expect(dig(bound, 'status', 'apiExportClusterName')).toBe(
      dig(plane.get('workspaces', 'compute'), 'spec', 'cluster'),
    );
    expect((await apiResources(bare)).map((r) => r[0])).toEqual(
      expect.arrayContaining(['deployments', 'services']),
    );
    expect((await bare('create', 'deployment', 'web', '--image=nginx:1.27')).code).toBe(0);
    const rollout = await bare('rollout', 'status', 'deployment/web', '--timeout=30s');
    expect(rollout.stdout).toContain('successfully rolled out');
    expect(plane.cluster('root:org:bare')?.list('pods', 'default')).toHaveLength(1);
    expect(plane.cluster('root:compute')?.list('deployments')).toEqual([]);
    expect(plane.cluster('root:org:seeded')?.list('deployments')).toEqual([]);
  });

  it('refuses a binding to a missing export with the 403 of a missing bind permission, as kcp v0.26 does', async () => {
    const resourceVersion = await resourceVersionOf('root:org');
    const org = kubectlFor(plane, { workspace: 'root:org' });
    const refused = await org.withInput(bindingYaml('later', 'root:compute', 'later'), 'create', '-f', '-');
    expect(refused.stderr).toContain(
      'apibindings.apis.kcp.io "later" is forbidden: unable to create APIBinding: no permission to bind to export root:compute:later',
    );
    expect(plane.cluster('root:org')?.get('apibindings', 'later')).toBeUndefined();
    expect((await apiResources(org)).map((r) => r[0])).not.toContain('ingresses');

    const compute = kubectlFor(plane, { workspace: 'root:compute' });
    const exported = await compute.withInput(
      [
        'apiVersion: apis.kcp.io/v1alpha1',
        'kind: APIExport',
        'metadata:',
        '  name: later',
        'spec:',
        '  latestResourceSchemas: [v250101-00000000.ingresses.networking.k8s.io]',
      ].join('\n'),
      'apply',
      '-f',
      '-',
    );
    compute.cleanup();
    expect(exported.stdout.trim()).toBe('apiexport.apis.kcp.io/later created');
    expect(
      (await org.withInput(bindingYaml('later', 'root:compute', 'later'), 'create', '-f', '-')).code,
    ).toBe(0);
    await bindingReaches('root:org', 'later', resourceVersion, 'Bound');
    expect((await apiResources(org)).map((r) => r[0])).toContain('ingresses');
    org.cleanup();
  });

  it('finds an export without a path in the binding workspace itself', async () => {
    const compute = plane.cluster('root:compute');
    compute?.put({
      apiVersion: 'apis.kcp.io/v1alpha1',
      kind: 'APIExport',
      metadata: { name: 'local' },
      spec: { latestResourceSchemas: ['v250101-00000000.poddisruptionbudgets.policy'] },
    });
    const resourceVersion = await resourceVersionOf('root:compute');
    compute?.put({
      apiVersion: 'apis.kcp.io/v1alpha1',
      kind: 'APIBinding',
      metadata: { name: 'local' },
      spec: { reference: { export: { name: 'local' } } },
    });
    const bound = await bindingReaches('root:compute', 'local', resourceVersion, 'Bound');
    expect(dig(bound, 'status', 'boundResources', '0', 'resource')).toBe('poddisruptionbudgets');
    expect((await raw(plane, 'GET', '/clusters/root:compute/apis/policy/v1')).status).toBe(200);
  });
});
