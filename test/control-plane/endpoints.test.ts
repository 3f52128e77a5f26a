/**
 * The endpoints controller: a selector Service's Endpoints follow its pods (Ready ones as addresses,
 * the others as notReadyAddresses, named targetPorts resolved), seen through a list then a watch
 * from the list's resourceVersion, as client informers do; `kubectl get endpoints` shows them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ControlPlane, type KubeObject, startControlPlane } from '../support/control-plane/index.ts';
import { type Kubectl, kubectlFor, raw, until, watchUntil } from './helpers.ts';

const NS = 'shop';

interface Address {
  ip: string;
  targetRef: { kind: string; name: string; namespace: string };
}

interface Subset {
  addresses?: Address[];
  notReadyAddresses?: Address[];
  ports?: Array<{ name?: string; port: number; protocol: string }>;
}

const subsetsOf = (endpoints: KubeObject | Record<string, unknown> | undefined) =>
  ((endpoints as { subsets?: Subset[] } | undefined)?.subsets ?? []) as Subset[];
const count = (endpoints: KubeObject | Record<string, unknown> | undefined, key: keyof Subset) =>
  subsetsOf(endpoints).reduce((n, s) => n + ((s[key] as unknown[] | undefined)?.length ?? 0), 0);

const webPod = (name: string, labels: Record<string, string>): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: NS, labels },
  spec: { containers: [{ name: 'web', image: 'web:1', ports: [{ name: 'http', containerPort: 8080 }] }] },
});

const service = (name: string, spec: Record<string, unknown>): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: NS, labels: { tier: 'front' } },
  spec,
});

let plane: ControlPlane;
let kubectl: Kubectl;

beforeAll(async () => {
  // Pods labelled ready=no run but never get Ready.
  plane = await startControlPlane({
    podRuntime: {
      start: async (pod) => (pod.metadata.labels?.ready === 'no' ? 'never-ready' : 'ready'),
      stop: async () => undefined,
    },
  });
  kubectl = kubectlFor(plane, { namespace: NS });
  plane.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
});
afterAll(async () => {
  kubectl.cleanup();
  await plane.stop();
});

describe('endpoints controller', () => {
  it("lists the selected pods' IPs, Ready or not, with the Service's ports resolved", async () => {
    plane.put(webPod('web-a', { app: 'web' }));
    plane.put(webPod('web-b', { app: 'web', ready: 'no' }));
    plane.put(webPod('other', { app: 'other' }));
    plane.put(
      service('web', {
        selector: { app: 'web' },
        ports: [
          { name: 'http', port: 80, targetPort: 'http' },
          { name: 'metrics', port: 9090 },
        ],
      }),
    );
    const endpoints = await until(() => {
      const found = plane.get('endpoints', 'web', NS);
      return count(found, 'addresses') === 1 && count(found, 'notReadyAddresses') === 1 && found;
    }, 'the Endpoints of web');
    const ipOf = (name: string) => (plane.get('pods', name, NS)?.status as { podIP: string }).podIP;
    expect(endpoints.metadata.labels).toEqual({ tier: 'front' });
    expect(subsetsOf(endpoints)).toEqual([
      {
        addresses: [
          {
            ip: ipOf('web-a'),
            nodeName: 'control-plane',
            targetRef: {
              kind: 'Pod',
              namespace: NS,
              name: 'web-a',
              uid: plane.get('pods', 'web-a', NS)?.metadata.uid,
            },
          },
        ],
        notReadyAddresses: [
          {
            ip: ipOf('web-b'),
            nodeName: 'control-plane',
            targetRef: {
              kind: 'Pod',
              namespace: NS,
              name: 'web-b',
              uid: plane.get('pods', 'web-b', NS)?.metadata.uid,
            },
          },
        ],
        ports: [
          { name: 'http', port: 8080, protocol: 'TCP' },
          { name: 'metrics', port: 9090, protocol: 'TCP' },
        ],
      },
    ]);
    const table = await kubectl('get', 'endpoints', 'web');
    expect(table.stdout.split('\n')[0]).toMatch(/^NAME\s+ENDPOINTS\s+AGE$/);
    const ip = ipOf('web-a').replaceAll('.', '\\.');
    expect(table.stdout).toMatch(new RegExp(`^web\\s+${ip}:8080,${ip}:9090\\s`, 'm'));
  });

  it('streams the changes after a list as ADDED/MODIFIED/DELETED watch events', async () => {
    const list = await raw(
      plane,
      'GET',
      `/api/v1/namespaces/${NS}/endpoints?fieldSelector=metadata.name%3Dweb`,
    );
    const { resourceVersion } = list.body.metadata as { resourceVersion: string };
    expect(Number(resourceVersion)).toBeGreaterThan(0);
    expect((list.body.items as unknown[]).length).toBe(1);

    const seen = watchUntil(
      plane,
      `/api/v1/namespaces/${NS}/endpoints?watch=1&fieldSelector=metadata.name%3Dweb&resourceVersion=${resourceVersion}`,
      (events) => events.some((e) => e.type === 'DELETED'),
    );
    plane.put(webPod('web-c', { app: 'web' }));
    await until(() => count(plane.get('endpoints', 'web', NS), 'addresses') === 2, 'web-c in the Endpoints');
    expect((await kubectl('delete', 'service', 'web')).code).toBe(0);
    const events = await seen;
    expect(events.map((e) => e.type)).toEqual([...events.slice(0, -1).map(() => 'MODIFIED'), 'DELETED']);
    expect(events.some((e) => count(e.object, 'addresses') === 2)).toBe(true);
    expect(events.every((e) => (e.object.metadata as { name: string }).name === 'web')).toBe(true);
    await until(() => !plane.get('endpoints', 'web', NS), 'the Endpoints to go');
  });

  it("watches pods by label from a list's resourceVersion", async () => {
    const list = await raw(plane, 'GET', `/api/v1/namespaces/${NS}/pods?labelSelector=app%3Dweb`);
    const { resourceVersion } = list.body.metadata as { resourceVersion: string };
    const seen = watchUntil(
      plane,
      `/api/v1/namespaces/${NS}/pods?watch=1&labelSelector=app%3Dcart&resourceVersion=${resourceVersion}`,
      (events) => events.some((e) => e.type === 'DELETED'),
    );
    plane.put(webPod('cart', { app: 'cart' }));
    plane.put(webPod('ignored', { app: 'ignored' }));
    await kubectl('delete', 'pod', 'cart', '--wait=false');
    const events = await seen;
    expect(events[0]?.type).toBe('ADDED');
    expect(events.at(-1)?.type).toBe('DELETED');
    expect(new Set(events.map((e) => (e.object.metadata as { name: string }).name))).toEqual(
      new Set(['cart']),
    );
  });

  it('leaves the Endpoints of a Service without a selector to their writer', async () => {
    plane.put(service('external', { ports: [{ port: 5432 }] }));
    plane.put({
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: { name: 'external', namespace: NS },
      subsets: [{ addresses: [{ ip: '10.1.2.3' }], ports: [{ port: 5432, protocol: 'TCP' }] }],
    });
    plane.put({
      ...service('external', { ports: [{ port: 5432 }] }),
      metadata: { name: 'external', namespace: NS, labels: { changed: 'yes' } },
    });
    // The work queue runs in order: once a later Service has its Endpoints, external's turn has passed.
    plane.put(service('marker', { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 'http' }] }));
    await until(() => plane.get('endpoints', 'marker', NS), 'the marker Endpoints');
    expect(subsetsOf(plane.get('endpoints', 'external', NS))).toEqual([
      { addresses: [{ ip: '10.1.2.3' }], ports: [{ port: 5432, protocol: 'TCP' }] },
    ]);
  });
});
