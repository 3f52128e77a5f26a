/**
 * What the cluster refuses, on each control plane of the run: a user who may only read, an object
 * of someone else's in the way, a namespace on its way out. Each refusal names the problem and the
 * next command, exits with its documented code, and leaves the cluster exactly as it was.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Install from '../../src/commands/install.ts';
import RouteAdd from '../../src/commands/route/add.ts';
import RouteList from '../../src/commands/route/list.ts';
import { CONFIGMAP_LIMIT_BYTES } from '../../src/haproxy/capacity.ts';
import type { KubeObject } from '../../src/manifests/types.ts';
import { runCommand, runExecutable } from '../support/cli.ts';
import { type ClusterUnderTest, controlPlanes, freshNamespace } from '../support/clusters.ts';
import { eventually } from '../support/eventually.ts';

describe.each(controlPlanes())('refusals on the $name control plane', (row) => {
  let cluster: ClusterUnderTest;

  const kubectl = (...args: string[]) => runExecutable('kubectl', args, { KUBECONFIG: cluster.kubeconfig });
  const as = (kubeconfig: string, command: Parameters<typeof runCommand>[0], ...args: string[]) =>
    runCommand(command, ['--kubeconfig', kubeconfig, ...args]);
  /** Every object of the kinds install writes, in `namespace`, with its resourceVersion. */
  const fingerprint = async (namespace: string) => {
    const kinds: Array<[string, string]> = [
      ['v1', 'ConfigMap'],
      ['v1', 'Service'],
      ['v1', 'ServiceAccount'],
      ['apps/v1', 'Deployment'],
      ['policy/v1', 'PodDisruptionBudget'],
      ['networking.k8s.io/v1', 'Ingress'],
    ];
    const lists = await Promise.all(
      kinds.map(([apiVersion, kind]) => cluster.kube.list(apiVersion, kind, { namespace })),
    );
    return lists
      .flat()
      .map((o) => `${o.kind}/${o.metadata.name}@${o.metadata.resourceVersion}`)
      .sort();
  };

  /** A fresh namespace with the gateway installed (not waited for) and one route added. */
  const installedWithRoute = async (prefix: string, path: string, backend: string) => {
    const ns = freshNamespace(prefix);
    const installed = await as(cluster.kubeconfig, Install, '-n', ns, '--no-wait');
    expect(installed.exitCode, installed.stderr).toBe(0);
    const routed = await as(cluster.kubeconfig, RouteAdd, '-n', ns, path, backend, '--no-wait');
    expect(routed.exitCode, routed.stderr).toBe(0);
    return ns;
  };

  beforeAll(async () => {
    cluster = await row.connect();
  });

  afterAll(async () => {
    await cluster?.close();
  });

  it('a user who may only read lists routes, and is refused route add with the verb and resource named', async () => {
    const ns = await installedWithRoute('tg-reader', '/gitlab', 'el-gitlab.ci:8080');
    const reader = await cluster.readOnlyKubeconfig(ns);

    const listed = await as(reader, RouteList, '-n', ns);
    expect(listed.exitCode, listed.stderr).toBe(0);
    // The Service it routes to lies outside what the user may read: listed as unknown, not an error.
    expect(listed.stdout).toMatch(/\/gitlab\s+el-gitlab\.ci:8080\s+tool\s+-/);

    const configMap = () =>
      cluster.kube.read({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        name: 'trigger-gateway-haproxy',
        namespace: ns,
      });
    const before = await configMap();
    const refused = await as(reader, RouteAdd, '-n', ns, '/github', 'el-github.ci:8080', '--no-wait');
    expect(refused.exitCode).toBe(6);
    expect(refused.stderr).toMatch(
      new RegExp(`not allowed to (update|patch) configmaps/trigger-gateway-haproxy in namespace ${ns}`),
    );
    expect(refused.stderr).toContain('auth can-i');
    expect((await configMap())?.metadata.resourceVersion).toBe(before?.metadata.resourceVersion);
  });

  it('route limits: a bad value is refused with exit 2 before any write; a good one is written and read back', async () => {
    const ns = freshNamespace('tg-limits');
    const installed = await as(cluster.kubeconfig, Install, '-n', ns, '--no-wait', '-o', 'json');
    expect(installed.exitCode, installed.stderr).toBe(0);
    // The trusted proxies default to the pod ranges the Nodes report (none where they report none).
    const nodes = await cluster.kube.list<KubeObject & { spec?: { podCIDRs?: string[]; podCIDR?: string } }>(
      'v1',
      'Node',
    );
    const ranges = [
      ...new Set(
        nodes.flatMap((node) => node.spec?.podCIDRs ?? (node.spec?.podCIDR ? [node.spec.podCIDR] : [])),
      ),
    ].sort();
    expect(JSON.parse(installed.stdout).protection.trustedProxies).toEqual(ranges);

    // The Deployment's controllers keep updating its status after a --no-wait install: what a refused
    // route add must not touch is the config and the pod template (the Deployment's generation).
    const written = async () => {
      const configMap = await cluster.kube.read({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        name: 'trigger-gateway-haproxy',
        namespace: ns,
      });
      const deployment = await cluster.kube.read({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        name: 'trigger-gateway',
        namespace: ns,
      });
      return [configMap?.metadata.resourceVersion, deployment?.metadata.generation];
    };
    const before = await written();
    for (const flags of [
      ['--max-body', '1XB'],
      ['--rate-limit', '0/s'],
      ['--allow-from', '10.0.0.0/33'],
      ['--allow-from', '10.0.0.0/8;'],
      ['--max-concurrent', '-1'],
    ]) {
      const refused = await as(
        cluster.kubeconfig,
        RouteAdd,
        '-n',
        ns,
        '/github',
        'el-github.ci:8080',
        ...flags,
      );
      expect(refused.exitCode, flags.join(' ')).toBe(2);
      expect(refused.stderr).toContain(`${flags[0]}: invalid`);
    }
    expect(await written()).toEqual(before);

    const added = await as(
      cluster.kubeconfig,
      RouteAdd,
      '-n',
      ns,
      '/github',
      'el-github.ci:8080',
      '--max-body',
      '1MiB',
      '--rate-limit',
      '600/m',
      '--allow-from',
      '192.30.252.0/22,2606:50c0::/32',
      '--max-concurrent',
      '8',
      '--no-wait',
    );
    expect(added.exitCode, added.stderr).toBe(0);
    const listed = await as(cluster.kubeconfig, RouteList, '-n', ns, '-o', 'json');
    expect(JSON.parse(listed.stdout)).toEqual([
      expect.objectContaining({
        limits: {
          maxBody: 1024 ** 2,
          rateLimit: { requests: 600, per: 'm', perSource: false },
          allowFrom: ['192.30.252.0/22', '2606:50c0::/32'],
          maxConcurrent: 8,
        },
        limitDefaults: [],
      }),
    ]);
  });

  it('a haproxy.cfg at the 1 MiB ConfigMap limit: route add passes the 422 on with the routes held, the capacity and the fix', async () => {
    const ns = await installedWithRoute('tg-full', '/github', 'el-github.ci:8080');
    const ref = { apiVersion: 'v1', kind: 'ConfigMap', name: 'trigger-gateway-haproxy', namespace: ns };
    const configMap = await cluster.kube.read<KubeObject & { data: Record<string, string> }>(ref);
    // A hand comment fills the config up to 500 bytes below the limit: the next route cannot fit.
    const cfg = configMap?.data['haproxy.cfg'] ?? '';
    const padding = CONFIGMAP_LIMIT_BYTES - 500 - Buffer.byteLength(cfg);
    const full = `${cfg}# ${'x'.repeat(padding - 3)}\n`;
    expect(Buffer.byteLength(full)).toBe(CONFIGMAP_LIMIT_BYTES - 500);
    const written = await cluster.kube.replace({ ...configMap!, data: { 'haproxy.cfg': full } });

    const refused = await as(
      cluster.kubeconfig,
      RouteAdd,
      '-n',
      ns,
      '/gitlab',
      'el-gitlab.ci:8080',
      '--no-wait',
    );
    expect(refused.exitCode, refused.stderr).toBe(7);
    expect(refused.stderr).toContain(
      'error: the new haproxy.cfg does not fit in its ConfigMap; nothing was written',
    );
    // The API server's own words, passed on.
    expect(refused.stderr).toContain('Too long: may not be more than 1048576 bytes');
    expect(refused.stderr).toMatch(
      /the gateway holds 1 routes in 1,048,076 bytes of haproxy\.cfg and this change adds [\d,]+ bytes, so about 1 routes like it fit/,
    );
    expect(refused.stderr).toContain(
      `try: remove routes no longer used: kubectl trigger-gateway route list -n ${ns}`,
    );
    expect(refused.stderr).toContain('try: put further routes in a second gateway');
    expect((await cluster.kube.read(ref))?.metadata.resourceVersion).toBe(written.metadata.resourceVersion);
  });

  it('a user who may only read is refused install before anything is written', async () => {
    const ns = freshNamespace('tg-reader-install');
    const made = await kubectl('create', 'namespace', ns);
    expect(made.exitCode, made.stderr).toBe(0);
    const reader = await cluster.readOnlyKubeconfig(ns);
    const before = await fingerprint(ns);
    const refused = await as(reader, Install, '-n', ns, '--no-wait');
    expect(refused.exitCode).toBe(6);
    expect(refused.stderr).toMatch(/not allowed to \w+ \S+ in namespace/);
    expect(await fingerprint(ns)).toEqual(before);
  });

  it('refuses to install over an object it did not create, and changes nothing', async () => {
    const ns = freshNamespace('tg-foreign');
    expect((await kubectl('create', 'namespace', ns)).exitCode).toBe(0);
    const theirs = await kubectl(
      'create',
      'configmap',
      'trigger-gateway-haproxy',
      '-n',
      ns,
      '--from-literal=haproxy.cfg=# mine',
    );
    expect(theirs.exitCode, theirs.stderr).toBe(0);
    const before = await fingerprint(ns);
    const refused = await as(cluster.kubeconfig, Install, '-n', ns, '--no-wait');
    expect(refused.exitCode).toBe(7);
    expect(refused.stderr).toContain(
      `configmap/trigger-gateway-haproxy already exists and was not created by trigger-gateway`,
    );
    expect(await fingerprint(ns)).toEqual(before);
  });

  it('says a namespace is being deleted, and how to wait for it, instead of blaming permissions', async () => {
    const ns = freshNamespace('tg-leaving');
    expect((await kubectl('create', 'namespace', ns)).exitCode).toBe(0);
    // A finalizer nobody removes keeps the namespace Terminating for as long as the test needs.
    await cluster.kube.create({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'held', namespace: ns, finalizers: ['example.com/hold'] },
      data: {},
    } as KubeObject);
    expect((await kubectl('delete', 'namespace', ns, '--wait=false')).exitCode).toBe(0);
    await eventually(async () => {
      const namespace = await cluster.kube.read<KubeObject & { status?: { phase?: string } }>({
        apiVersion: 'v1',
        kind: 'Namespace',
        name: ns,
      });
      expect(namespace?.status?.phase).toBe('Terminating');
    });
    try {
      const refused = await as(cluster.kubeconfig, Install, '-n', ns, '--no-wait');
      expect(refused.exitCode).toBe(7);
      expect(refused.stderr).toContain(`namespace ${ns} is being deleted`);
      expect(refused.stderr).toContain(`wait --for=delete namespace/${ns}`);
      expect(refused.stderr).not.toContain('auth can-i');
    } finally {
      await cluster.kube.mergePatch(
        { apiVersion: 'v1', kind: 'ConfigMap', name: 'held', namespace: ns },
        { metadata: { finalizers: null } },
      );
    }
  });
});
