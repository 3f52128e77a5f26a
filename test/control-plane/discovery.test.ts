import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ControlPlane, startControlPlane } from '../support/control-plane/index.ts';
import { type Kubectl, kubectlFor, raw } from './helpers.ts';

let plane: ControlPlane;
let kubectl: Kubectl;

beforeAll(async () => {
  plane = await startControlPlane();
  kubectl = kubectlFor(plane);
});
afterAll(async () => {
  kubectl.cleanup();
  await plane.stop();
});

describe('discovery', () => {
  it('kubectl api-resources lists every served kind without stderr noise', async () => {
    const result = await kubectl('api-resources', '-v=0');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const rows = result.stdout.split('\n').map((line) => line.split(/\s+/));
    const names = rows.map((r) => r[0]);
    for (const name of [
      'namespaces',
      'configmaps',
      'secrets',
      'services',
      'serviceaccounts',
      'endpoints',
      'pods',
      'events',
      'deployments',
      'replicasets',
      'ingresses',
      'ingressclasses',
      'poddisruptionbudgets',
      'eventlisteners',
    ]) {
      expect(names).toContain(name);
    }
    expect(rows.find((r) => r[0] === 'deployments')).toEqual([
      'deployments',
      'deploy',
      'apps/v1',
      'true',
      'Deployment',
    ]);
    expect(rows.find((r) => r[0] === 'eventlisteners')?.slice(1)).toEqual([
      'el',
      'triggers.tekton.dev/v1beta1',
      'true',
      'EventListener',
    ]);
  });

  it('kubectl version reports the server version', async () => {
    const result = await kubectl('version', '-o', 'json');
    expect(JSON.parse(result.stdout).serverVersion.gitVersion).toBe('v1.32.0');
  });

  it('serves legacy discovery to clients that do not ask for the aggregated form', async () => {
    const api = await raw(plane, 'GET', '/api');
    expect(api.body).toMatchObject({ kind: 'APIVersions', versions: ['v1'] });
    const groups = await raw(plane, 'GET', '/apis');
    expect((groups.body.groups as Array<{ name: string }>).map((g) => g.name)).toEqual([
      'apps',
      'networking.k8s.io',
      'policy',
      'apiextensions.k8s.io',
      'triggers.tekton.dev',
    ]);
    const apps = await raw(plane, 'GET', '/apis/apps/v1');
    expect(apps.body.resources).toContainEqual({
      name: 'deployments',
      singularName: 'deployment',
      namespaced: true,
      kind: 'Deployment',
      verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
      shortNames: ['deploy'],
      categories: ['all'],
    });
    expect(apps.body.resources).toContainEqual(expect.objectContaining({ name: 'deployments/status' }));
  });

  it('serves aggregated discovery when asked for it', async () => {
    const accept = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json';
    const apis = await raw(plane, 'GET', '/apis', { accept });
    expect(apis.body.kind).toBe('APIGroupDiscoveryList');
    expect(apis.body.apiVersion).toBe('apidiscovery.k8s.io/v2');
  });

  it('answers health and version endpoints without credentials, everything else needs a token', async () => {
    expect((await raw(plane, 'GET', '/healthz', { token: null })).text).toBe('ok');
    expect((await raw(plane, 'GET', '/version', { token: null })).status).toBe(200);
    expect((await raw(plane, 'GET', '/api/v1/namespaces', { token: null })).status).toBe(401);
  });

  it('records every request with its user and status', async () => {
    await raw(plane, 'GET', '/api/v1/namespaces/default/configmaps?labelSelector=a%3Db');
    expect(plane.requests.at(-1)).toEqual({
      method: 'GET',
      path: '/api/v1/namespaces/default/configmaps',
      query: 'labelSelector=a%3Db',
      user: 'admin',
      status: 200,
    });
  });
});
