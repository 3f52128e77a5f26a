/**
 * pods/<name>[:<port>]/proxy/<path> on the data plane: HTTP through the API server to a real HAProxy
 * gateway pod (its stats CSV and Prometheus metrics) and to an echo pod (method, path, query, body),
 * with the real server's RBAC verbs and its 404/503 answers, and the real kubectl's `get --raw`.
 */
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultHaproxy } from '../support/control-plane/data-plane/index.ts';
import {
  type ControlPlane,
  type ControlPlaneWithDataPlane,
  type KubeObject,
  startControlPlane,
} from '../support/control-plane/index.ts';
import {
  bundledGateway,
  configOf,
  echoBackend,
  GATEWAY_NAMESPACE,
  gatewayConfigObjects,
} from './gateway-fixture.ts';
import { type Kubectl, kubectlFor, until } from './helpers.ts';

const haproxy = defaultHaproxy();
const ECHO_NAMESPACE = 'trigger';

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

const collect = (
  resolve: (answer: Answer) => void,
  res: { statusCode?: number; headers: IncomingHttpHeaders } & NodeJS.ReadableStream,
) => {
  const chunks: Buffer[] = [];
  res.on('data', (chunk: Buffer) => chunks.push(chunk));
  res.on('end', () =>
    resolve({
      status: res.statusCode ?? 0,
      headers: res.headers,
      text: Buffer.concat(chunks).toString('utf8'),
    }),
  );
};

/** One request through the API server, its answer as it came (status, headers, body text). */
function viaApi(
  plane: ControlPlane,
  method: string,
  path: string,
  opts: { token?: string; body?: string; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const headers = {
    Authorization: `Bearer ${opts.token ?? 'admin-token'}`,
    // Node frames a DELETE's body only when told its length.
    ...(opts.body === undefined ? {} : { 'Content-Length': String(Buffer.byteLength(opts.body)) }),
    ...opts.headers,
  };
  return new Promise((resolve, reject) => {
    const req = httpsRequest(new URL(path, plane.url), { method, headers, ca: plane.ca }, (res) =>
      collect(resolve, res),
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** One GET straight to the pod, for comparison. */
function direct(to: { host: string; port: number }, path: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ ...to, path, agent: false }, (res) => collect(resolve, res));
    req.on('error', reject);
    req.end();
  });
}

const isReady = (pod: KubeObject | undefined) =>
  (pod?.status as { conditions?: Array<{ type: string; status: string }> } | undefined)?.conditions?.some(
    (c) => c.type === 'Ready' && c.status === 'True',
  ) ?? false;

const podIP = (pod: KubeObject) => (pod.status as { podIP: string }).podIP;

describe.skipIf(haproxy === 'haproxy' && !process.env.CI)(`pods/proxy (haproxy: ${haproxy})`, () => {
  let plane: ControlPlaneWithDataPlane;
  let kubectl: Kubectl;
  let gateway: KubeObject;
  let echo: KubeObject;
  const gatewayProxy = (port: string, path: string) =>
    `/api/v1/namespaces/${GATEWAY_NAMESPACE}/pods/${gateway.metadata.name}:${port}/proxy${path}`;
  const echoProxy = (path: string) =>
    `/api/v1/namespaces/${ECHO_NAMESPACE}/pods/${echo.metadata.name}/proxy${path}`;

  beforeAll(async () => {
    plane = await startControlPlane({
      dataPlane: { haproxyBin: haproxy },
      users: {
        'admin-token': { name: 'admin' },
        'blind-token': { name: 'blind', deny: [{ verb: 'get', resource: 'pods/proxy' }] },
        'reader-token': { name: 'reader', deny: [{ verb: 'create', resource: 'pods/proxy' }] },
      },
    });
    kubectl = kubectlFor(plane);
    const objects = bundledGateway();
    const cfg = configOf(objects.find((o) => o.kind === 'ConfigMap') as KubeObject);
    const [configMap, deployment] = gatewayConfigObjects(objects, cfg, 1);
    for (const object of objects.filter((o) => o.kind !== 'ConfigMap' && o.kind !== 'Deployment')) {
      plane.put(object);
    }
    plane.put(configMap as KubeObject);
    plane.put(deployment as KubeObject);
    plane.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ECHO_NAMESPACE } });
    for (const object of echoBackend('httpecho', ECHO_NAMESPACE)) plane.put(object);
    gateway = await until(() => plane.list('pods', GATEWAY_NAMESPACE).find(isReady), 'a Ready gateway pod');
    echo = await until(() => plane.list('pods', ECHO_NAMESPACE).find(isReady), 'a Ready echo pod');
  });
  afterAll(async () => {
    kubectl?.cleanup();
    await plane?.stop();
  });

  it("returns HAProxy's stats CSV, with the path's `;csv` passed on unchanged", async () => {
    const answer = await viaApi(plane, 'GET', gatewayProxy('8404', '/stats;csv'));
    expect(answer.status).toBe(200);
    expect(answer.text.split('\n')[0]).toMatch(/^# pxname,svname,/);
    expect(answer.text).toMatch(/^stats,FRONTEND,/m);
    const straight = await direct(plane.dataPlane.podAddress(gateway, 8404), '/stats;csv');
    expect(answer.headers['content-type']).toBe(straight.headers['content-type']);
    expect(plane.requests.at(-1)).toMatchObject({ method: 'GET', user: 'admin', status: 200 });
  });

  it('reaches a named container port, a scheme-prefixed one, and the first declared port by default', async () => {
    const metrics = await viaApi(plane, 'GET', gatewayProxy('stats', '/metrics'));
    expect(metrics.status).toBe(200);
    expect(metrics.headers['content-type']).toMatch(/^text\/plain/);
    expect(metrics.text).toMatch(/^haproxy_process_/m);
    const withScheme = await viaApi(
      plane,
      'GET',
      `/api/v1/namespaces/${GATEWAY_NAMESPACE}/pods/http:${gateway.metadata.name}:8404/proxy/stats;csv`,
    );
    expect(withScheme.text).toMatch(/^# pxname,svname,/);
    // The gateway's first port is 8080, where the bundled config answers unrouted paths with its 404.
    const unrouted = await viaApi(
      plane,
      'GET',
      `/api/v1/namespaces/${GATEWAY_NAMESPACE}/pods/${gateway.metadata.name}/proxy/nope`,
    );
    expect(unrouted.status).toBe(404);
    expect(unrouted.headers['content-type']).toBe('application/json');
    expect(JSON.parse(unrouted.text)).toEqual({
      error: 'no route for this path',
      gateway: 'trigger-gateway',
    });
  });

  it('passes method, path, query and body on to the echo pod, but not the credentials', async () => {
    const body = JSON.stringify({ ref: 'refs/heads/main', marker: 'via-pod-proxy' });
    const answer = await viaApi(plane, 'POST', echoProxy('/hooks/github?ref=main&x=a%20b'), {
      body,
      headers: { 'Content-Type': 'application/json', 'X-Trigger': 'yes' },
    });
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe('application/json; charset=utf-8');
    const echoed = JSON.parse(answer.text) as {
      method: string;
      path: string;
      query: Record<string, string>;
      body: string;
      headers: Record<string, string>;
    };
    expect(echoed).toMatchObject({
      method: 'POST',
      path: '/hooks/github',
      query: { ref: 'main', x: 'a b' },
      body,
    });
    expect(echoed.headers['x-trigger']).toBe('yes');
    expect(echoed.headers.authorization).toBeUndefined();
    expect(echoed.headers['x-forwarded-uri']).toBe(echoProxy('/hooks/github'));
    for (const method of ['PUT', 'PATCH', 'DELETE']) {
      const reply = await viaApi(plane, method, echoProxy('/m'), { body: 'x' });
      expect(JSON.parse(reply.text)).toMatchObject({ method, path: '/m', body: 'x' });
    }
    const head = await viaApi(plane, 'HEAD', echoProxy('/h'));
    expect(head).toMatchObject({ status: 200, text: '' });
    expect(head.headers['content-type']).toBe('application/json; charset=utf-8');
    // Without a path after `proxy` the pod is asked for `/`.
    const root = await viaApi(plane, 'GET', echoProxy(''));
    expect(JSON.parse(root.text)).toMatchObject({ method: 'GET', path: '/' });
  });

  it('works with the real kubectl get --raw', async () => {
    const result = await kubectl('get', '--raw', gatewayProxy('8404', '/stats;csv'));
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout.split('\n')[0]).toMatch(/^# pxname,svname,/);
  });

  it('authorizes each method as its own verb on pods/proxy', async () => {
    const blind = kubectlFor(plane, { token: 'blind-token' });
    try {
      const result = await blind('get', '--raw', gatewayProxy('8404', '/stats;csv'));
      expect(result.code).not.toBe(0);
      expect(result.stderr.trim()).toBe(
        `Error from server (Forbidden): pods "${gateway.metadata.name}:8404" is forbidden: User "blind" cannot get resource "pods/proxy" in API group "" in the namespace "${GATEWAY_NAMESPACE}"`,
      );
    } finally {
      blind.cleanup();
    }
    expect((await viaApi(plane, 'GET', echoProxy('/r'), { token: 'reader-token' })).status).toBe(200);
    const post = await viaApi(plane, 'POST', echoProxy('/r'), { token: 'reader-token', body: '{}' });
    expect(post.status).toBe(403);
    expect(JSON.parse(post.text)).toMatchObject({
      reason: 'Forbidden',
      message: `pods "${echo.metadata.name}" is forbidden: User "reader" cannot create resource "pods/proxy" in API group "" in the namespace "${ECHO_NAMESPACE}"`,
    });
  });

  it('answers 404 for a missing pod and 503 for a port nothing listens on', async () => {
    const missing = await viaApi(plane, 'GET', `/api/v1/namespaces/${ECHO_NAMESPACE}/pods/nope:80/proxy/`);
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.text)).toMatchObject({ reason: 'NotFound', message: 'pods "nope" not found' });

    const refused = await viaApi(plane, 'GET', gatewayProxy('9999', '/stats'));
    expect(refused.status).toBe(503);
    expect(JSON.parse(refused.text)).toMatchObject({
      kind: 'Status',
      reason: 'ServiceUnavailable',
      code: 503,
      message: `error trying to reach service: dial tcp ${podIP(gateway)}:9999: connect: connection refused`,
    });
    expect(plane.requests.at(-1)).toMatchObject({ status: 503 });
    const result = await kubectl('get', '--raw', gatewayProxy('9999', '/stats'));
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('Error from server (ServiceUnavailable)');
  });
});

describe('pods/proxy without a data plane', () => {
  let plane: ControlPlane;
  let failing: ControlPlane;
  const pod = (name: string): KubeObject => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec: { containers: [{ name: 'web', image: 'web:1', ports: [{ name: 'http', containerPort: 8080 }] }] },
  });
  const phaseOf = (p: ControlPlane, name: string) =>
    (p.get('pods', name, 'default')?.status as { phase?: string } | undefined)?.phase;

  beforeAll(async () => {
    plane = await startControlPlane();
    failing = await startControlPlane({
      podRuntime: { start: () => Promise.reject(new Error('no image')), stop: async () => undefined },
    });
  });
  afterAll(async () => {
    await plane?.stop();
    await failing?.stop();
  });

  it('answers 503 connection refused for a Running pod, without dialing its made-up IP', async () => {
    plane.put(pod('web'));
    await until(() => isReady(plane.get('pods', 'web', 'default')), 'the pod to be Ready');
    const ip = podIP(plane.get('pods', 'web', 'default') as KubeObject);
    const answer = await viaApi(plane, 'GET', '/api/v1/namespaces/default/pods/web:http/proxy/x');
    expect(answer.status).toBe(503);
    expect(JSON.parse(answer.text)).toMatchObject({
      reason: 'ServiceUnavailable',
      message: `error trying to reach service: dial tcp ${ip}:8080: connect: connection refused`,
    });
  });

  it('answers 503 for a pod that is not running, and 400 for a malformed name', async () => {
    failing.put(pod('broken'));
    await until(() => phaseOf(failing, 'broken') === 'Failed', 'the pod to fail');
    const answer = await viaApi(failing, 'GET', '/api/v1/namespaces/default/pods/broken/proxy/');
    expect(answer.status).toBe(503);
    expect(JSON.parse(answer.text)).toMatchObject({
      reason: 'ServiceUnavailable',
      message: 'no endpoints available for pod "broken": pod is not running',
    });
    const malformed = await viaApi(failing, 'GET', '/api/v1/namespaces/default/pods/ftp:broken:80/proxy/');
    expect(malformed.status).toBe(400);
    expect(JSON.parse(malformed.text)).toMatchObject({ message: 'invalid pod request "ftp:broken:80"' });
  });

  it('lists pods/proxy in legacy and aggregated discovery', async () => {
    const legacy = JSON.parse((await viaApi(plane, 'GET', '/api/v1')).text) as {
      resources: Array<{ name: string; kind: string; verbs: string[] }>;
    };
    expect(legacy.resources.find((r) => r.name === 'pods/proxy')).toMatchObject({
      kind: 'PodProxyOptions',
      verbs: ['create', 'delete', 'get', 'patch', 'update'],
    });
    const aggregated = JSON.parse(
      (
        await viaApi(plane, 'GET', '/api', {
          headers: { Accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList' },
        })
      ).text,
    ) as {
      items: Array<{
        versions: Array<{
          resources: Array<{
            resource: string;
            subresources?: Array<{ subresource: string; verbs: string[] }>;
          }>;
        }>;
      }>;
    };
    const pods = aggregated.items[0]?.versions[0]?.resources.find((r) => r.resource === 'pods');
    expect(pods?.subresources?.find((s) => s.subresource === 'proxy')?.verbs).toEqual([
      'create',
      'delete',
      'get',
      'patch',
      'update',
    ]);
  });
});
