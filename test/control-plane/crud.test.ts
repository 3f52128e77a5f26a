import { load } from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ControlPlane, startControlPlane } from '../support/control-plane/index.ts';
import { type Kubectl, kubectlFor, raw } from './helpers.ts';

let plane: ControlPlane;
let kubectl: Kubectl;

beforeAll(async () => {
  plane = await startControlPlane();
  kubectl = kubectlFor(plane, { namespace: 'crud' });
  await kubectl('create', 'namespace', 'crud');
});
afterAll(async () => {
  kubectl.cleanup();
  await plane.stop();
});

const names = (stdout: string) => stdout.trim().split('\n').filter(Boolean).sort();

describe('create, get and list', () => {
  it('creates objects and lists them with label selectors', async () => {
    for (const [name, labels] of [
      ['alpha', 'tier=web,env=prod'],
      ['beta', 'tier=db,env=prod'],
      ['gamma', 'tier=web'],
    ] as const) {
      expect((await kubectl('create', 'configmap', name, '--from-literal=k=v')).code).toBe(0);
      expect((await kubectl('label', 'configmap', name, ...labels.split(','))).stdout).toContain('labeled');
    }
    const select = async (selector: string) =>
      names((await kubectl('get', 'cm', '-l', selector, '-o', 'name')).stdout);
    expect(await select('tier=web')).toEqual(['configmap/alpha', 'configmap/gamma']);
    expect(await select('tier==web,env=prod')).toEqual(['configmap/alpha']);
    expect(await select('tier!=web')).toEqual(['configmap/beta']);
    expect(await select('tier in (db,cache)')).toEqual(['configmap/beta']);
    expect(await select('tier notin (db)')).toEqual(['configmap/alpha', 'configmap/gamma']);
    expect(await select('env')).toEqual(['configmap/alpha', 'configmap/beta']);
    expect(await select('!env')).toEqual(['configmap/gamma']);
    const bySelector = await kubectl(
      'get',
      'cm',
      '-A',
      '--field-selector',
      'metadata.name=beta',
      '-o',
      'name',
    );
    expect(names(bySelector.stdout)).toEqual(['configmap/beta']);
  });

  it('prints tables with the real columns', async () => {
    const cms = await kubectl('get', 'configmaps', '-l', 'tier=web');
    expect(cms.stdout.split('\n')[0]).toMatch(/^NAME\s+DATA\s+AGE$/);
    expect(cms.stdout).toMatch(/alpha\s+1\s+\d+s/);
    const all = await kubectl('get', 'cm', '-A', '-l', 'env', '--show-labels');
    expect(all.stdout.split('\n')[0]).toMatch(/^NAMESPACE\s+NAME\s+DATA\s+AGE\s+LABELS$/);
    expect(all.stdout).toMatch(/crud\s+alpha\s+1\s+\S+\s+env=prod,tier=web/);
  });

  it('round-trips -o yaml through kubectl replace', async () => {
    const got = await kubectl('get', 'cm', 'alpha', '-o', 'yaml');
    const object = load(got.stdout) as { data: Record<string, string>; metadata: Record<string, unknown> };
    expect(object.metadata).toMatchObject({
      name: 'alpha',
      namespace: 'crud',
      labels: { tier: 'web', env: 'prod' },
    });
    expect(object.metadata.uid).toBeTypeOf('string');
    expect(object.metadata.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const replaced = await kubectl.withInput(got.stdout.replace('k: v', 'k: replaced'), 'replace', '-f', '-');
    expect(replaced.stdout.trim()).toBe('configmap/alpha replaced');
    expect(plane.get('configmaps', 'alpha', 'crud')?.data).toEqual({ k: 'replaced' });
  });

  it('annotates, and bumps resourceVersion on every write', async () => {
    const before = Number(plane.get('configmaps', 'gamma', 'crud')?.metadata.resourceVersion);
    expect((await kubectl('annotate', 'cm', 'gamma', 'note=hi')).code).toBe(0);
    const after = plane.get('configmaps', 'gamma', 'crud');
    expect(after?.metadata.annotations).toEqual({ note: 'hi' });
    expect(Number(after?.metadata.resourceVersion)).toBeGreaterThan(before);
  });

  it('refuses a second create with AlreadyExists', async () => {
    const again = await kubectl('create', 'configmap', 'alpha');
    expect(again.code).not.toBe(0);
    expect(again.stderr.trim()).toBe('error: failed to create configmap: configmaps "alpha" already exists');
  });

  it('reports a missing object as NotFound', async () => {
    const missing = await kubectl('get', 'configmap', 'nope');
    expect(missing.code).not.toBe(0);
    expect(missing.stderr.trim()).toBe('Error from server (NotFound): configmaps "nope" not found');
    const response = await raw(plane, 'GET', '/apis/apps/v1/namespaces/crud/deployments/nope');
    expect(response.body).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'deployments.apps "nope" not found',
      reason: 'NotFound',
      details: { name: 'nope', group: 'apps', kind: 'deployments' },
      code: 404,
    });
  });

  it('rejects creating into a missing namespace', async () => {
    const result = await kubectl('create', 'configmap', 'x', '-n', 'ghost');
    expect(result.stderr.trim()).toBe('error: failed to create configmap: namespaces "ghost" not found');
  });

  it('validates names (422 Invalid)', async () => {
    const response = await raw(plane, 'POST', '/api/v1/namespaces/crud/configmaps', {
      body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'Bad_Name' } },
    });
    expect(response.status).toBe(422);
    expect(response.body.reason).toBe('Invalid');
    expect(response.body.message).toMatch(
      /^ConfigMap "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain/,
    );
  });

  it('supports generateName', async () => {
    const response = await raw(plane, 'POST', '/api/v1/namespaces/crud/configmaps', {
      body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { generateName: 'gen-' } },
    });
    expect(response.status).toBe(201);
    expect((response.body.metadata as { name: string }).name).toMatch(/^gen-[a-z0-9]{5}$/);
  });

  it('stores nothing for dryRun=All', async () => {
    const response = await raw(plane, 'POST', '/api/v1/namespaces/crud/configmaps?dryRun=All', {
      body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'dry' } },
    });
    expect(response.status).toBe(201);
    expect(plane.get('configmaps', 'dry', 'crud')).toBeUndefined();
    const dryDelete = await kubectl('delete', 'cm', 'alpha', '--dry-run=server');
    expect(dryDelete.stdout).toContain('deleted (server dry run)');
    expect(plane.get('configmaps', 'alpha', 'crud')).toBeDefined();
  });

  it('answers 409 Conflict for a stale resourceVersion', async () => {
    const current = plane.get('configmaps', 'beta', 'crud');
    const stale = {
      ...current,
      metadata: { ...current?.metadata, resourceVersion: '1' },
      data: { k: 'stale' },
    };
    const response = await raw(plane, 'PUT', '/api/v1/namespaces/crud/configmaps/beta', { body: stale });
    expect(response.status).toBe(409);
    expect(response.body).toMatchObject({
      reason: 'Conflict',
      message:
        'Operation cannot be fulfilled on configmaps "beta": the object has been modified; please apply your changes to the latest version and try again',
      details: { name: 'beta', kind: 'configmaps' },
    });
  });

  it('deletes single objects and collections by label', async () => {
    expect((await kubectl('delete', 'cm', 'gamma')).stdout.trim()).toBe('configmap "gamma" deleted');
    const response = await raw(
      plane,
      'DELETE',
      '/api/v1/namespaces/crud/configmaps?labelSelector=env%3Dprod',
    );
    expect(response.status).toBe(200);
    expect(plane.list('configmaps', 'crud').map((o) => o.metadata.name)).not.toContain('beta');
  });

  it('seeds objects through put()', async () => {
    const seeded = plane.put({
      apiVersion: 'triggers.tekton.dev/v1beta1',
      kind: 'EventListener',
      metadata: { name: 'el', namespace: 'crud' },
      spec: { triggers: [] },
      status: { address: { url: 'http://el-el.crud.svc:8080' } },
    });
    expect(seeded.metadata.uid).toBeTypeOf('string');
    const got = await kubectl('get', 'el', 'el', '-o', 'jsonpath={.status.address.url}');
    expect(got.stdout).toBe('http://el-el.crud.svc:8080');
  });
});
