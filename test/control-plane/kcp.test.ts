import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ControlPlane, startControlPlane } from '../support/control-plane/index.ts';
import {
  dig,
  type Kubectl,
  kubectlFor,
  listResourceVersion,
  raw,
  until,
  type WatchEvent,
  watchUntil,
} from './helpers.ts';

let plane: ControlPlane;
let root: Kubectl;
let org: Kubectl;

const WORKSPACES = 'apis/tenancy.kcp.io/v1alpha1/workspaces';

const workspaceYaml = (name: string, type?: string) =>
  [
    'apiVersion: tenancy.kcp.io/v1alpha1',
    'kind: Workspace',
    'metadata:',
    `  name: ${name}`,
    ...(type ? ['spec:', '  type:', `    name: ${type}`] : []),
  ].join('\n');

const phaseOf = (event: WatchEvent) => dig<string>(event.object, 'status', 'phase');

/** Watches one Workspace from `resourceVersion` until `done` holds for its latest event. */
const watchWorkspace = (
  parent: string,
  name: string,
  resourceVersion: string,
  done: (e: WatchEvent) => boolean,
) =>
  watchUntil(
    plane,
    `/clusters/${parent}/${WORKSPACES}?watch=1&resourceVersion=${resourceVersion}&fieldSelector=metadata.name%3D${name}`,
    (events) => events.length > 0 && done(events.at(-1) as WatchEvent),
  );

const resourceVersionOf = (parent: string) => listResourceVersion(plane, `/clusters/${parent}/${WORKSPACES}`);

beforeAll(async () => {
  plane = await startControlPlane({
    kcp: {
      workspaces: [
        { path: 'root:org' },
        { path: 'root:compute', type: 'universal' },
        { path: 'root:frozen-seed', type: 'frozen' },
      ],
      workspaceTypes: [
        { name: 'frozen', stuck: true },
        { name: 'leaf', limitAllowedChildren: ['organization', 'team'] },
      ],
    },
    users: {
      'admin-token': { name: 'admin' },
      'bob-token': { name: 'bob', deny: [{ workspace: 'root:org' }] },
      'carol-token': {
        name: 'carol',
        deny: [{ workspace: 'root:org', verb: 'delete', resource: 'configmaps' }],
      },
    },
  });
  root = kubectlFor(plane);
  org = kubectlFor(plane, { workspace: 'root:org' });
});
afterAll(async () => {
  root.cleanup();
  org.cleanup();
  await plane.stop();
});

describe('kcp workspaces', () => {
  it('lists workspaces with kcp columns, and writes kubeconfigs that point at a workspace', async () => {
    const result = await root('get', 'workspaces');
    expect(result.stderr).toBe('');
    const [header, ...rows] = result.stdout
      .trim()
      .split('\n')
      .map((line) => line.split(/\s+/));
    expect(header).toEqual(['NAME', 'TYPE', 'REGION', 'PHASE', 'URL', 'AGE']);
    expect(rows.find((r) => r[0] === 'org')?.slice(0, 4)).toEqual([
      'org',
      'organization',
      'Ready',
      `${plane.url}/clusters/root:org`,
    ]);
    expect(rows.find((r) => r[0] === 'compute')?.[1]).toBe('universal');
    expect((await root('get', 'ws', 'org', '-o', 'name')).stdout.trim()).toBe('workspace.tenancy.kcp.io/org');
    expect(plane.workspaceUrl('root:org')).toBe(`${plane.url}/clusters/root:org`);
    expect((await org('config', 'view', '-o', 'jsonpath={.clusters[0].cluster.server}')).stdout).toBe(
      `${plane.url}/clusters/root:org`,
    );
  });

  it('keeps each logical cluster to its own objects', async () => {
    expect((await org('create', 'configmap', 'settings', '--from-literal=k=v')).code).toBe(0);
    const applied = await org.withInput(
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied\ndata:\n  a: b\n',
      'apply',
      '-f',
      '-',
    );
    expect(applied.stdout.trim()).toBe('configmap/applied created');
    expect((await org('get', 'configmaps', '-o', 'name')).stdout.split('\n')).toEqual(
      expect.arrayContaining(['configmap/settings', 'configmap/applied']),
    );
    expect(plane.cluster('root:org')?.get('configmaps', 'settings', 'default')?.data).toEqual({ k: 'v' });
    expect(plane.get('configmaps', 'settings', 'default')).toBeUndefined();
    expect(plane.cluster('root:compute')?.get('configmaps', 'settings', 'default')).toBeUndefined();
    expect((await root('get', 'configmaps', '-o', 'name')).stdout).toBe('');
    expect(plane.cluster('root:nowhere')).toBeUndefined();
    expect(plane.requests).toContainEqual(
      expect.objectContaining({
        method: 'POST',
        path: '/clusters/root:org/api/v1/namespaces/default/configmaps',
      }),
    );
  });

  it('takes a new workspace through Scheduling and Initializing to Ready, and serves it at spec.URL', async () => {
    const resourceVersion = await resourceVersionOf('root:org');
    const created = await org.withInput(workspaceYaml('infra', 'team'), 'create', '-f', '-');
    expect(created.stdout.trim()).toBe('workspace.tenancy.kcp.io/infra created');
    const events = await watchWorkspace('root:org', 'infra', resourceVersion, (e) => phaseOf(e) === 'Ready');
    expect(events.map(phaseOf).filter((p, i, all) => p !== all[i - 1])).toEqual([
      'Scheduling',
      'Initializing',
      'Ready',
    ]);
    const initializing = events.find((e) => phaseOf(e) === 'Initializing')?.object;
    expect(dig(initializing, 'status', 'initializers')).toEqual(['root:team']);
    expect(dig(initializing, 'status', 'conditions')).toContainEqual(
      expect.objectContaining({ type: 'WorkspaceInitialized', status: 'False', reason: 'InitializerExists' }),
    );
    const ready = (events.at(-1) as WatchEvent).object;
    expect(dig(ready, 'metadata', 'labels', 'tenancy.kcp.io/phase')).toBe('Ready');
    expect(dig(ready, 'spec', 'type')).toEqual({ name: 'team', path: 'root' });
    expect(dig<string>(ready, 'spec', 'cluster')).toMatch(/^[a-z0-9]{16}$/);
    expect(dig(ready, 'status', 'initializers')).toBeUndefined();
    expect(dig(ready, 'status', 'conditions')).toEqual([
      expect.objectContaining({ type: 'WorkspaceScheduled', status: 'True' }),
      expect.objectContaining({ type: 'WorkspaceInitialized', status: 'True' }),
    ]);
    const url = dig<string>(ready, 'spec', 'URL');
    expect(url).toBe(`${plane.url}/clusters/root:org:infra`);

    expect((await org(`--server=${url}`, 'create', 'configmap', 'inside')).code).toBe(0);
    expect((await org(`--server=${url}`, 'get', 'configmap', 'inside', '-o', 'name')).stdout.trim()).toBe(
      'configmap/inside',
    );
    expect(plane.cluster('root:org:infra')?.get('configmaps', 'inside', 'default')).toBeDefined();
    expect(
      plane.cluster('root:org:infra')?.get('logicalclusters', 'cluster')?.metadata.annotations,
    ).toMatchObject({
      'kcp.io/path': 'root:org:infra',
      'internal.tenancy.kcp.io/type': 'root:team',
    });
  });

  it('defaults the type from the parent type', async () => {
    const resourceVersion = await resourceVersionOf('root');
    expect((await root.withInput(workspaceYaml('second'), 'create', '-f', '-')).code).toBe(0);
    const [event] = await watchWorkspace('root', 'second', resourceVersion, () => true);
    expect(dig(event?.object, 'spec', 'type')).toEqual({ name: 'organization', path: 'root' });
    expect(dig(event?.object, 'status', 'phase')).toBe('Scheduling');
  });

  it('answers 403 in kcp wording when a type may not go under the parent type', async () => {
    const compute = kubectlFor(plane, { workspace: 'root:compute' });
    const result = await compute.withInput(workspaceYaml('infra', 'team'), 'create', '-f', '-');
    compute.cleanup();
    expect(result.stderr.trim()).toBe(
      'Error from server (Forbidden): error when creating "STDIN": workspaces.tenancy.kcp.io "infra" is forbidden: workspace type root:team only allows [root:organization] parent workspaces, but parent type root:universal only implements [root:universal]',
    );
    const leaf = await raw(plane, 'POST', `/${WORKSPACES}`, {
      body: {
        apiVersion: 'tenancy.kcp.io/v1alpha1',
        kind: 'Workspace',
        metadata: { name: 'leafy' },
        spec: { type: { name: 'leaf' } },
      },
    });
    expect(leaf.status).toBe(201);
    await until(() => plane.cluster('root:leafy'), 'root:leafy');
    const child = await raw(plane, 'POST', `/clusters/root:leafy/${WORKSPACES}`, {
      body: { apiVersion: 'tenancy.kcp.io/v1alpha1', kind: 'Workspace', metadata: { name: 'kid' } },
    });
    expect(child.body).toMatchObject({
      reason: 'Forbidden',
      code: 403,
      message:
        'workspaces.tenancy.kcp.io "kid" is forbidden: workspace type root:leaf only allows [root:organization root:team] child workspaces, but child type root:universal only implements [root:universal]',
      details: { name: 'kid', group: 'tenancy.kcp.io', kind: 'workspaces' },
    });
  });

  it('refuses unknown types, bad and reserved names, and existing names', async () => {
    const post = (metadata: object, spec: object = {}) =>
      raw(plane, 'POST', `/clusters/root:org/${WORKSPACES}`, {
        body: { apiVersion: 'tenancy.kcp.io/v1alpha1', kind: 'Workspace', metadata, spec },
      });
    const unknown = await org.withInput(workspaceYaml('x', 'nosuchtype'), 'create', '-f', '-');
    expect(unknown.stderr).toContain(
      'workspaces.tenancy.kcp.io "x" is forbidden: workspace type "nosuchtype" cannot be resolved',
    );
    expect((await post({ name: 'y' }, { type: { name: 'nosuchtype', path: 'root' } })).body.message).toBe(
      'workspaces.tenancy.kcp.io "y" is forbidden: workspace type "root:nosuchtype" cannot be resolved',
    );
    const badName = await post({ name: '1st' });
    expect(badName.status).toBe(422);
    expect(badName.body).toMatchObject({
      reason: 'Invalid',
      message:
        'Workspace.tenancy.kcp.io "1st" is invalid: metadata.name: Invalid value: "1st": metadata.name in body should match \'^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$\'',
      details: { name: '1st', group: 'tenancy.kcp.io', kind: 'Workspace' },
    });
    expect((await post({ name: 'system' })).body).toMatchObject({
      code: 422,
      message:
        'Workspace.tenancy.kcp.io "system" is invalid: metadata.name: Invalid value: "system": name is reserved',
    });
    expect((await post({ name: 'any' })).status).toBe(422);
    const existing = await root.withInput(workspaceYaml('org'), 'create', '-f', '-');
    expect(existing.stderr).toContain('workspaces.tenancy.kcp.io "org" already exists');
  });

  it('leaves workspaces of a type with a stuck initializer Initializing', async () => {
    expect(dig(plane.get('workspaces', 'frozen-seed'), 'status', 'phase')).toBe('Initializing');
    const resourceVersion = await resourceVersionOf('root');
    expect((await root.withInput(workspaceYaml('frozen', 'frozen'), 'create', '-f', '-')).code).toBe(0);
    await watchWorkspace('root', 'frozen', resourceVersion, (e) => phaseOf(e) === 'Initializing');
    // The work queue runs in order: once a workspace created later is Ready, the stuck one had its turn.
    expect((await root.withInput(workspaceYaml('later', 'universal'), 'create', '-f', '-')).code).toBe(0);
    await watchWorkspace('root', 'later', resourceVersion, (e) => phaseOf(e) === 'Ready');
    const frozen = plane.get('workspaces', 'frozen');
    expect(dig(frozen, 'status', 'phase')).toBe('Initializing');
    expect(dig(frozen, 'status', 'initializers')).toEqual(['root:frozen']);
    expect(plane.cluster('root:frozen')).toBeDefined();
  });

  it('serves a logical cluster under its id as under its path', async () => {
    const id = dig<string>(plane.get('workspaces', 'org'), 'spec', 'cluster');
    const byId = await raw(plane, 'GET', `/clusters/${id}/api/v1/namespaces/default/configmaps/settings`);
    expect(byId.status).toBe(200);
    expect(dig(byId.body, 'data')).toEqual({ k: 'v' });
    const result = await root(
      `--server=${plane.url}/clusters/${id}`,
      'get',
      'configmap',
      'settings',
      '-o',
      'name',
    );
    expect(result.stdout.trim()).toBe('configmap/settings');
  });

  it('removes the logical clusters of a deleted workspace and everything below it', async () => {
    const resourceVersion = await resourceVersionOf('root');
    await root.withInput(workspaceYaml('doomed'), 'create', '-f', '-');
    await watchWorkspace('root', 'doomed', resourceVersion, (e) => phaseOf(e) === 'Ready');
    await raw(plane, 'POST', `/clusters/root:doomed/${WORKSPACES}`, {
      body: { apiVersion: 'tenancy.kcp.io/v1alpha1', kind: 'Workspace', metadata: { name: 'below' } },
    });
    await until(() => plane.cluster('root:doomed:below'), 'root:doomed:below');
    expect((await root('delete', 'workspace', 'doomed')).code).toBe(0);
    await until(() => !plane.cluster('root:doomed') && !plane.cluster('root:doomed:below'), 'removal');
    expect((await raw(plane, 'GET', '/clusters/root:doomed:below/api/v1/namespaces')).status).toBe(403);
  });
});

describe('kcp workspace access', () => {
  const forbiddenList = (user: string) =>
    `configmaps is forbidden: User "${user}" cannot list resource "configmaps" in API group "" in the namespace "default": workspace access not permitted`;

  it('answers 403 alike for a workspace that does not exist and one the user may not enter', async () => {
    const missing = await raw(plane, 'GET', '/clusters/root:nope/api/v1/namespaces/default/configmaps');
    expect(missing.status).toBe(403);
    expect(missing.body).toMatchObject({
      kind: 'Status',
      status: 'Failure',
      reason: 'Forbidden',
      code: 403,
      message: forbiddenList('admin'),
      details: { group: '', kind: 'configmaps' },
    });
    const denied = await raw(plane, 'GET', '/clusters/root:org/api/v1/namespaces/default/configmaps', {
      token: 'bob-token',
    });
    expect(denied.body).toMatchObject({ code: 403, message: forbiddenList('bob') });
    expect((await raw(plane, 'GET', '/clusters/root:nope/apis')).body.message).toBe(
      'forbidden: User "admin" cannot get path "/apis": workspace access not permitted',
    );
    const named = await raw(plane, 'DELETE', '/clusters/root:nope/apis/apps/v1/namespaces/x/deployments/web');
    expect(named.body.message).toBe(
      'deployments.apps "web" is forbidden: User "admin" cannot delete resource "deployments" in API group "apps" in the namespace "x": workspace access not permitted',
    );
    expect((await raw(plane, 'GET', '/clusters/root:nope/version')).status).toBe(200);
    expect(plane.requests).toContainEqual(
      expect.objectContaining({ method: 'GET', path: '/clusters/root:nope/apis', status: 403 }),
    );
  });

  it('shows kubectl the same Forbidden either way, and lets the user in elsewhere', async () => {
    const bob = kubectlFor(plane, { token: 'bob-token', workspace: 'root:org' });
    const nowhere = kubectlFor(plane, { workspace: 'root:nope' });
    const denied = await bob('get', 'configmaps');
    const missing = await nowhere('get', 'configmaps');
    const bobInRoot = await bob(`--server=${plane.url}/clusters/root`, 'get', 'workspaces', '-o', 'name');
    bob.cleanup();
    nowhere.cleanup();
    for (const result of [denied, missing]) {
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain('Error from server (Forbidden)');
    }
    expect(bobInRoot.stdout).toContain('workspace.tenancy.kcp.io/org');
  });

  it('applies a deny rule naming a workspace only in that workspace, with the usual wording', async () => {
    plane.put({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'rooted' } });
    const carolOrg = kubectlFor(plane, { token: 'carol-token', workspace: 'root:org' });
    const carolRoot = kubectlFor(plane, { token: 'carol-token', workspace: 'root' });
    const inOrg = await carolOrg('delete', 'configmap', 'applied');
    const listed = await carolOrg('get', 'configmap', 'applied', '-o', 'name');
    const inRoot = await carolRoot('delete', 'configmap', 'rooted');
    carolOrg.cleanup();
    carolRoot.cleanup();
    expect(inOrg.stderr.trim()).toBe(
      'Error from server (Forbidden): configmaps "applied" is forbidden: User "carol" cannot delete resource "configmaps" in API group "" in the namespace "default"',
    );
    expect(listed.stdout.trim()).toBe('configmap/applied');
    expect(inRoot.stdout.trim()).toBe('configmap "rooted" deleted');
  });
});
