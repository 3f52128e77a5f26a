/**
 * `route add` then `route remove` on hand-made gateways, in each layout the original manifests allow
 * (directory mount, subPath mount, a non-default -f, items under another name), with real HAProxy
 * pods of the data plane: the new pods become Ready and route the new path, the hand routes keep
 * working, and removing the route gives back the ConfigMap's haproxy.cfg byte for byte.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import RouteAdd from '../../src/commands/route/add.ts';
import RouteRemove from '../../src/commands/route/remove.ts';
import { runCommand } from '../support/cli.ts';
import {
  type ControlPlaneWithDataPlane,
  type KubeObject,
  startControlPlane,
} from '../support/control-plane/index.ts';
import { findHaproxy, haproxyFixture, type HaproxyFixture } from '../support/haproxy.ts';
import { echoBackend } from '../control-plane/gateway-fixture.ts';
import {
  HAND_MADE_CONFIG_MAP,
  HAND_MADE_DEPLOYMENT,
  HAND_MADE_LAYOUTS,
  type HandMadeLayout,
  handMadeGateway,
} from '../control-plane/hand-made-gateway.ts';
import { until } from '../control-plane/helpers.ts';

let plane: ControlPlaneWithDataPlane;
let kubeconfig: string;

function run(command: Parameters<typeof runCommand>[0], ...args: string[]) {
  return runCommand(command, ['--kubeconfig', kubeconfig, ...args]);
}

const isReady = (pod: KubeObject) =>
  (pod.status as { conditions?: Array<{ type: string; status: string }> } | undefined)?.conditions?.some(
    (condition) => condition.type === 'Ready' && condition.status === 'True',
  ) ?? false;

const gatewayPods = (namespace: string) =>
  plane
    .list('pods', namespace)
    .filter((pod) => pod.metadata.labels?.app === HAND_MADE_DEPLOYMENT && !pod.metadata.deletionTimestamp);

function liveConfig(namespace: string): string {
  const configMap = plane.get('configmaps', HAND_MADE_CONFIG_MAP, namespace) as KubeObject & {
    data: Record<string, string>;
  };
  return configMap.data['haproxy.cfg'] ?? '';
}

/** One request through the gateway's Service. */
async function send(
  namespace: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  const { host, port } = plane.dataPlane.serviceAddress(namespace, HAND_MADE_DEPLOYMENT, 80);
  const response = await fetch(`http://${host}:${port}${path}`, { method: 'POST', body: '{}', headers });
  return { status: response.status, body: await response.text() };
}

interface Case {
  layout: HandMadeLayout;
  fixture: HaproxyFixture;
  crlf: boolean;
  /** A request one of the config's hand routes sends to the echo backend. */
  hand: { path: string; headers?: Record<string, string> };
}

const CASES: Case[] = [
  {
    layout: HAND_MADE_LAYOUTS[0] as HandMadeLayout,
    fixture: 'original-tabs.cfg',
    crlf: false,
    hand: { path: '/docs/a' },
  },
  {
    layout: HAND_MADE_LAYOUTS[1] as HandMadeLayout,
    fixture: 'original-header.cfg',
    crlf: true,
    hand: { path: '/anything', headers: { 'X-Github-Event': 'push' } },
  },
  {
    layout: HAND_MADE_LAYOUTS[2] as HandMadeLayout,
    fixture: 'original-comments.cfg',
    crlf: false,
    hand: { path: '/x/push' },
  },
  {
    layout: HAND_MADE_LAYOUTS[3] as HandMadeLayout,
    fixture: 'original-tabs.cfg',
    crlf: true,
    hand: { path: '/x' },
  },
];

describe.skipIf(!findHaproxy() && !process.env.CI)(
  'route add and remove on hand-made gateways with real HAProxy pods',
  () => {
    beforeAll(async () => {
      plane = await startControlPlane({ dataPlane: true });
      kubeconfig = plane.writeKubeconfig(join(mkdtempSync(join(tmpdir(), 'tg-hand-made-')), 'kubeconfig'));
      // What the fixtures' hand routes and /extra reach: x.y on 80 and 81, pac-controller.pipelines on 8080.
      for (const [name, namespace, ports] of [
        ['x', 'y', [80, 81]],
        ['pac-controller', 'pipelines', [8080]],
      ] as const) {
        plane.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
        for (const object of echoBackend(name, namespace, [...ports])) plane.put(object);
        await until(() => plane.list('pods', namespace).some(isReady), `the echo backend in ${namespace}`);
      }
    });

    afterAll(async () => {
      await plane?.stop();
    });

    it.each(CASES.map((one, index) => [one.layout.name, one.fixture, one.crlf, index, one] as const))(
      '%s (%s, CRLF: %s)',
      async (_layout, _fixture, _crlf, index, { layout, fixture, crlf, hand }) => {
        const namespace = `hand-made-${index}`;
        const original = haproxyFixture(fixture, { crlf });
        plane.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
        for (const object of handMadeGateway(namespace, layout, original)) plane.put(object);
        await until(() => gatewayPods(namespace).some(isReady), `the hand-made gateway in ${namespace}`);
        expect((await send(namespace, hand.path, hand.headers)).status).toBe(200);
        // No route and no default_backend: HAProxy's own 503.
        expect((await send(namespace, '/extra/push')).status).toBe(503);

        const added = await run(RouteAdd, '/extra', 'x.y:81', '-n', namespace, '--timeout', '30s');
        expect(added.exitCode, added.stderr).toBe(0);
        expect(added.stdout).toContain('traffic flows now');
        expect(liveConfig(namespace)).toContain(`map_beg(${layout.configPath})]`);
        const pods = gatewayPods(namespace);
        expect(pods.length).toBeGreaterThan(0);
        expect(pods.every(isReady)).toBe(true);
        const routed = await send(namespace, '/extra/push');
        expect(routed.status).toBe(200);
        expect(JSON.parse(routed.body)).toMatchObject({ path: '/extra/push' });
        expect((await send(namespace, hand.path, hand.headers)).status).toBe(200);

        const removed = await run(RouteRemove, '/extra', '-n', namespace, '--timeout', '30s');
        expect(removed.exitCode, removed.stderr).toBe(0);
        expect(removed.stdout).toContain('traffic flows now');
        expect(liveConfig(namespace)).toBe(original);
        expect(gatewayPods(namespace).every(isReady)).toBe(true);
        expect((await send(namespace, '/extra/push')).status).toBe(503);
        expect((await send(namespace, hand.path, hand.headers)).status).toBe(200);
      },
    );
  },
);
