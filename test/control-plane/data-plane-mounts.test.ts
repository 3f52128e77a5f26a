/**
 * The data plane mounts ConfigMaps as the kubelet does, for each way a hand-made gateway reads its
 * haproxy.cfg (directory, subPath, items, a non-default -f): the pod runs the config from where its
 * haproxy reads it, and a path the pod does not have stays missing, so HAProxy fails as it would there.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultHaproxy } from '../support/control-plane/data-plane/index.ts';
import {
  type ControlPlaneWithDataPlane,
  type KubeObject,
  startControlPlane,
} from '../support/control-plane/index.ts';
import { haproxyFixture } from '../support/haproxy.ts';
import { echoBackend } from './gateway-fixture.ts';
import { HAND_MADE_DEPLOYMENT, HAND_MADE_LAYOUTS, handMadeGateway } from './hand-made-gateway.ts';
import { until } from './helpers.ts';

const haproxy = defaultHaproxy();

const ready = (pod: KubeObject | undefined) =>
  (pod?.status as { conditions?: Array<{ type: string; status: string }> } | undefined)?.conditions?.some(
    (condition) => condition.type === 'Ready' && condition.status === 'True',
  );

describe.skipIf(haproxy === 'haproxy' && !process.env.CI)(`ConfigMap mounts (haproxy: ${haproxy})`, () => {
  let plane: ControlPlaneWithDataPlane;

  beforeAll(async () => {
    plane = await startControlPlane({ dataPlane: { haproxyBin: haproxy, readyTimeoutMs: 3000 } });
    plane.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'y' } });
    for (const object of echoBackend('x', 'y')) plane.put(object);
    await until(() => ready(plane.list('pods', 'y')[0]), 'the echo backend to be ready');
  });
  afterAll(async () => {
    await plane?.stop();
  });

  const gatewayPod = (namespace: string) =>
    plane.list('pods', namespace).find((pod) => pod.metadata.labels?.app === HAND_MADE_DEPLOYMENT);

  it.each(HAND_MADE_LAYOUTS.map((layout, index) => [layout.name, index, layout] as const))(
    '%s: the pod runs the config and routes through it',
    async (_name, index, layout) => {
      const namespace = `mounts-${index}`;
      plane.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
      for (const object of handMadeGateway(namespace, layout, haproxyFixture('original-comments.cfg')))
        plane.put(object);
      await until(() => ready(gatewayPod(namespace)), `the gateway pod in ${namespace} to be ready`);
      const { host, port } = plane.dataPlane.serviceAddress(namespace, HAND_MADE_DEPLOYMENT, 80);
      const response = await fetch(`http://${host}:${port}/x/push`, { method: 'POST', body: '{}' });
      expect(response.status).toBe(200);
      expect(JSON.parse(await response.text())).toMatchObject({ path: '/x/push' });
    },
  );

  it('a map read from a path the pod does not have stops HAProxy, as it would in the pod', async () => {
    const namespace = 'mounts-wrong-path';
    const [, , nonDefault] = HAND_MADE_LAYOUTS;
    const cfg = haproxyFixture('original-comments.cfg').replace(
      '    use_backend be_x if PATH_x\n',
      '    use_backend be_x if PATH_x\n    use_backend %[path,concat(/),map_beg(/usr/local/etc/haproxy/haproxy.cfg)]\n',
    );
    plane.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
    for (const object of handMadeGateway(namespace, nonDefault as (typeof HAND_MADE_LAYOUTS)[number], cfg))
      plane.put(object);
    const exited = await until(
      () => plane.dataPlane.processes().find((p) => p.namespace === namespace && !p.running),
      'HAProxy to exit',
    );
    expect(plane.dataPlane.logs(`${namespace}/${exited.pod}`)).toContain(
      'failed to open pattern file </usr/local/etc/haproxy/haproxy.cfg>',
    );
    expect(ready(gatewayPod(namespace))).toBeFalsy();
  });
});
