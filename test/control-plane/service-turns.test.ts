/**
 * The data plane's Services balance each on its own, as kube-proxy does: traffic to one Service never
 * moves which pod another Service picks next.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  type ControlPlaneWithDataPlane,
  type KubeObject,
  startControlPlane,
} from '../support/control-plane/index.ts';
import { until } from './helpers.ts';
import { echoBackend } from './gateway-fixture.ts';
import { httpGet } from './pod-io-fixture.ts';

const NS = 'turns';
let plane: ControlPlaneWithDataPlane;

/** The echo server answers with its own host name: the pod that served the request. */
async function servedBy(service: string): Promise<string> {
  const reply = await httpGet(plane.dataPlane.serviceAddress(NS, service, 80), '/');
  return (JSON.parse(reply.body) as { os: { hostname: string } }).os.hostname;
}

beforeAll(async () => {
  plane = await startControlPlane({ dataPlane: true });
  plane.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } });
  for (const name of ['a', 'b']) {
    for (const object of echoBackend(name, NS)) {
      if (object.kind === 'Deployment') (object.spec as { replicas: number }).replicas = 2;
      plane.put(object);
    }
  }
  await until(
    () =>
      plane
        .list('pods', NS)
        .filter((pod: KubeObject) =>
          (
            pod.status as { conditions?: Array<{ type: string; status: string }> } | undefined
          )?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'),
        ).length === 4,
    'four ready echo pods',
  );
  await plane.dataPlane.settled();
});

afterAll(async () => {
  await plane?.stop();
});

it("alternates between a Service's pods whatever traffic other Services get", async () => {
  const seen: string[] = [];
  for (let i = 0; i < 4; i++) {
    seen.push(await servedBy('a'));
    await servedBy('b');
  }
  expect(new Set(seen).size).toBe(2);
  expect(seen[0]).not.toBe(seen[1]);
  expect(seen[0]).toBe(seen[2]);
});
