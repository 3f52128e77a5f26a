import { describe, expect, it } from 'vitest';
import { configChecksum } from '../../src/haproxy/gateway-config.ts';
import { addRoute } from '../../src/haproxy/routes.ts';
import { KubeHttpError } from '../../src/kube/errors.ts';
import { CONFIG_CHECKSUM_ANNOTATION } from '../../src/manifests/render.ts';
import type { GatewayLocation } from '../../src/services/gateway.ts';
import { buildGatewayStatus, emptySources, noticeFor, type StatusPod } from '../../src/services/status.ts';
import { renderStatusSnapshot, statusChanges } from '../../src/ui/status-text.ts';
import { bundledGatewayConfig } from '../support/haproxy.ts';
import { recordedObject } from '../support/tekton-fixtures.ts';

const location: GatewayLocation = {
  namespace: 'trigger-gateway',
  configMap: 'trigger-gateway-haproxy',
  deployment: 'trigger-gateway',
  discovered: false,
  handMade: false,
};
const NOW = new Date('2026-11-24T10:00:00Z');
const cfg = bundledGatewayConfig(true);

function pod(name: string, checksum: string, ready = true): StatusPod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'trigger-gateway',
      creationTimestamp: '2026-11-24T09:57:00Z',
      annotations: { [CONFIG_CHECKSUM_ANNOTATION]: checksum },
    },
    status: {
      phase: 'Running',
      conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }],
      containerStatuses: [
        {
          name: 'haproxy',
          ready,
          restartCount: 2,
          ...(ready ? {} : { state: { waiting: { reason: 'CrashLoopBackOff' } } }),
        },
      ],
    },
  };
}

function sources() {
  const all = emptySources();
  all.configMap = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'trigger-gateway-haproxy', namespace: 'trigger-gateway' },
    data: { 'haproxy.cfg': cfg },
  };
  return all;
}

const frame = { context: 'prod', server: 'https://kcp.example.com/clusters/root:org:infra', location };

describe('buildGatewayStatus', () => {
  it('shows which pods run the current config, so a stuck rollout is visible', () => {
    const all = sources();
    all.pods = [pod('gw-new', configChecksum(cfg)), pod('gw-old', 'sha256:stale', false)];
    const status = buildGatewayStatus(frame, all, NOW);
    expect(status.workspace).toBe('root:org:infra');
    expect(status.pods).toEqual([
      expect.objectContaining({ name: 'gw-new', ready: true, currentConfig: true, restarts: 2 }),
      expect.objectContaining({
        name: 'gw-old',
        ready: false,
        currentConfig: false,
        problem: 'CrashLoopBackOff',
      }),
    ]);
  });

  it('shows a pod of an earlier rollout that is still shutting down as Terminating, as kubectl does', () => {
    const all = sources();
    const leaving = pod('gw-old', 'sha256:stale');
    leaving.metadata.deletionTimestamp = '2026-11-24T09:59:58Z';
    all.pods = [pod('gw-new', configChecksum(cfg)), leaving];
    const status = buildGatewayStatus(frame, all, NOW);
    expect(status.pods.map((p) => [p.name, p.phase])).toEqual([
      ['gw-new', 'Running'],
      ['gw-old', 'Terminating'],
    ]);
    expect(renderStatusSnapshot(status)).toMatch(/gw-old\s+1\/1\s+Terminating/);
  });

  it("gives each route its Service's ready endpoints and HAProxy's numbers", () => {
    const all = sources();
    all.services.set('trigger', [{ apiVersion: 'v1', kind: 'Service', metadata: { name: 'httpecho' } }]);
    all.endpoints.set('trigger', [
      {
        apiVersion: 'v1',
        kind: 'Endpoints',
        metadata: { name: 'httpecho' },
        subsets: [{ addresses: [{}, {}] }],
      },
    ]);
    const route = buildGatewayStatus(frame, all, NOW).routes[0];
    expect(route).toMatchObject({
      match: '/trigger',
      serviceExists: true,
      readyEndpoints: 2,
      stats: undefined,
    });
    all.stats.set(
      'gw',
      new Map([
        [
          route?.backendName ?? '',
          {
            status: 'UP',
            sessions: 0,
            requests: 7,
            http2xx: 6,
            http4xx: 1,
            http5xx: 0,
            lastRequestSeconds: 4,
          },
        ],
      ]),
    );
    expect(buildGatewayStatus(frame, all, NOW).routes[0]?.stats).toMatchObject({ status: 'UP', requests: 7 });
  });

  it('says "missing" for a Service that is not there, and "unknown" where it could not look', () => {
    const all = sources();
    expect(buildGatewayStatus(frame, all, NOW).routes[0]).toMatchObject({
      serviceExists: undefined,
      readyEndpoints: undefined,
    });
    all.services.set('trigger', []);
    all.endpoints.set('trigger', []);
    expect(buildGatewayStatus(frame, all, NOW).routes[0]).toMatchObject({
      serviceExists: false,
      readyEndpoints: 0,
    });
  });

  it('turns failed reads into notices a user can act on', () => {
    expect(
      noticeFor('list events', new KubeHttpError(403, { message: 'User "x" cannot list resource "events"' })),
    ).toBe('not allowed to list events (403): User "x" cannot list resource "events"');
    expect(noticeFor('watch Ingresses', new KubeHttpError(404, {}))).toBe(
      'cannot watch Ingresses: the cluster does not serve that API',
    );
  });
});

describe('routes to Tekton EventListeners', () => {
  /** The bundled config with /github and /broken routed to the Services the real controller created. */
  function withListenerRoutes() {
    const all = sources();
    let routed = cfg;
    for (const [path, service, namespace] of [
      ['/github', 'el-github-listener', 'fx-ci'],
      ['/broken', 'el-broken-listener', 'fx-broken'],
    ] as const) {
      routed = addRoute(
        routed,
        { match: { type: 'path', path }, service: { name: service, namespace, port: 8080 } },
        { namespace: location.namespace, overwrite: false },
      ).cfg;
    }
    all.configMap = { ...all.configMap!, data: { 'haproxy.cfg': routed } };
    all.pods = [pod('gw-a', configChecksum(routed))];
    all.listeners.set('fx-ci', [recordedObject('github-listener', 'EventListener')]);
    all.listeners.set('fx-broken', [recordedObject('not-ready-listener', 'EventListener')]);
    return all;
  }

  it("gives a route whose Service a listener created that listener's Ready condition, as recorded from the real controller", () => {
    const status = buildGatewayStatus(frame, withListenerRoutes(), NOW);
    const byMatch = Object.fromEntries(status.routes.map((route) => [route.match, route.listener]));
    expect(byMatch['/trigger']).toBeUndefined();
    expect(byMatch['/github']).toEqual({
      name: 'github-listener',
      namespace: 'fx-ci',
      ready: 'True',
      message: 'EventListener is ready',
    });
    expect(byMatch['/broken']).toMatchObject({
      name: 'broken-listener',
      namespace: 'fx-broken',
      ready: 'False',
    });
    expect(byMatch['/broken']?.message).toContain('serviceaccount "no-such-account" not found');
  });

  it('shows it in the snapshot, with why a listener is not Ready, and in the --watch lines', () => {
    const status = buildGatewayStatus(frame, withListenerRoutes(), NOW);
    const text = renderStatusSnapshot(status, NOW.getTime());
    expect(text).toMatch(/^MATCH\s+BACKEND\s+SERVICE\s+LISTENER\s+HAPROXY/m);
    expect(text).toMatch(/^\/github\s+el-github-listener\.fx-ci:8080\s+\?\s+Ready\s/m);
    expect(text).toMatch(/^\/broken\s+el-broken-listener\.fx-broken:8080\s+\?\s+not Ready\s/m);
    expect(text).toMatch(/^\/trigger\s+httpecho\.trigger:80\s+\?\s+-\s/m);
    expect(text).toContain(
      '! eventlistener fx-broken/broken-listener is not Ready: Condition Available has status: False',
    );
    const lines = statusChanges(undefined, status);
    expect(lines).toContainEqual(
      expect.stringContaining(
        'route /github → el-github-listener.fx-ci:8080: service ?, eventlistener github-listener Ready, no HAProxy stats',
      ),
    );
    expect(lines.find((line) => line.includes('route /broken'))).toContain(
      'eventlistener broken-listener not Ready (Condition Available',
    );
  });
});

describe('the plain snapshot and --watch lines', () => {
  it('prints aligned sections, with the workspace only on kcp', () => {
    const all = sources();
    all.pods = [pod('gw-a', configChecksum(cfg))];
    all.notices.set('events', 'not allowed to list events (403)');
    const text = renderStatusSnapshot(buildGatewayStatus(frame, all, NOW));
    expect(text).toMatch(/^Workspace:\s+root:org:infra$/m);
    expect(text).toMatch(/^POD\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+CONFIG$/m);
    expect(text).toMatch(/^gw-a\s+1\/1\s+Running\s+2\s+3m\s+current$/m);
    expect(text).toMatch(/^\/trigger\s+httpecho\.trigger:80\s+\?\s+\?/m);
    expect(text).toContain('Note: not allowed to list events (403)');
    const plain = renderStatusSnapshot(
      buildGatewayStatus({ ...frame, server: 'https://10.0.0.1:6443' }, all, NOW),
    );
    expect(plain).not.toMatch(/workspace/i);
  });

  it('reads the routes and checksum of a config that changed, not of the last one', () => {
    const all = sources();
    all.pods = [pod('gw-a', configChecksum(cfg))];
    expect(buildGatewayStatus(frame, all, NOW).routes.map((route) => route.match)).toEqual(['/trigger']);
    const changed = addRoute(
      cfg,
      {
        match: { type: 'path', path: '/github' },
        service: { name: 'el-github', namespace: 'ci', port: 8080 },
      },
      { namespace: location.namespace, overwrite: false },
    ).cfg;
    all.configMap = { ...all.configMap!, data: { 'haproxy.cfg': changed } };
    const status = buildGatewayStatus(frame, all, NOW);
    expect(status.routes.map((route) => route.match)).toEqual(['/trigger', '/github']);
    expect(status.pods[0]?.currentConfig).toBe(false);
  });

  it('prints the first reading in full, then only what changed', () => {
    const all = sources();
    all.pods = [pod('gw-a', configChecksum(cfg))];
    const first = buildGatewayStatus(frame, all, NOW);
    expect(statusChanges(undefined, first)).toEqual([
      '10:00:00 pod gw-a 1/1 Running, current config, 2 restarts',
      '10:00:00 route /trigger → httpecho.trigger:80: service ?, no HAProxy stats',
    ]);
    all.pods = [pod('gw-a', 'sha256:stale', false)];
    const second = buildGatewayStatus(frame, all, new Date('2026-11-24T10:00:05Z'));
    expect(statusChanges(first, second)).toEqual([
      '10:00:05 pod gw-a 0/1 CrashLoopBackOff, old config, 2 restarts',
    ]);
    expect(statusChanges(second, second)).toEqual([]);
  });
});
