import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import nock from 'nock';
import { afterEach, beforeEach, expect, it } from 'vitest';
import Install from '../../src/commands/install.ts';
import { runCommand } from '../support/cli.ts';
import { type ControlPlane, startControlPlane } from '../support/control-plane/index.ts';
import { writeKubeconfig } from '../support/kubeconfig.ts';

/** HTTP faults injected in front of a real local control plane: everything not matched passes through. */
let plane: ControlPlane;
let kubeconfig: string;

beforeEach(async () => {
  plane = await startControlPlane();
  kubeconfig = plane.writeKubeconfig(join(mkdtempSync(join(tmpdir(), 'tg-faults-')), 'kubeconfig'));
});

afterEach(async () => {
  nock.cleanAll();
  await plane.stop();
});

function names(resource: string): string[] {
  return plane.list(resource).map((object) => `${object.metadata.namespace ?? ''}/${object.metadata.name}`);
}

it('a 500 on the first read stops install before anything is written', async () => {
  const scope = nock(plane.url, { allowUnmocked: true })
    .get('/api/v1/namespaces/trigger-gateway/configmaps/trigger-gateway-haproxy')
    .reply(500, {
      kind: 'Status',
      apiVersion: 'v1',
      status: 'Failure',
      code: 500,
      message: 'etcdserver: leader changed',
    });
  const result = await runCommand(Install, ['--kubeconfig', kubeconfig]);
  scope.done();
  expect(result.exitCode).toBe(4);
  expect(result.stderr).toContain('error: the API server failed to get configmaps/trigger-gateway-haproxy');
  expect(result.stderr).toContain('why: etcdserver: leader changed');
  expect(plane.requests.filter((request) => request.method !== 'GET')).toEqual([]);
});

it('an API server that never answers fails after --request-timeout, with the limit named', async () => {
  const silent = createServer(() => {
    // Accepts the request and never answers, like an overloaded or half-dead API server.
  });
  await new Promise<void>((done) => silent.listen(0, '127.0.0.1', done));
  const { port } = silent.address() as AddressInfo;
  try {
    const config = writeKubeconfig({ server: `http://127.0.0.1:${port}` });
    const result = await runCommand(Install, ['--kubeconfig', config, '--request-timeout', '200ms']);
    expect(result.exitCode).toBe(4);
    expect(result.stderr).toContain(
      `error: the cluster at http://127.0.0.1:${port} (context "test") did not answer within 0.2s`,
    );
    expect(result.stderr).toContain('try: raise the limit, e.g. --request-timeout=2m');
  } finally {
    silent.closeAllConnections();
    silent.close();
  }
});

it('a conflict during the dry run removes the namespace it had to create, leaving the cluster as it was', async () => {
  const before = names('namespaces');
  const scope = nock(plane.url, { allowUnmocked: true })
    .patch(/\/deployments\/trigger-gateway\?.*dryRun=All/)
    .reply(409, {
      kind: 'Status',
      apiVersion: 'v1',
      status: 'Failure',
      code: 409,
      reason: 'Conflict',
      message: 'Apply failed with 1 conflict: conflict with "helm": .spec.replicas',
    });
  const result = await runCommand(Install, ['--kubeconfig', kubeconfig]);
  scope.done();
  expect(result.exitCode).toBe(7);
  expect(result.stderr).toContain('conflict with "helm": .spec.replicas');
  expect(names('namespaces')).toEqual(before);
  expect(names('configmaps')).toEqual([]);
});

it('a 500 halfway through says how far it got, and running install again finishes the job', async () => {
  const scope = nock(plane.url, { allowUnmocked: true })
    .patch(/\/ingresses\/trigger-gateway\?(?!.*dryRun)/)
    .reply(500, {
      kind: 'Status',
      apiVersion: 'v1',
      status: 'Failure',
      code: 500,
      message: 'etcdserver: request timed out',
    });
  const first = await runCommand(Install, ['--kubeconfig', kubeconfig]);
  scope.done();
  expect(first.exitCode).toBe(4);
  expect(first.stderr).toContain('install stopped after applying 7 of 8 objects');
  expect(first.stderr).toContain('try: run the same install again');
  expect(names('ingresses')).toEqual([]);

  const second = await runCommand(Install, ['--kubeconfig', kubeconfig, '-o', 'json']);
  expect(second.exitCode, second.stderr).toBe(0);
  const actions = JSON.parse(second.stdout) as { objects: Array<{ kind: string; action: string }> };
  expect(
    actions.objects.filter((object) => object.action === 'created').map((object) => object.kind),
  ).toEqual(['Ingress']);
});
