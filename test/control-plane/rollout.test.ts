import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ControlPlane,
  type KubeObject,
  type PodRuntime,
  startControlPlane,
} from '../support/control-plane/index.ts';
import { dig, type Kubectl, kubectlFor, until } from './helpers.ts';

/** A runtime whose pods of image `gated:*` start only when released, and `stuck:*` never become ready. */
class TestRuntime implements PodRuntime {
  readonly started: string[] = [];
  readonly stopped: string[] = [];
  private readonly gates = new Map<string, () => void>();

  start(pod: KubeObject): Promise<'ready' | 'never-ready'> {
    this.started.push(pod.metadata.name);
    const image = (pod.spec as { containers: Array<{ image: string }> }).containers[0]?.image ?? '';
    if (image.startsWith('stuck:')) return Promise.resolve('never-ready');
    if (!image.startsWith('gated:')) return Promise.resolve('ready');
    return new Promise((resolve) => this.gates.set(pod.metadata.name, () => resolve('ready')));
  }

  async stop(pod: KubeObject): Promise<void> {
    this.stopped.push(pod.metadata.name);
  }

  release(name: string): void {
    this.gates.get(name)?.();
  }
}

let plane: ControlPlane;
let kubectl: Kubectl;
const runtime = new TestRuntime();

beforeAll(async () => {
  plane = await startControlPlane({ podRuntime: runtime });
  kubectl = kubectlFor(plane, { namespace: 'roll' });
  await kubectl('create', 'namespace', 'roll');
});
afterAll(async () => {
  kubectl.cleanup();
  await plane.stop();
});

const deployment = (name: string, image: string, spec: object = {}) =>
  JSON.stringify({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'main', image }] } },
      ...spec,
    },
  });
const podsOf = (app: string) => plane.list('pods', 'roll').filter((p) => p.metadata.labels?.app === app);
const replicaSetsOf = (app: string) =>
  plane.list('replicasets', 'roll').filter((p) => p.metadata.labels?.app === app);

describe('deployment rollout', () => {
  it('rolls out a new deployment', async () => {
    expect((await kubectl.withInput(deployment('web', 'web:1'), 'apply', '-f', '-')).code).toBe(0);
    const status = await kubectl('rollout', 'status', 'deploy/web', '--timeout=30s');
    expect(status.stdout).toContain('deployment "web" successfully rolled out');
    const [rs] = replicaSetsOf('web');
    const hash = rs?.metadata.labels?.['pod-template-hash'];
    expect(rs?.metadata.name).toBe(`web-${hash}`);
    expect(podsOf('web').map((p) => p.metadata.name)).toEqual([
      expect.stringMatching(new RegExp(`^web-${hash}-[a-z0-9]{5}$`)),
      expect.stringMatching(new RegExp(`^web-${hash}-[a-z0-9]{5}$`)),
    ]);
    const pod = podsOf('web')[0] as KubeObject & { status: { phase: string; podIP: string } };
    expect(pod.status.phase).toBe('Running');
    expect(pod.status.podIP).toMatch(/^127\.0\.0\.\d+$/);
    expect(plane.get('deployments', 'web', 'roll')?.status).toMatchObject({
      observedGeneration: 1,
      replicas: 2,
      updatedReplicas: 2,
      readyReplicas: 2,
      availableReplicas: 2,
      conditions: [
        expect.objectContaining({ type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable' }),
        expect.objectContaining({ type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable' }),
      ],
    });
    const table = await kubectl('get', 'deploy', 'web');
    expect(table.stdout).toMatch(
      /^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\nweb\s+2\/2\s+2\s+2\s+\d+s\n$/,
    );
    const pods = await kubectl('get', 'pods', '-l', 'app=web');
    expect(pods.stdout).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\n/);
    expect(pods.stdout).toMatch(/web-\S+\s+1\/1\s+Running\s+0\s+\d+s/);
  });

  it('replaces every pod with a new ReplicaSet when the template changes', async () => {
    const before = podsOf('web').map((p) => p.metadata.name);
    expect((await kubectl('set', 'image', 'deploy/web', 'main=web:2')).code).toBe(0);
    const status = await kubectl('rollout', 'status', 'deploy/web', '--timeout=30s');
    expect(status.stdout).toContain('deployment "web" successfully rolled out');
    const sets = replicaSetsOf('web');
    expect(sets).toHaveLength(2);
    const current = sets.find((rs) => rs.metadata.annotations?.['deployment.kubernetes.io/revision'] === '2');
    expect(dig(current, 'spec', 'replicas')).toBe(2);
    const previous = sets.find((rs) => rs !== current);
    expect(dig(previous, 'spec', 'replicas')).toBe(0);
    const hash = current?.metadata.labels?.['pod-template-hash'];
    await until(() => podsOf('web').length === 2, 'old pods to be gone');
    expect(podsOf('web').every((p) => p.metadata.labels?.['pod-template-hash'] === hash)).toBe(true);
    expect(runtime.stopped).toEqual(expect.arrayContaining(before));
    expect(plane.get('deployments', 'web', 'roll')?.metadata.generation).toBe(2);
  });

  it('with maxUnavailable 0, starts the new pod before stopping the old one', async () => {
    const strategy = {
      replicas: 1,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
    };
    await kubectl.withInput(deployment('safe', 'safe:1', strategy), 'apply', '-f', '-');
    await kubectl('rollout', 'status', 'deploy/safe', '--timeout=30s');
    const [old] = podsOf('safe');
    await kubectl.withInput(deployment('safe', 'gated:2', strategy), 'apply', '-f', '-');
    const fresh = await until(
      () => podsOf('safe').find((p) => p.metadata.name !== old?.metadata.name),
      'the new pod',
    );
    await until(() => runtime.started.includes(fresh.metadata.name), 'the new pod to start');
    expect(plane.get('pods', old?.metadata.name ?? '', 'roll')?.metadata.deletionTimestamp).toBeUndefined();
    runtime.release(fresh.metadata.name);
    const status = await kubectl('rollout', 'status', 'deploy/safe', '--timeout=30s');
    expect(status.stdout).toContain('successfully rolled out');
    await until(() => !plane.get('pods', old?.metadata.name ?? '', 'roll'), 'the old pod to go');
    expect(runtime.stopped).toContain(old?.metadata.name);
  });

  it('scales with kubectl scale and when spec.replicas changes', async () => {
    expect((await kubectl('scale', 'deploy/web', '--replicas=4')).stdout.trim()).toBe(
      'deployment.apps/web scaled',
    );
    await kubectl('rollout', 'status', 'deploy/web', '--timeout=30s');
    await until(() => podsOf('web').length === 4, 'four pods');
    await kubectl('patch', 'deploy', 'web', '-p', '{"spec":{"replicas":1}}');
    await until(() => podsOf('web').length === 1, 'one pod');
    // The Deployment's status follows its ReplicaSet's a controller step after the pods.
    await kubectl('rollout', 'status', 'deploy/web', '--timeout=30s');
    expect(plane.get('deployments', 'web', 'roll')?.status).toMatchObject({
      replicas: 1,
      availableReplicas: 1,
    });
  });

  it('fails rollout status once pods miss the progress deadline', async () => {
    await kubectl.withInput(
      deployment('stuck', 'stuck:1', { progressDeadlineSeconds: 1 }),
      'apply',
      '-f',
      '-',
    );
    const status = await kubectl('rollout', 'status', 'deploy/stuck', '--timeout=60s');
    expect(status.code).not.toBe(0);
    expect(status.stderr).toContain('error: deployment "stuck" exceeded its progress deadline');
    const conditions = dig<object[]>(plane.get('deployments', 'stuck', 'roll'), 'status', 'conditions');
    expect(conditions).toContainEqual(
      expect.objectContaining({ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }),
    );
    const pods = await kubectl('get', 'pods', '-l', 'app=stuck', '--no-headers');
    expect(pods.stdout).toMatch(/stuck-\S+\s+0\/1\s+Running/);
  });

  it('waits with kubectl wait for the Available condition', async () => {
    const result = await kubectl('wait', '--for=condition=Available', 'deploy/web', '--timeout=30s');
    expect(result.stdout.trim()).toBe('deployment.apps/web condition met');
  });

  it('deletes ReplicaSets and pods with their Deployment', async () => {
    expect((await kubectl('delete', 'deploy', 'web')).stdout.trim()).toBe('deployment.apps "web" deleted');
    await until(() => podsOf('web').length === 0 && replicaSetsOf('web').length === 0, 'dependents to go');
  });
});
