import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ControlPlane, startControlPlane } from '../support/control-plane/index.ts';
import { type Kubectl, kubectlFor, raw } from './helpers.ts';

let plane: ControlPlane;
let admin: Kubectl;
let alice: Kubectl;

beforeAll(async () => {
  plane = await startControlPlane({
    users: {
      'admin-token': { name: 'admin' },
      'alice-token': {
        name: 'alice',
        deny: [
          { verb: 'patch', resource: 'configmaps', namespace: 'team' },
          { verb: 'list', resource: 'namespaces' },
        ],
      },
    },
  });
  admin = kubectlFor(plane);
  alice = kubectlFor(plane, { token: 'alice-token', namespace: 'team' });
  await admin('create', 'namespace', 'team');
  await admin('create', 'configmap', 'x', '-n', 'team', '--from-literal=k=v');
});
afterAll(async () => {
  admin.cleanup();
  alice.cleanup();
  await plane.stop();
});

describe('authentication and authorization', () => {
  it('answers 401 to an unknown token', async () => {
    const stranger = kubectlFor(plane, { token: 'wrong' });
    const result = await stranger('get', 'configmaps');
    stranger.cleanup();
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(
      'error: You must be logged in to the server (the server has asked for the client to provide credentials)',
    );
    const response = await raw(plane, 'GET', '/api/v1/configmaps', { token: 'wrong' });
    expect(response.body).toMatchObject({
      kind: 'Status',
      status: 'Failure',
      reason: 'Unauthorized',
      code: 401,
    });
    expect(plane.requests.at(-1)).toMatchObject({ user: '', status: 401 });
  });

  it('answers 403 in the real wording when a deny rule matches', async () => {
    const result = await alice('label', 'configmap', 'x', 'a=b');
    expect(result.code).not.toBe(0);
    expect(result.stderr.trim()).toBe(
      'Error from server (Forbidden): configmaps "x" is forbidden: User "alice" cannot patch resource "configmaps" in API group "" in the namespace "team"',
    );
    const namespaces = await alice('get', 'namespaces');
    expect(namespaces.stderr).toContain(
      'namespaces is forbidden: User "alice" cannot list resource "namespaces" in API group "" at the cluster scope',
    );
    const response = await raw(plane, 'PATCH', '/api/v1/namespaces/team/configmaps/x', {
      token: 'alice-token',
      contentType: 'application/merge-patch+json',
      body: {},
    });
    expect(response.body).toMatchObject({
      reason: 'Forbidden',
      code: 403,
      details: { name: 'x', group: '', kind: 'configmaps' },
    });
  });

  it('allows whatever no rule denies', async () => {
    expect((await alice('get', 'configmap', 'x', '-o', 'name')).stdout.trim()).toBe('configmap/x');
    expect(plane.requests.at(-1)).toMatchObject({ user: 'alice', status: 200 });
  });
});
