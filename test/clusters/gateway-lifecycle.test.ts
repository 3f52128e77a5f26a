/**
 * The plugin's whole job, in order, on each control plane of the run (the local one in `npm test`'s
 * fast run; the real kube-apiserver, controllers, scheduler and node agent in the real run): install
 * and its rollout, a no-op re-install, an upgrade that keeps the live haproxy.cfg, routes with their
 * rollouts and under 20 concurrent writers, a delivery through the gateway proven from the backend's
 * log, status, and uninstall down to the namespace. Everything is read back through the API.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import Deliveries from '../../src/commands/deliveries.ts';
import Install from '../../src/commands/install.ts';
import RouteAdd from '../../src/commands/route/add.ts';
import RouteList from '../../src/commands/route/list.ts';
import RouteRemove from '../../src/commands/route/remove.ts';
import Status from '../../src/commands/status.ts';
import Test from '../../src/commands/test.ts';
import Uninstall from '../../src/commands/uninstall.ts';
import { KubeClient } from '../../src/kube/client.ts';
import { resolveKubeTarget } from '../../src/kube/kubeconfig.ts';
import type { KubeObject } from '../../src/manifests/types.ts';
import type { ListedDelivery } from '../../src/services/deliveries.ts';
import { runDeliveryFeed } from '../../src/services/delivery-feed.ts';
import { locateGateway } from '../../src/services/gateway.ts';
import { runCommand, runExecutable } from '../support/cli.ts';
import { type ClusterUnderTest, controlPlanes, freshNamespace } from '../support/clusters.ts';
import { eventually } from '../support/eventually.ts';
import { followedPods, startFollowing } from '../support/follow-process.ts';
import { gatewayReaders } from '../support/gateway-objects.ts';

const CHECKSUM = 'trigger-gateway.dev/config-checksum';
const GATEWAY_PODS = 'app.kubernetes.io/name=trigger-gateway,app.kubernetes.io/instance=trigger-gateway';

describe.each(controlPlanes())('the gateway on the $name control plane', (row) => {
  let cluster: ClusterUnderTest;
  const ns = freshNamespace('tg-life');

  const run = (command: Parameters<typeof runCommand>[0], ...args: string[]) =>
    runCommand(command, ['--kubeconfig', cluster.kubeconfig, '-n', ns, ...args]);
  const kubectl = (...args: string[]) => runExecutable('kubectl', args, { KUBECONFIG: cluster.kubeconfig });

  const { configMap, deployment } = gatewayReaders(() => cluster.kube, ns);
  /** Every object of the gateway's kinds in the namespace, with its resourceVersion. */
  const fingerprint = async () => {
    const kinds: Array<[string, string]> = [
      ['v1', 'ConfigMap'],
      ['v1', 'Service'],
      ['v1', 'ServiceAccount'],
      ['apps/v1', 'Deployment'],
      ['apps/v1', 'ReplicaSet'],
      ['policy/v1', 'PodDisruptionBudget'],
      ['networking.k8s.io/v1', 'Ingress'],
    ];
    const lists = await Promise.all(
      kinds.map(([apiVersion, kind]) => cluster.kube.list(apiVersion, kind, { namespace: ns })),
    );
    return lists
      .flat()
      .map((o) => `${o.kind}/${o.metadata.name}@${o.metadata.resourceVersion}`)
      .sort();
  };
  const routePaths = async () => {
    const listed = await run(RouteList, '-o', 'json');
    expect(listed.exitCode, listed.stderr).toBe(0);
    return (JSON.parse(listed.stdout) as Array<{ match: { path?: string } }>).map((r) => r.match.path).sort();
  };

  beforeAll(async () => {
    cluster = await row.connect();
  });

  afterAll(async () => {
    await cluster?.close();
  });

  it('installs the gateway and waits until the Deployment controller has rolled it out', async () => {
    const installed = await run(Install);
    expect(installed.exitCode, installed.stderr).toBe(0);
    expect(installed.stdout).toContain(`Gateway installed in namespace ${ns}.`);
    expect(installed.stdout).toContain(`Ready: deployment ${ns}/trigger-gateway 2/2 pods.`);
    const live = await deployment();
    expect(live.status?.readyReplicas).toBe(2);
    const cfg = (await configMap()).data['haproxy.cfg'] ?? '';
    expect(live.spec.template.metadata.annotations?.[CHECKSUM]).toBe(
      createHash('sha256').update(cfg).digest('hex'),
    );
    const read = await kubectl(
      'get',
      'pods',
      '-n',
      ns,
      '-l',
      'app.kubernetes.io/name=trigger-gateway',
      '-o',
      'name',
    );
    expect(read.stdout.trim().split('\n')).toHaveLength(2);
  });

  it('installs again as a no-op: every object unchanged, no resourceVersion moves', async () => {
    const before = await fingerprint();
    const again = await run(Install, '-o', 'json');
    expect(again.exitCode, again.stderr).toBe(0);
    const actions = (JSON.parse(again.stdout) as { objects: Array<{ action: string }> }).objects.map(
      (o) => o.action,
    );
    expect(new Set(actions)).toEqual(new Set(['unchanged']));
    expect(await fingerprint()).toEqual(before);
  });

  it('adds a route, rolls the pods to it and waits for them', async () => {
    const added = await run(RouteAdd, '/github', 'el-github-listener.ci:8080');
    expect(added.exitCode, added.stderr).toBe(0);
    expect(added.stdout).toContain('traffic flows now');
    const cfg = (await configMap()).data['haproxy.cfg'] ?? '';
    expect(cfg).toContain('el-github-listener.ci.svc.cluster.local:8080');
    const live = await deployment();
    expect(live.spec.template.metadata.annotations?.[CHECKSUM]).toBe(
      createHash('sha256').update(cfg).digest('hex'),
    );
    expect(live.status?.updatedReplicas).toBe(2);
    expect(live.status?.readyReplicas).toBe(2);
    // "traffic flows now" means no pod runs the old config any more, not even one shutting down.
    const pods = await cluster.kube.list<KubeObject>('v1', 'Pod', {
      namespace: ns,
      labelSelector: GATEWAY_PODS,
    });
    expect(pods.map((pod) => pod.metadata.annotations?.[CHECKSUM])).toEqual(
      pods.map(() => live.spec.template.metadata.annotations?.[CHECKSUM]),
    );
  });

  it('upgrades in place and keeps the live haproxy.cfg with its routes', async () => {
    const before = (await configMap()).data['haproxy.cfg'];
    const upgraded = await run(Install, '--replicas', '3', '-o', 'json');
    expect(upgraded.exitCode, upgraded.stderr).toBe(0);
    const actions = JSON.parse(upgraded.stdout) as { objects: Array<{ kind: string; action: string }> };
    expect(actions.objects.find((o) => o.kind === 'Deployment')?.action).toBe('configured');
    expect((await configMap()).data['haproxy.cfg']).toBe(before);
    expect((await deployment()).status?.readyReplicas).toBe(3);
    expect(await routePaths()).toContain('/github');
  });

  it('never loses a route when 20 processes add routes at the same moment', async () => {
    const adds = Array.from({ length: 20 }, (_, i) =>
      runExecutable(
        'kubectl',
        ['trigger-gateway', 'route', 'add', `/team-${i}`, `el-team-${i}.ci:8080`, '-n', ns, '--no-wait'],
        { KUBECONFIG: cluster.kubeconfig },
      ),
    );
    for (const result of await Promise.all(adds)) expect(result.exitCode, result.stderr).toBe(0);
    const paths = await routePaths();
    for (let i = 0; i < 20; i++) expect(paths).toContain(`/team-${i}`);
    const cfg = (await configMap()).data['haproxy.cfg'] ?? '';
    expect((await deployment()).spec.template.metadata.annotations?.[CHECKSUM]).toBe(
      createHash('sha256').update(cfg).digest('hex'),
    );
  });

  it('removes a route and waits for the rollout', async () => {
    const removed = await run(RouteRemove, '/team-0');
    expect(removed.exitCode, removed.stderr).toBe(0);
    expect(removed.stdout).toContain('Removed route /team-0');
    expect(await routePaths()).not.toContain('/team-0');
    const live = await deployment();
    expect(live.status?.updatedReplicas).toBe(3);
    expect(live.status?.readyReplicas).toBe(3);
  });

  it('shows the pods and routes in a status snapshot and as JSON', async () => {
    const snapshot = await run(Status);
    expect(snapshot.exitCode, snapshot.stderr).toBe(0);
    expect(snapshot.stdout).toContain(`Namespace:   ${ns}`);
    expect(snapshot.stdout).toMatch(/\/github\s+el-github-listener\.ci:8080/);
    const json = await run(Status, '-o', 'json');
    expect(json.exitCode, json.stderr).toBe(0);
    const status = JSON.parse(json.stdout) as {
      pods: Array<{ ready: boolean; phase: string; currentConfig?: boolean }>;
      routes: Array<{ match: string; readyEndpoints?: number; stats?: { status?: string } }>;
    };
    // The pods of earlier rollouts may still be shutting down (their preStop hook): shown as such.
    const serving = status.pods.filter((pod) => pod.phase !== 'Terminating');
    expect(serving).toHaveLength(3);
    expect(serving.every((pod) => pod.ready && pod.currentConfig === true)).toBe(true);
    expect(
      status.pods.filter((pod) => pod.currentConfig === false).every((pod) => pod.phase === 'Terminating'),
    ).toBe(true);
    expect(status.routes.map((route) => route.match)).toContain('/github');
    if (cluster.runsHaproxy) {
      // HAProxy's own stats, read through the API server's pod proxy.
      expect(status.routes.find((route) => route.match === '/github')?.stats?.status).toBe('DOWN');
    }
  });

  it('uninstalls: the namespace goes, and with it the ReplicaSets and pods', async () => {
    const removed = await run(Uninstall);
    expect(removed.exitCode, removed.stderr).toBe(0);
    await eventually(async () => {
      const namespace = await cluster.kube.read({ apiVersion: 'v1', kind: 'Namespace', name: ns });
      expect(namespace).toBeUndefined();
    });
    expect(await cluster.kube.list('apps/v1', 'ReplicaSet', { namespace: ns })).toEqual([]);
    expect(await cluster.kube.list('v1', 'Pod', { namespace: ns })).toEqual([]);
  });
});

describe.each(controlPlanes())('a delivery on the $name control plane', (row) => {
  let cluster: ClusterUnderTest;
  const ns = freshNamespace('tg-test');
  let firstDelivery: string | undefined;
  const WAIT = { timeout: 60_000, interval: 200 };

  /** `test PATH`, which must succeed: the ID of the signed delivery it sent. */
  async function sendTestDelivery(path: string): Promise<string> {
    const sent = await runCommand(Test, ['--kubeconfig', cluster.kubeconfig, '-n', ns, path, '-o', 'json']);
    expect(sent.exitCode, sent.stderr).toBe(0);
    return (JSON.parse(sent.stdout) as { delivery: { id: string } }).delivery.id;
  }

  beforeAll(async () => {
    cluster = await row.connect();
  });

  afterAll(async () => {
    await cluster?.close();
  });

  it('sends a signed push through the real gateway and finds it in the backend log', async (context) => {
    if (!cluster.runsHaproxy) context.skip('the gateway pods run real HAProxy only where it is installed');
    // A host of its own: other suites' gateways share the real row's Traefik.
    const host = `${ns}.example.test`;
    const installed = await runCommand(Install, [
      ...['--kubeconfig', cluster.kubeconfig, '-n', ns, '--with-echo', '--host', host],
    ]);
    expect(installed.exitCode, installed.stderr).toBe(0);
    // An ingress controller routes a new Ingress once it sees the gateway's ready endpoints.
    const result = await eventually(
      async () => {
        const sent = await runCommand(Test, [
          '--kubeconfig',
          cluster.kubeconfig,
          '-n',
          ns,
          '/trigger',
          '-o',
          'json',
        ]);
        expect(sent.exitCode, sent.stderr).toBe(0);
        return sent;
      },
      { timeoutMs: 30_000, intervalMs: 500 },
    );
    const report = JSON.parse(result.stdout) as {
      via: string;
      status: number;
      delivery: { id: string };
      evidence: Array<{ pod: string; line: string }>;
    };
    // Through the front door where one publishes the Ingress's address (its name resolving nowhere),
    // else through a port-forward.
    expect(report).toMatchObject(
      cluster.ingressAddress
        ? { via: 'ingress', url: `http://${host}/trigger`, address: cluster.ingressAddress, status: 200 }
        : { via: 'port-forward', status: 200 },
    );
    expect(report.evidence[0]?.pod).toMatch(/^httpecho-/);
    expect(report.evidence[0]?.line).toContain(report.delivery.id);

    // The gateway's own record of it, found by the provider's delivery ID.
    const found = await runCommand(Deliveries, [
      '--kubeconfig',
      cluster.kubeconfig,
      '-n',
      ns,
      '--id',
      report.delivery.id,
      '-o',
      'json',
    ]);
    expect(found.exitCode, found.stderr).toBe(0);
    const [record] = JSON.parse(found.stdout) as Array<{ deliveryId: string; route: string; status: number }>;
    expect(record).toMatchObject({ deliveryId: report.delivery.id, route: '/trigger', status: 200 });
    firstDelivery = report.delivery.id;
  });

  it("feeds the live status view: the pods' earlier deliveries first, then each new one as it is recorded", async (context) => {
    if (!firstDelivery) context.skip('needs the delivery of the test before');
    const kube = new KubeClient(
      resolveKubeTarget({ kubeconfig: cluster.kubeconfig, namespace: ns, requestTimeoutMs: 10_000 }),
    );
    const seen: ListedDelivery[] = [];
    const unavailable: Array<string | undefined> = [];
    const stop = new AbortController();
    const feed = runDeliveryFeed(kube, await locateGateway(kube), {
      signal: stop.signal,
      onBatch: (batch) => seen.push(...batch),
      onUnavailable: (reason) => unavailable.push(reason),
    });
    try {
      await vi.waitFor(() => expect(seen.map((each) => each.deliveryId)).toContain(firstDelivery), WAIT);
      const id = await sendTestDelivery('/trigger');
      await vi.waitFor(() => expect(seen.map((each) => each.deliveryId)).toContain(id), WAIT);
      expect(seen.find((each) => each.deliveryId === id)).toMatchObject({
        route: '/trigger',
        status: 200,
        provider: 'github',
        event: 'push',
        target: `httpecho.trigger:80`,
      });
      expect(unavailable.filter(Boolean)).toEqual([]);
    } finally {
      stop.abort();
      await feed;
      await kube.close();
    }
  });

  it('deliveries --follow follows the new pods of a rollout and prints what they record', async (context) => {
    if (!firstDelivery) context.skip('needs the gateway of the tests before');
    const podNames = async () =>
      (await cluster.kube.list<KubeObject>('v1', 'Pod', { namespace: ns, labelSelector: GATEWAY_PODS }))
        .filter((pod) => !(pod.metadata as { deletionTimestamp?: string }).deletionTimestamp)
        .map((pod) => pod.metadata.name)
        .sort();
    const following = startFollowing(cluster.kubeconfig, '-n', ns, '-o', 'json');
    try {
      const before = await podNames();
      await vi.waitFor(() => expect([...followedPods(following.stderr())].sort()).toEqual(before), WAIT);
      const added = await runCommand(RouteAdd, [
        '--kubeconfig',
        cluster.kubeconfig,
        '-n',
        ns,
        '/rolled',
        'httpecho.trigger:80',
      ]);
      expect(added.exitCode, added.stderr).toBe(0);
      const after = await podNames();
      expect(after.some((name) => before.includes(name))).toBe(false);
      await vi.waitFor(() => expect([...followedPods(following.stderr())].sort()).toEqual(after), WAIT);
      const id = await sendTestDelivery('/rolled');
      await vi.waitFor(() => expect(following.stdout()).toContain(id), WAIT);
      const record = following
        .stdout()
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line) as ListedDelivery)
        .find((each) => each.deliveryId === id);
      expect(record).toMatchObject({ route: '/rolled', status: 200, target: 'httpecho.trigger:80' });
      expect(after).toContain(record?.pod);
      following.child.kill('SIGINT');
      expect(await following.exited).toBe(0);
    } finally {
      following.child.kill('SIGKILL');
    }
  });
});
