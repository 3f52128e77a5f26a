import { createServer as createHttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import nock from 'nock';
import { afterEach, describe, expect, it } from 'vitest';
import { ExitCode, GatewayError } from '../../src/errors.ts';
import { KubeClient } from '../../src/kube/client.ts';
import { resolveKubeTarget } from '../../src/kube/kubeconfig.ts';
import { selfSignedCertificate } from '../support/certificates.ts';
import { writeKubeconfig } from '../support/kubeconfig.ts';

const SERVER = 'http://127.0.0.1:6443';
const CONFIGMAP = { apiVersion: 'v1', kind: 'ConfigMap', name: 'trigger-gateway-haproxy', namespace: 'gw' };
const CONFIGMAP_PATH = '/api/v1/namespaces/gw/configmaps/trigger-gateway-haproxy';

function client(server = SERVER, requestTimeoutMs = 30_000): KubeClient {
  return new KubeClient(resolveKubeTarget({ kubeconfig: writeKubeconfig({ server }), requestTimeoutMs }));
}

async function failure(promise: Promise<unknown>): Promise<GatewayError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(GatewayError);
  return error as GatewayError;
}

function status(code: number, reason: string, message: string) {
  return { kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason, message };
}

afterEach(() => {
  nock.cleanAll();
});

describe('API errors a user can act on', () => {
  it('401 says the credentials were rejected and how to check them', async () => {
    const scope = nock(SERVER)
      .get(CONFIGMAP_PATH)
      .reply(401, status(401, 'Unauthorized', 'Unauthorized'));
    const error = await failure(client().read(CONFIGMAP));
    scope.done();
    expect(error.exitCode).toBe(ExitCode.unauthorized);
    expect(error.message).toContain('rejected your credentials');
    expect(error.next.join('\n')).toContain('auth whoami');
  });

  it('403 names the verb and resource that were refused, and the can-i command', async () => {
    const message =
      'configmaps "trigger-gateway-haproxy" is forbidden: User "alice" cannot patch resource "configmaps" in API group "" in the namespace "gw"';
    const scope = nock(SERVER)
      .patch(`${CONFIGMAP_PATH}?fieldManager=kubectl-trigger-gateway&fieldValidation=Strict&force=true`)
      .reply(403, status(403, 'Forbidden', message));
    const object = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: CONFIGMAP.name, namespace: 'gw' },
    };
    const error = await failure(client().apply(object, { force: true }));
    scope.done();
    expect(error.exitCode).toBe(ExitCode.forbidden);
    expect(error.message).toBe(
      'not allowed to patch configmaps/trigger-gateway-haproxy in namespace gw (403 Forbidden)',
    );
    expect(error.why).toBe(message);
    expect(error.next[0]).toBe('kubectl --context test auth can-i patch configmaps -n gw');
  });

  it('500 reports the server failure with its own message', async () => {
    const scope = nock(SERVER)
      .get(CONFIGMAP_PATH)
      .reply(500, status(500, 'InternalError', 'etcdserver: request timed out'));
    const error = await failure(client().read(CONFIGMAP));
    scope.done();
    expect(error.exitCode).toBe(ExitCode.unreachable);
    expect(error.why).toBe('etcdserver: request timed out');
  });

  it('a busy server (429, or 503 with Retry-After) is asked again when it says, as client-go does', async () => {
    const tooMany = status(429, 'TooManyRequests', 'Too many requests, please try again later.');
    const configMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: CONFIGMAP.name } };
    const scope = nock(SERVER)
      .get(CONFIGMAP_PATH)
      .reply(429, tooMany, { 'Retry-After': '0' })
      .get(CONFIGMAP_PATH)
      .reply(503, status(503, 'ServiceUnavailable', 'storage is (re)initializing'), { 'Retry-After': '0' })
      .get(CONFIGMAP_PATH)
      .reply(200, configMap);
    expect(await client().read(CONFIGMAP)).toMatchObject(configMap);
    scope.done();
  });

  it('a 429 that lasts longer than the request timeout is reported, naming the server', async () => {
    const scope = nock(SERVER)
      .get(CONFIGMAP_PATH)
      .reply(429, status(429, 'TooManyRequests', 'Too many requests, please try again later.'), {
        'Retry-After': '5',
      });
    const error = await failure(client(SERVER, 2000).read(CONFIGMAP));
    scope.done();
    expect(error.exitCode).toBe(ExitCode.unreachable);
    expect(error.message).toBe(
      'the API server is too busy to get configmaps/trigger-gateway-haproxy in namespace gw (429)',
    );
    expect(error.next).toContain('or wait longer for each request: --request-timeout=2m');
  });

  it('a 500 without Retry-After is not sent again', async () => {
    const scope = nock(SERVER)
      .get(CONFIGMAP_PATH)
      .once()
      .reply(500, status(500, 'InternalError', 'boom'));
    const error = await failure(client().read(CONFIGMAP));
    scope.done();
    expect(error.why).toBe('boom');
    expect(nock.pendingMocks()).toEqual([]);
  });

  it('409 on apply explains a concurrent change or another owner', async () => {
    const scope = nock(SERVER)
      .patch(/configmaps\/trigger-gateway-haproxy/)
      .reply(
        409,
        status(409, 'Conflict', 'Apply failed with 1 conflict: conflict with "kubectl-edit": .data.x'),
      );
    const object = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: CONFIGMAP.name, namespace: 'gw' },
    };
    const error = await failure(client().apply(object));
    scope.done();
    expect(error.exitCode).toBe(ExitCode.clusterState);
    expect(error.message).toContain('kubectl-edit');
  });

  it('a host name that does not resolve is reported as a DNS problem', async () => {
    const lookupFailure = Object.assign(new Error('getaddrinfo ENOTFOUND cluster.example'), {
      code: 'ENOTFOUND',
    });
    const scope = nock(SERVER).get(CONFIGMAP_PATH).replyWithError(lookupFailure);
    const error = await failure(client(SERVER, 2_000).read(CONFIGMAP));
    scope.done();
    expect(error.exitCode).toBe(ExitCode.unreachable);
    expect(error.message).toContain('host name does not resolve');
  });
});

describe('unreachable clusters, for real on loopback', () => {
  it('a server that never answers is reported as a timeout with the limit', async () => {
    const silent = createHttpServer(() => {
      // Takes the request and never answers.
    });
    await new Promise<void>((done) => silent.listen(0, '127.0.0.1', done));
    const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    try {
      const error = await failure(client(url, 100).read(CONFIGMAP));
      expect(error.exitCode).toBe(ExitCode.unreachable);
      expect(error.message).toBe(
        `the cluster at ${url} (context "test") did not answer within 0.1s: get configmaps/trigger-gateway-haproxy in namespace gw`,
      );
      expect(error.why).toContain('--request-timeout (0.1s)');
      expect(error.next.join('\n')).toContain('--request-timeout');
    } finally {
      silent.closeAllConnections();
      silent.close();
    }
  });

  it('connection refused names the server and context and suggests cluster-info', async () => {
    const server = createHttpServer();
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const { port } = server.address() as AddressInfo;
    await new Promise((done) => server.close(done));
    const url = `http://127.0.0.1:${port}`;
    const error = await failure(client(url).read(CONFIGMAP));
    expect(error.exitCode).toBe(ExitCode.unreachable);
    expect(error.message).toBe(`cannot reach the cluster at ${url} (context "test"): connection refused`);
    expect(error.next).toContain('kubectl --context test cluster-info');
  });

  it('a certificate the kubeconfig does not trust fails as a TLS problem', async () => {
    const { cert, key } = selfSignedCertificate('127.0.0.1');
    const server = createHttpsServer({ key, cert }, (_request, response) => response.end('{}'));
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const { port } = server.address() as AddressInfo;
    try {
      const error = await failure(client(`https://127.0.0.1:${port}`).read(CONFIGMAP));
      expect(error.exitCode).toBe(ExitCode.unreachable);
      expect(error.message).toContain('TLS handshake failed');
    } finally {
      server.close();
    }
  });
});

describe('kubeconfig problems', () => {
  it('an unknown context lists the ones that exist', () => {
    const kubeconfig = writeKubeconfig({ server: SERVER, context: 'kind-dev' });
    let error: unknown;
    try {
      resolveKubeTarget({ kubeconfig, context: 'prod', requestTimeoutMs: 0 });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(GatewayError);
    expect((error as GatewayError).message).toBe('context "prod" is not in the kubeconfig');
    expect((error as GatewayError).why).toContain('kind-dev');
    expect((error as GatewayError).exitCode).toBe(ExitCode.environment);
  });

  it('the namespace defaults to the context namespace, as kubectl does', () => {
    const kubeconfig = writeKubeconfig({ server: SERVER, namespace: 'ci' });
    expect(resolveKubeTarget({ kubeconfig, requestTimeoutMs: 0 }).namespace).toBe('ci');
    expect(resolveKubeTarget({ kubeconfig, namespace: 'other', requestTimeoutMs: 0 }).namespace).toBe(
      'other',
    );
    const plain = writeKubeconfig({ server: SERVER });
    expect(resolveKubeTarget({ kubeconfig: plain, requestTimeoutMs: 0 }).namespace).toBe('trigger-gateway');
  });

  it('a missing --kubeconfig file is named', () => {
    expect(() => resolveKubeTarget({ kubeconfig: '/nonexistent/kubeconfig', requestTimeoutMs: 0 })).toThrow(
      'the kubeconfig file /nonexistent/kubeconfig does not exist',
    );
  });
});
