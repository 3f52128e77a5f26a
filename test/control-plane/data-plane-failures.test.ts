/**
 * The data plane's failure paths: pods whose HAProxy cannot start or never gets healthy fail and
 * keep HAProxy's output as their log; Services without ready pods accept and close connections.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultHaproxy } from '../support/control-plane/data-plane/index.ts';
import {
  type ControlPlaneWithDataPlane,
  type KubeObject,
  startControlPlane,
} from '../support/control-plane/index.ts';
import { raw, until } from './helpers.ts';

const haproxy = defaultHaproxy();
const NS = 'broken';

const configMap = (name: string, cfg: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: NS },
  data: { 'haproxy.cfg': cfg },
});

/** A bare pod shaped like the gateway's: the haproxy image with a ConfigMap mounted as its config dir. */
const gatewayPod = (name: string, configMapName: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: NS, labels: { app: name } },
  spec: {
    restartPolicy: 'Never',
    containers: [
      {
        name: 'haproxy',
        image: 'docker.io/library/haproxy:3.2',
        command: ['haproxy', '-db', '-f', '/usr/local/etc/haproxy/haproxy.cfg'],
        ports: [
          { name: 'http', containerPort: 8080 },
          { name: 'stats', containerPort: 8404 },
        ],
        readinessProbe: { httpGet: { path: '/healthz', port: 'stats' } },
        volumeMounts: [{ name: 'config', mountPath: '/usr/local/etc/haproxy' }],
      },
    ],
    volumes: [{ name: 'config', configMap: { name: configMapName } }],
  },
});

const phaseOf = (plane: ControlPlaneWithDataPlane, name: string) =>
  (plane.get('pods', name, NS)?.status as { phase?: string } | undefined)?.phase;

describe.skipIf(haproxy === 'haproxy' && !process.env.CI)(`data plane failures (haproxy: ${haproxy})`, () => {
  let plane: ControlPlaneWithDataPlane;

  beforeAll(async () => {
    plane = await startControlPlane({ dataPlane: { haproxyBin: haproxy, readyTimeoutMs: 1000 } });
    plane.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
  });
  afterAll(async () => {
    const pids = plane.dataPlane.processes().map((p) => p.pid);
    await plane.stop();
    expect(plane.dataPlane.processes().filter((p) => p.running)).toEqual([]);
    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow();
  });

  it('fails a pod whose HAProxy refuses its config, keeping what HAProxy printed as the log', async () => {
    plane.put(configMap('invalid', 'global\n    no-such-keyword on\n'));
    plane.put(gatewayPod('invalid', 'invalid'));
    await until(() => phaseOf(plane, 'invalid') === 'Failed', 'the pod to fail');
    expect(plane.dataPlane.logs(`${NS}/invalid`)).toMatch(/\[ALERT\].*no-such-keyword/);
    expect(plane.dataPlane.processes().find((p) => p.pod === 'invalid')).toMatchObject({ running: false });
  });

  it('fails a pod whose HAProxy never answers its readiness probe, and stops that HAProxy', async () => {
    // Valid, but nothing serves /healthz on the stats port.
    const cfg =
      'defaults\n    mode http\n    timeout client 1s\n    timeout server 1s\n    timeout connect 1s\nfrontend web\n    bind :8080\n    http-request return status 200\n';
    plane.put(configMap('unhealthy', cfg));
    plane.put(gatewayPod('unhealthy', 'unhealthy'));
    await until(() => plane.dataPlane.processes().find((p) => p.pod === 'unhealthy'), 'HAProxy to start');
    await until(() => phaseOf(plane, 'unhealthy') === 'Failed', 'the pod to fail');
    expect(plane.dataPlane.logs(`${NS}/unhealthy`)).toContain('did not get ready in 1000 ms');
    expect(plane.dataPlane.processes().find((p) => p.pod === 'unhealthy')?.running).toBe(false);
  });

  it("leaves a Deployment's pod Running but not Ready when HAProxy refuses the config, without replacements", async () => {
    const template = gatewayPod('crashing', 'invalid');
    const { restartPolicy: _never, ...podSpec } = template.spec as Record<string, unknown>;
    plane.put({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'crashing', namespace: NS },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'crashing' } },
        template: { metadata: { labels: { app: 'crashing' } }, spec: podSpec },
      },
    });
    const crashing = () => plane.list('pods', NS).filter((p) => p.metadata.labels?.app === 'crashing');
    const proc = await until(
      () => plane.dataPlane.processes().find((p) => p.pod.startsWith('crashing-') && !p.running),
      'HAProxy to exit',
    );
    expect(plane.dataPlane.logs(`${NS}/${proc.pod}`)).toContain('[ALERT]');
    expect(crashing()).toHaveLength(1);
    expect(crashing()[0]?.status).toMatchObject({
      phase: 'Running',
      conditions: expect.arrayContaining([expect.objectContaining({ type: 'Ready', status: 'False' })]),
    });
  });

  it('fails a pod whose ConfigMap does not exist', async () => {
    plane.put(gatewayPod('orphan', 'missing'));
    await until(() => phaseOf(plane, 'orphan') === 'Failed', 'the pod to fail');
    expect(plane.dataPlane.logs(`${NS}/orphan`)).toContain('configmap "missing" not found');
  });

  it('accepts and closes connections to a Service without ready pods', async () => {
    plane.put({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'nobody', namespace: NS },
      spec: { selector: { app: 'nobody' }, ports: [{ port: 80, targetPort: 8080 }] },
    });
    await plane.dataPlane.settled();
    const to = plane.dataPlane.serviceAddress(NS, 'nobody', 80);
    expect(to.host).toMatch(/^127\.\d+\.2\d\d\.\d+$/);
    const outcome = await new Promise<string>((resolve) => {
      let connected = false;
      let data = '';
      const socket = connect(to, () => {
        connected = true;
        socket.write('GET / HTTP/1.0\r\n\r\n');
      });
      socket.on('data', (chunk: Buffer) => (data += chunk.toString()));
      socket.on('error', () => undefined);
      socket.on('close', () => resolve(`${connected ? 'connected' : 'refused'}, ${data.length} bytes`));
    });
    expect(outcome).toBe('connected, 0 bytes');
  });

  it('forgets a deleted Service: its name stops resolving and its listener closes', async () => {
    expect(plane.dataPlane.lookup(`nobody.${NS}.svc.cluster.local`)).toHaveLength(1);
    expect(plane.dataPlane.lookup(`nobody.${NS}.svc`)).toHaveLength(1);
    const to = plane.dataPlane.serviceAddress(NS, 'nobody', 80);
    expect((await raw(plane, 'DELETE', `/api/v1/namespaces/${NS}/services/nobody`)).status).toBe(200);
    expect(plane.dataPlane.lookup(`nobody.${NS}.svc.cluster.local`)).toBeUndefined();
    // server.close() stops listening at once, before the DELETE is answered.
    const refused = await new Promise<string>((resolve) => {
      const socket = connect(to, () => {
        socket.destroy();
        resolve('connected');
      });
      socket.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
    });
    expect(refused).toBe('ECONNREFUSED');
  });
});
