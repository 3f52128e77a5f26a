/**
 * The real control plane itself, through the real kubectl: what every test suite on it relies on.
 * The shared instance comes from the global setup (inject('realControlPlane')); the lifecycle
 * tests start instances of their own.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it, onTestFinished } from 'vitest';
import { runExecutable } from '../support/cli.ts';
import { realBinaries } from './binaries.ts';
import { type RealControlPlane, leasePath, startRealControlPlane, sweepDeadLeases } from './environment.ts';
import { writeRealKubeconfig } from './kubeconfig.ts';
import { alive, readLock } from '../support/lock-file.ts';
import { LAST_INDEX, createNodeNetwork, nodeNetwork, nodeNetworkLeftovers } from './network.ts';
import { httpGet, waitFor } from './wait.ts';

const plane = inject('realControlPlane');
// Manifests and kubeconfigs the tests write.
const scratch = mkdtempSync(join(tmpdir(), 'tgr-real-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function kubectl(args: string[], kubeconfig = plane.kubeconfig) {
  return runExecutable('kubectl', args, { KUBECONFIG: kubeconfig });
}

async function kubectlJson<T>(args: string[]): Promise<T> {
  const result = await kubectl([...args, '-o', 'json']);
  expect(result.exitCode, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as T;
}

/**
 * A namespace of the test's own, deleted when it ends. Like Kubernetes' e2e framework, it waits
 * for the controller manager to create the default ServiceAccount, without which pods are refused.
 */
async function freshNamespace(options: { waitForServiceAccount?: boolean } = {}): Promise<string> {
  const name = `real-${Math.random().toString(36).slice(2, 8)}`;
  expect((await kubectl(['create', 'namespace', name])).exitCode).toBe(0);
  onTestFinished(async () => {
    await kubectl(['delete', 'namespace', name, '--wait=false']);
  });
  if (options.waitForServiceAccount ?? true) await defaultServiceAccount(name);
  return name;
}

function defaultServiceAccount(namespace: string): Promise<true> {
  return waitFor(
    `the default ServiceAccount in ${namespace}`,
    async () =>
      (await kubectl(['get', 'serviceaccount', 'default', '-n', namespace])).exitCode === 0
        ? true
        : undefined,
    { timeoutMs: 60_000 },
  );
}

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}
interface PodList {
  items: { metadata: { name: string }; spec: { nodeName?: string }; status: { conditions?: Condition[] } }[];
}

describe('the real control plane', () => {
  it('answers /readyz over TLS with its CA, as Kubernetes v1.37.2', async () => {
    expect(await httpGet(`${plane.url}/readyz`, { ca: plane.ca })).toEqual({ status: 200, body: 'ok' });
    const version = await kubectlJson<{ serverVersion: { gitVersion: string } }>(['version']);
    expect(version.serverVersion.gitVersion).toBe('v1.37.2');
  });

  it('lists the namespaces every cluster has', async () => {
    const result = await kubectl(['get', 'namespaces', '-o', 'name']);
    expect(result.stdout.split('\n')).toEqual(
      expect.arrayContaining(['namespace/default', 'namespace/kube-system', 'namespace/kube-public']),
    );
  });

  it('issues service account tokens that authenticate and that RBAC holds to nothing', async () => {
    const namespace = await freshNamespace();
    expect((await kubectl(['create', 'serviceaccount', 'x', '-n', namespace])).exitCode).toBe(0);
    const token = await kubectl(['create', 'token', 'x', '-n', namespace]);
    expect(token.exitCode).toBe(0);
    const asX = writeRealKubeconfig(
      join(scratch, `${namespace}.kubeconfig`),
      plane,
      { token: token.stdout.trim() },
      { namespace },
    );
    const whoami = await kubectl(['auth', 'whoami', '-o', 'jsonpath={.status.userInfo.username}'], asX);
    expect(whoami.stdout).toBe(`system:serviceaccount:${namespace}:x`);
    const canI = await kubectl(['auth', 'can-i', 'list', 'secrets'], asX);
    expect({ exitCode: canI.exitCode, answer: canI.stdout.trim() }).toEqual({ exitCode: 1, answer: 'no' });
    const list = await kubectl(['get', 'secrets'], asX);
    expect(list.stderr).toContain(
      `secrets is forbidden: User "system:serviceaccount:${namespace}:x" cannot list resource "secrets"`,
    );
  });

  it('refuses a privileged pod where the restricted Pod Security level is enforced', async () => {
    const namespace = await freshNamespace();
    await kubectl(['label', 'namespace', namespace, 'pod-security.kubernetes.io/enforce=restricted']);
    const manifest = join(scratch, `${namespace}-pod.json`);
    writeFileSync(
      manifest,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'privileged', namespace },
        spec: { containers: [{ name: 'c', image: 'busybox', securityContext: { privileged: true } }] },
      }),
    );
    const result = await kubectl(['apply', '-f', manifest]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(
      'pods "privileged" is forbidden: violates PodSecurity "restricted:latest"',
    );
    expect(result.stderr).toContain(
      'privileged (container "c" must not set securityContext.privileged=true)',
    );
  });

  it("runs the controller manager: a new namespace gets its default ServiceAccount and the cluster's CA", async () => {
    const namespace = await freshNamespace({ waitForServiceAccount: false });
    await defaultServiceAccount(namespace);
    const ca = await waitFor(
      `kube-root-ca.crt in ${namespace}`,
      async () => {
        const result = await kubectl([
          'get',
          'configmap',
          'kube-root-ca.crt',
          '-n',
          namespace,
          '-o',
          'jsonpath={.data.ca\\.crt}',
        ]);
        return result.exitCode === 0 ? result.stdout : undefined;
      },
      { timeoutMs: 60_000 },
    );
    expect(ca.trim()).toBe(plane.ca.trim());
  });

  it(`turns a Deployment into a ReplicaSet and pods, ${plane.node ? 'bound to the Node' : 'which no Node can take'}`, async () => {
    const namespace = await freshNamespace();
    const create = await kubectl([
      'create',
      'deployment',
      'web',
      '--image=busybox',
      '--replicas=2',
      '-n',
      namespace,
    ]);
    expect(create.exitCode).toBe(0);
    const replicaSets = await waitFor(
      'the ReplicaSet',
      async () => {
        const list = await kubectlJson<{ items: unknown[] }>([
          'get',
          'replicasets',
          '-n',
          namespace,
          '-l',
          'app=web',
        ]);
        return list.items.length > 0 ? list.items : undefined;
      },
      { timeoutMs: 60_000 },
    );
    expect(replicaSets).toHaveLength(1);
    // The scheduler has looked at both pods: PodScheduled is set either way.
    const pods = await waitFor(
      'the scheduler to decide about both pods',
      async () => {
        const list = await kubectlJson<PodList>(['get', 'pods', '-n', namespace, '-l', 'app=web']);
        const decided = list.items.filter((pod) =>
          pod.status.conditions?.some((c) => c.type === 'PodScheduled'),
        );
        return list.items.length === 2 && decided.length === 2 ? list.items : undefined;
      },
      { timeoutMs: 60_000 },
    );
    for (const pod of pods) {
      const scheduled = pod.status.conditions?.find((c) => c.type === 'PodScheduled');
      if (plane.node) {
        expect(pod.spec.nodeName).toBe(plane.nodeName);
        expect(scheduled?.status).toBe('True');
      } else {
        expect(pod.spec.nodeName).toBeUndefined();
        expect(scheduled).toMatchObject({ status: 'False', reason: 'Unschedulable' });
        expect(scheduled?.message).toBe('no nodes available to schedule pods');
      }
    }
  });
});

describe('startRealControlPlane', () => {
  it('refuses to start with a node when the node agent does not exist', async () => {
    await expect(
      startRealControlPlane({ nodeAgent: '/nonexistent/node-agent/main.ts', binaries: realBinaries() }),
    ).rejects.toThrow('the node agent /nonexistent/node-agent/main.ts does not exist');
  });

  it(
    'gives instances started at once their own index, and stop() leaves nothing behind',
    { timeout: 420_000 },
    async () => {
      const planes = await Promise.allSettled(
        [0, 1].map(() => startRealControlPlane({ node: false, binaries: realBinaries() })),
      );
      const started = planes.flatMap((p) => (p.status === 'fulfilled' ? [p.value] : []));
      const processes = started.flatMap((p) => p.processes());
      try {
        for (const p of planes) if (p.status === 'rejected') throw p.reason;
        expect(new Set([plane.index, ...started.map((p) => p.index)]).size).toBe(3);
        for (const instance of started) {
          expect(await httpGet(`${instance.url}/readyz`, { ca: instance.ca })).toEqual({
            status: 200,
            body: 'ok',
          });
          // Its namespace, link and routes to its pod and load balancer ranges, while it runs.
          expect(nodeNetworkLeftovers(instance.network)).toHaveLength(4);
        }
      } finally {
        await Promise.all(started.map((p: RealControlPlane) => p.stop()));
      }
      expect(processes.map((p) => p.name).sort()).toEqual(
        ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'pki'].flatMap((n) => [n, n]),
      );
      expect(processes.filter((p) => alive(p.pid))).toEqual([]);
      for (const instance of started) {
        expect(nodeNetworkLeftovers(instance.network)).toEqual([]);
        expect(existsSync(instance.dir)).toBe(false);
        expect(existsSync(leasePath(instance.index))).toBe(false);
      }
    },
  );

  it('cleans up after a holder that died: its processes, network namespace, link, route and folder', async () => {
    const index = LAST_INDEX;
    if (readLock(leasePath(index))) return; // In use by a live run: nothing to test with safely.
    const dead = spawn('true');
    await new Promise((resolve) => dead.once('exit', resolve));
    const dir = mkdtempSync(join(tmpdir(), 'tgr-real-dead-'));
    // A process that still runs with the dead holder's folder on its command line.
    const orphan = spawn('sh', ['-c', 'sleep 600; :', dir], { detached: true, stdio: 'ignore' });
    let orphanGone = false;
    orphan.once('exit', () => (orphanGone = true));
    createNodeNetwork(nodeNetwork(index));
    writeFileSync(
      leasePath(index),
      JSON.stringify({ pid: dead.pid, index, dir, ownsDir: true, pids: [orphan.pid] }),
    );

    sweepDeadLeases();

    await waitFor('the orphan to be killed', async () => (orphanGone ? true : undefined), {
      timeoutMs: 10_000,
    });
    expect(nodeNetworkLeftovers(nodeNetwork(index))).toEqual([]);
    expect(existsSync(dir)).toBe(false);
    expect(existsSync(leasePath(index))).toBe(false);
  });
});
