/**
 * pods/<name>/portforward on the data plane: the real kubectl (SPDY tunneled over WebSocket, as 1.32
 * does by default, and plain SPDY/3.1 as its fallback) and client-node's PortForward (the WebSocket
 * channel protocol) reach the echo pod's port end to end; errors come as the kubelet and API give them.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { request as httpsRequest } from 'node:https';
import { connect, createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import { KubeConfig, PortForward } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from './helpers.ts';
import { ECHO, type EchoPlane, httpGet, NAMESPACE, startEchoPlane } from './pod-io-fixture.ts';

const FORWARDING = /^Forwarding from 127\.0\.0\.1:(\d+) -> (\d+)$/;

/** Collects a stream's text; `waitFor` resolves once it matches. */
function collect(stream: Readable | null) {
  let text = '';
  stream?.setEncoding('utf8');
  stream?.on('data', (chunk: string) => (text += chunk));
  return {
    get text() {
      return text;
    },
    waitFor: (pattern: RegExp, what: string) => until(() => pattern.exec(text) ?? undefined, what),
  };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill();
  await once(child, 'exit');
}

describe('port-forward', () => {
  let env: EchoPlane;
  let pod: string;
  const children: ChildProcess[] = [];

  /** `kubectl port-forward` with extra environment; resolves with its local port once it listens. */
  const portForward = async (target: string, ports: string, extraEnv: Record<string, string> = {}) => {
    const child = spawn('kubectl', ['port-forward', '-n', NAMESPACE, target, ports], {
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: env.kubectl.dir,
        KUBECONFIG: join(env.kubectl.dir, 'kubeconfig.yaml'),
        ...extraEnv,
      },
    });
    children.push(child);
    const stdout = collect(child.stdout);
    const stderr = collect(child.stderr);
    const exited = once(child, 'exit').then(() => {
      throw new Error(`kubectl port-forward exited: ${stderr.text}`);
    });
    exited.catch(() => undefined);
    const match = await Promise.race([
      until(
        () =>
          stdout.text
            .split('\n')
            .map((l) => FORWARDING.exec(l))
            .find(Boolean),
        'Forwarding from',
      ),
      exited,
    ]);
    return { child, stderr, localPort: Number(match?.[1]), remotePort: Number(match?.[2]) };
  };

  /** An upgrade request (SPDY by default) to pods/<name>/portforward: its status and body if not switched. */
  const rawUpgrade = (
    name: string,
    opts: { token?: string; headers?: Record<string, string>; method?: string } = {},
  ) =>
    new Promise<{ status: number; body: Record<string, unknown> }>((resolve, reject) => {
      const url = new URL(`/api/v1/namespaces/${NAMESPACE}/pods/${name}/portforward`, env.plane.url);
      const headers = opts.headers ?? {
        Connection: 'Upgrade',
        Upgrade: 'SPDY/3.1',
        'X-Stream-Protocol-Version': 'portforward.k8s.io',
      };
      const req = httpsRequest(url, {
        method: opts.method ?? 'POST',
        ca: env.plane.ca,
        headers: { Authorization: `Bearer ${opts.token ?? 'admin-token'}`, ...headers },
      });
      req.on('upgrade', (res, socket) => {
        socket.destroy();
        resolve({ status: res.statusCode ?? 0, body: {} });
      });
      req.on('response', (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> }),
        );
      });
      req.on('error', reject);
      req.end();
    });

  const kubeConfig = (token = 'admin-token') => {
    const kc = new KubeConfig();
    kc.loadFromFile(env.plane.writeKubeconfig(join(env.kubectl.dir, `${token}.yaml`), { token }));
    return kc;
  };

  /** client-node's port-forward to `pod`'s 8080 as the user of `token`, with throwaway streams. */
  const forwardAs = (token: string | undefined, pod: string) =>
    new PortForward(kubeConfig(token)).portForward(
      NAMESPACE,
      pod,
      [8080],
      new PassThrough(),
      null,
      new PassThrough(),
    );

  const lastUpgrade = () => env.plane.requests.filter((r) => r.path.endsWith('/portforward')).at(-1);

  beforeAll(async () => {
    env = await startEchoPlane({
      'admin-token': { name: 'admin' },
      'noforward-token': { name: 'noforward', deny: [{ verb: 'create', resource: 'pods/portforward' }] },
      'noget-token': { name: 'noget', deny: [{ verb: 'get', resource: 'pods/portforward' }] },
    });
    pod = env.pod.metadata.name;
  });
  afterAll(async () => {
    await Promise.all(children.map(stop));
    await env.stop();
  });

  it('kubectl port-forward (SPDY tunneled over WebSocket) forwards HTTP to the echo pod', async () => {
    const forward = await portForward(`pod/${pod}`, ':8080');
    expect(forward.remotePort).toBe(8080);
    for (const path of ['/pf/first', '/pf/second']) {
      const reply = await httpGet({ host: '127.0.0.1', port: forward.localPort }, path);
      expect(reply.status).toBe(200);
      expect(JSON.parse(reply.body)).toMatchObject({ method: 'GET', path, os: { hostname: pod } });
    }
    expect(lastUpgrade()).toMatchObject({
      method: 'GET',
      path: `/api/v1/namespaces/${NAMESPACE}/pods/${pod}/portforward`,
      status: 101,
      user: 'admin',
      upgrade: { requested: 'websocket', protocol: 'SPDY/3.1+portforward.k8s.io' },
    });
    expect(env.plane.dataPlane.logs(env.pod)).toContain('"path":"/pf/second"');
    await stop(forward.child);
  });

  it('kubectl port-forward over plain SPDY/3.1 (its fallback) forwards concurrent connections', async () => {
    const forward = await portForward(`pod/${pod}`, ':8080', { KUBECTL_PORT_FORWARD_WEBSOCKETS: 'false' });
    const to = { host: '127.0.0.1', port: forward.localPort };
    const paths = ['/spdy/1', '/spdy/2', '/spdy/3', '/spdy/4'];
    const replies = await Promise.all(paths.map((path) => httpGet(to, path)));
    expect(replies.map((r) => (JSON.parse(r.body) as { path: string }).path)).toEqual(paths);
    expect(lastUpgrade()).toMatchObject({
      method: 'POST',
      status: 101,
      upgrade: { requested: 'SPDY/3.1', protocol: 'SPDY/3.1' },
    });
    await stop(forward.child);
  });

  it('kubectl port-forward svc/<name> reaches the container port behind the Service port', async () => {
    const forward = await portForward(`svc/${ECHO}`, ':80');
    expect(forward.remotePort).toBe(8080);
    const reply = await httpGet({ host: '127.0.0.1', port: forward.localPort }, '/via/service');
    expect(JSON.parse(reply.body)).toMatchObject({ path: '/via/service' });
    await stop(forward.child);
  });

  it('kubectl port-forward reports the error stream when nothing listens on the port', async () => {
    const forward = await portForward(`pod/${pod}`, ':9999');
    const socket = connect({ host: '127.0.0.1', port: forward.localPort });
    socket.on('error', () => undefined);
    socket.resume();
    const ip = (env.pod.status as { podIP: string }).podIP;
    const message = await forward.stderr.waitFor(
      /an error occurred forwarding \d+ -> 9999: (error forwarding port 9999 to pod \w+, uid : .*)/,
      'the forwarding error',
    );
    expect(message[1]).toContain(`dial tcp4 ${ip}:9999: connect: connection refused`);
    socket.destroy();
    await stop(forward.child);
  });

  describe('client-node PortForward', () => {
    let bridge: Server;
    let bridgePort = 0;

    beforeAll(async () => {
      const forward = new PortForward(kubeConfig());
      bridge = createServer((socket) => {
        forward.portForward(NAMESPACE, pod, [8080], socket, null, socket).catch(() => socket.destroy());
      });
      bridge.listen(0, '127.0.0.1');
      await once(bridge, 'listening');
      bridgePort = (bridge.address() as { port: number }).port;
    });
    afterAll(async () => {
      bridge.close();
    });

    it('forwards a request through a local TCP bridge (WebSocket channels, v4.channel.k8s.io)', async () => {
      const reply = await httpGet({ host: '127.0.0.1', port: bridgePort }, '/client-node/pf');
      expect(reply.status).toBe(200);
      expect(JSON.parse(reply.body)).toMatchObject({ method: 'GET', path: '/client-node/pf' });
      expect(lastUpgrade()).toMatchObject({
        method: 'GET',
        query: 'ports=8080',
        status: 101,
        upgrade: { requested: 'websocket', protocol: 'v4.channel.k8s.io' },
      });
    });

    it('writes the error on the error channel when nothing listens on the port', async () => {
      const output = new PassThrough();
      const errStream = new PassThrough();
      const errText = collect(errStream);
      const input = new PassThrough();
      const ws = await new PortForward(kubeConfig()).portForward(
        NAMESPACE,
        pod,
        [9999],
        output,
        errStream,
        input,
      );
      const ip = (env.pod.status as { podIP: string }).podIP;
      await errText.waitFor(/connection refused/, 'the error channel message');
      expect(errText.text).toMatch(
        new RegExp(
          `^error forwarding port 9999 to pod [0-9a-f]{64}, uid : failed to connect to ${ip.replaceAll('.', '\\.')}:9999 inside the pod: dial tcp4 [\\d.]+:9999: connect: connection refused$`,
        ),
      );
      expect(output.read()).toBeNull();
      (ws as { close(): void }).close();
      input.end();
    });

    it('is refused for a missing pod (404) and a user without create on pods/portforward (403)', async () => {
      await expect(forwardAs(undefined, 'nope')).rejects.toThrow(/404/);
      await expect(forwardAs('noforward-token', pod)).rejects.toThrow(/403/);
    });
  });

  it('answers a missing pod, denied users and a request without upgrade with a Status', async () => {
    const missing = await rawUpgrade('nope');
    expect(missing).toMatchObject({
      status: 404,
      body: { kind: 'Status', reason: 'NotFound', message: 'pods "nope" not found', code: 404 },
    });
    const kubectlMissing = await env.kubectl('port-forward', '-n', NAMESPACE, 'pod/nope', ':8080');
    expect(kubectlMissing.stderr).toContain('pods "nope" not found');

    const denied = await rawUpgrade(pod, { token: 'noforward-token' });
    expect(denied).toMatchObject({
      status: 403,
      body: {
        reason: 'Forbidden',
        message: `pods "${pod}" is forbidden: User "noforward" cannot create resource "pods/portforward" in API group "" in the namespace "${NAMESPACE}"`,
      },
    });

    // A WebSocket GET needs get and create on pods/portforward, SPDY's POST only create.
    expect((await rawUpgrade(pod, { token: 'noget-token' })).status).toBe(101);
    await expect(forwardAs('noget-token', pod)).rejects.toThrow(/403/);

    const plain = await rawUpgrade(pod, { headers: {} });
    expect(plain).toMatchObject({ status: 400, body: { message: 'Upgrade request required' } });
    expect((await rawUpgrade(pod)).status).toBe(101);
  });
});
