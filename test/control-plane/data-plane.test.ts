/**
 * The data plane end to end: the bundled gateway manifests rolled out by the real kubectl, their
 * pods running the real HAProxy on the ConfigMap's config, and HTTP sent through the gateway Service.
 */
import { request } from 'node:http';
import { dump } from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultHaproxy } from '../support/control-plane/data-plane/index.ts';
import {
  type ControlPlaneWithDataPlane,
  type KubeObject,
  startControlPlane,
} from '../support/control-plane/index.ts';
import {
  bundledEcho,
  bundledGateway,
  CONFIG_MAP,
  configOf,
  ECHO_ROUTE,
  echoBackend,
  GATEWAY_NAMESPACE,
  gatewayConfigObjects,
  withRoutes,
} from './gateway-fixture.ts';
import { type Kubectl, kubectlFor, until } from './helpers.ts';

const haproxy = defaultHaproxy();
const haveHaproxy = haproxy !== 'haproxy';

interface Reply {
  status: number;
  body: string;
}

/** One HTTP request on a fresh connection; retries a refused/reset connect a bounded number of times. */
async function http(
  to: { host: string; port: number },
  path: string,
  method = 'GET',
  body?: string,
): Promise<Reply> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await new Promise<Reply>((resolve, reject) => {
        const headers = body === undefined ? {} : { 'content-type': 'application/json' };
        const req = request({ ...to, path, method, headers, agent: false }, (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
          res.on('error', reject);
        });
        req.on('error', reject);
        req.end(body);
      });
    } catch (error) {
      if (attempt >= 20) throw error;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
}

/** Sends requests until `accept` takes a reply (HAProxy re-resolves names once a second). */
async function httpUntil(
  to: { host: string; port: number },
  path: string,
  accept: (reply: Reply) => boolean,
  what: string,
): Promise<Reply> {
  let last: Reply | undefined;
  for (let attempt = 0; attempt < 200; attempt++) {
    last = await http(to, path);
    if (accept(last)) return last;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}; last reply ${last?.status} ${last?.body}`);
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** A YAML stream for `kubectl apply -f -`. */
const asList = (items: KubeObject[]) => items.map((item) => dump(item)).join('---\n');

describe.skipIf(!haveHaproxy && !process.env.CI)(`data plane (haproxy: ${haproxy})`, () => {
  let plane: ControlPlaneWithDataPlane;
  let kubectl: Kubectl;
  let stopped = false;
  const gateway = () => plane.dataPlane.serviceAddress(GATEWAY_NAMESPACE, 'trigger-gateway', 80);
  const running = (kind: 'haproxy' | 'echo') =>
    plane.dataPlane.processes().filter((p) => p.kind === kind && p.running);
  const apply = async (objects: KubeObject[]) => {
    const result = await kubectl.withInput(asList(objects), 'apply', '-f', '-');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  };
  const rolledOut = async (namespace: string, name: string) => {
    const result = await kubectl('rollout', 'status', '-n', namespace, `deploy/${name}`, '--timeout=30s');
    expect(result.stdout).toContain(`deployment "${name}" successfully rolled out`);
  };

  beforeAll(async () => {
    plane = await startControlPlane({ dataPlane: { haproxyBin: haproxy } });
    kubectl = kubectlFor(plane);
  });
  afterAll(async () => {
    kubectl.cleanup();
    if (!stopped) await plane.stop();
  });

  it('rolls out the bundled gateway and echo backend as real processes', async () => {
    const objects = bundledGateway();
    const cfg = withRoutes(configOf(objects.find((o) => o.kind === 'ConfigMap') as KubeObject), [ECHO_ROUTE]);
    const [configMap, deployment] = gatewayConfigObjects(objects, cfg);
    const rest = objects.filter((o) => o.kind !== 'ConfigMap' && o.kind !== 'Deployment');
    await apply([...rest, configMap as KubeObject, deployment as KubeObject, ...bundledEcho()]);
    await rolledOut(GATEWAY_NAMESPACE, 'trigger-gateway');
    await rolledOut('trigger', 'httpecho');

    expect(running('haproxy')).toHaveLength(2);
    expect(running('echo')).toHaveLength(1);
    const pods = plane.list('pods', GATEWAY_NAMESPACE);
    expect(pods.map((p) => (p.status as { podIP: string }).podIP).sort()).toEqual(
      running('haproxy')
        .map((p) => p.podIP)
        .sort(),
    );
    for (const p of running('haproxy')) {
      const stats = await http(plane.dataPlane.podAddress(`${p.namespace}/${p.pod}`, 'stats'), '/healthz');
      expect(stats.status).toBe(200);
    }
    expect(plane.dataPlane.lookup('httpecho.trigger.svc.cluster.local')).toEqual([
      plane.dataPlane.serviceAddress('trigger', 'httpecho', 80).host,
    ]);
    expect(plane.dataPlane.lookup('nothing.trigger.svc.cluster.local')).toBeUndefined();
  });

  it('routes /trigger through the gateway Service to the echo server, which logs the request', async () => {
    const get = await http(gateway(), '/trigger/build?ref=main');
    expect(get.status).toBe(200);
    expect(JSON.parse(get.body)).toMatchObject({ method: 'GET', path: '/trigger/build' });

    const payload = JSON.stringify({ ref: 'refs/heads/main', marker: 'data-plane-post' });
    const post = await http(gateway(), '/trigger', 'POST', payload);
    expect(post.status).toBe(200);
    const echoed = JSON.parse(post.body) as {
      method: string;
      path: string;
      body: string;
      headers: Record<string, string>;
    };
    expect(echoed).toMatchObject({ method: 'POST', path: '/trigger', body: payload });
    // HAProxy's option forwardfor: the echo server saw the gateway, which saw the client.
    expect(echoed.headers['x-forwarded-for']).toBeDefined();

    const [echoPod] = plane.list('pods', 'trigger');
    const log = await until(
      () =>
        plane.dataPlane
          .logs(echoPod as KubeObject)
          .split('\n')
          .find((l) => l.includes('data-plane-post')),
      'the echo log line',
    );
    expect(JSON.parse(log)).toMatchObject({ method: 'POST', path: '/trigger', body: payload });
  });

  it('answers a path without a route with the gateway JSON 404', async () => {
    const reply = await http(gateway(), '/nope');
    expect(reply.status).toBe(404);
    expect(JSON.parse(reply.body)).toEqual({ error: 'no route for this path', gateway: 'trigger-gateway' });
  });

  it('keeps serving when a route names a Service that does not exist yet, and reaches it once it does', async () => {
    const objects = bundledGateway();
    const late = { path: '/late', service: 'late', namespace: 'trigger', port: 80 };
    const cfg = withRoutes(configOf(objects.find((o) => o.kind === 'ConfigMap') as KubeObject), [
      ECHO_ROUTE,
      late,
    ]);
    const oldPids = running('haproxy').map((p) => p.pid);
    await apply(gatewayConfigObjects(objects, cfg));
    await rolledOut(GATEWAY_NAMESPACE, 'trigger-gateway');
    await until(() => oldPids.every((pid) => !alive(pid)), 'the old HAProxy processes to exit');

    const pids = running('haproxy').map((p) => p.pid);
    expect(pids).toHaveLength(2);
    expect(pids.some((pid) => oldPids.includes(pid))).toBe(false);
    expect((await http(gateway(), '/trigger')).status).toBe(200);
    expect((await http(gateway(), '/late')).status).toBe(503);

    await apply(echoBackend('late', 'trigger'));
    await rolledOut('trigger', 'late');
    const reply = await httpUntil(gateway(), '/late/x', (r) => r.status === 200, '/late to answer');
    expect(JSON.parse(reply.body)).toMatchObject({ path: '/late/x' });
    // Both gateway pods got there without a restart.
    await httpUntil(gateway(), '/late', (r) => r.status === 200, 'the other pod');
    expect(running('haproxy').map((p) => p.pid)).toEqual(pids);
  });

  it('rolls the pods onto a changed ConfigMap, and only the new processes serve', async () => {
    const objects = bundledGateway();
    const cfg = withRoutes(configOf(plane.get('configmaps', CONFIG_MAP, GATEWAY_NAMESPACE) as KubeObject), [
      { path: '/hooks/github', service: 'httpecho', namespace: 'trigger', port: 80 },
    ]);
    const old = running('haproxy');
    expect((await http(gateway(), '/hooks/github')).status).toBe(404);
    await apply(gatewayConfigObjects(objects, cfg));
    await rolledOut(GATEWAY_NAMESPACE, 'trigger-gateway');
    await until(() => old.every((p) => !alive(p.pid)), 'the old HAProxy processes to exit');

    const now = running('haproxy');
    expect(now).toHaveLength(2);
    expect(now.map((p) => p.uid)).not.toEqual(expect.arrayContaining(old.map((p) => p.uid)));
    for (const p of old)
      expect(plane.dataPlane.processes().find((x) => x.pid === p.pid)?.running).toBe(false);
    // Every pod serves the new route (the Service spreads connections over both).
    for (let i = 0; i < 4; i++) {
      const reply = await http(gateway(), '/hooks/github');
      expect(reply.status).toBe(200);
      expect(JSON.parse(reply.body)).toMatchObject({ path: '/hooks/github' });
    }
  });

  it('keeps the old pods serving when the new config makes HAProxy exit', async () => {
    const objects = bundledGateway();
    const current = configOf(plane.get('configmaps', CONFIG_MAP, GATEWAY_NAMESPACE) as KubeObject);
    const broken = current.replace('global\n', 'global\n    no-such-keyword on\n');
    const old = running('haproxy').map((p) => p.pid);
    const known = new Set(plane.dataPlane.processes().map((p) => p.pid));
    await apply(gatewayConfigObjects(objects, broken));
    const crashed = await until(
      () => plane.dataPlane.processes().find((p) => p.kind === 'haproxy' && !p.running && !known.has(p.pid)),
      'the new HAProxy to exit',
    );
    expect(plane.dataPlane.logs(`${crashed.namespace}/${crashed.pod}`)).toMatch(/\[ALERT\].*no-such-keyword/);
    const status = await kubectl(
      'rollout',
      'status',
      '-n',
      GATEWAY_NAMESPACE,
      'deploy/trigger-gateway',
      '--timeout=1s',
    );
    expect(status.code).not.toBe(0);
    expect(running('haproxy').map((p) => p.pid)).toEqual(old);
    for (let i = 0; i < 4; i++) expect((await http(gateway(), '/trigger')).status).toBe(200);
  });

  it('stop() ends every process it started', async () => {
    const pids = plane.dataPlane.processes().map((p) => p.pid);
    expect(pids.length).toBeGreaterThanOrEqual(4);
    stopped = true;
    await plane.stop();
    expect(pids.filter(alive)).toEqual([]);
    expect(plane.dataPlane.processes().filter((p) => p.running)).toEqual([]);
  });
});
