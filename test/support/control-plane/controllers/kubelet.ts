/**
 * The node: schedules every new pod onto itself, starts it through the PodRuntime and reports
 * its status; a deleted pod is stopped through the PodRuntime before it disappears from the API.
 * A container that exited (the runtime's exitedContainers) is reported waiting in CrashLoopBackOff
 * with its exit as lastState, as a kubelet shows it between restarts; it is not restarted.
 */
import { timestamp } from '../json.ts';
import type { Objects } from '../objects.ts';
import { findByPlural, type ResourceType } from '../resources.ts';
import type { StoreEvent } from '../store.ts';
import type { KubeObject, PodRuntime } from '../types.ts';
import type { WorkQueue } from './queue.ts';

const NODE_NAME = 'control-plane';
const pods = findByPlural('pods') as ResourceType;

type Phase = 'Pending' | 'Running' | 'Failed';

export class Kubelet {
  /** Pods handed to the runtime and not yet stopped, by uid. */
  private readonly running = new Map<string, KubeObject>();
  private nextIP = 0;

  constructor(
    private readonly objects: Objects,
    private readonly queue: WorkQueue,
    private readonly runtime: PodRuntime,
  ) {}

  observe(event: StoreEvent): void {
    if (event.resource !== 'pods' || event.type === 'DELETED') return;
    const pod = event.object;
    const key = `kubelet/${pod.metadata.namespace}/${pod.metadata.name}`;
    if (pod.metadata.deletionTimestamp) this.queue.enqueue(key, () => this.stop(pod));
    else if (event.type === 'ADDED') this.queue.enqueue(key, () => this.start(pod));
  }

  /** Stops every running pod (the control plane is shutting down). */
  async stopAll(): Promise<void> {
    const all = [...this.running.values()];
    this.running.clear();
    await Promise.all(all.map((pod) => this.runtime.stop(pod).catch(() => undefined)));
  }

  private start(pod: KubeObject): void {
    const uid = String(pod.metadata.uid);
    const spec = (pod.spec ?? {}) as { nodeName?: string };
    if (!spec.nodeName) {
      this.write(pod, (p) => {
        p.spec = { ...(p.spec as object), nodeName: NODE_NAME };
      });
    }
    const podIP = this.runtime.podIP?.(pod) ?? `127.0.0.${(this.nextIP++ % 250) + 2}`;
    const started = this.write(
      pod,
      (p) => {
        p.status = podStatus(p, 'Running', false, podIP);
      },
      'status',
    );
    if (!started) return;
    this.running.set(uid, started);
    this.runtime.start(started).then(
      (outcome) => {
        if (outcome === 'ready')
          this.write(started, (p) => (p.status = podStatus(p, 'Running', true, podIP)), 'status');
        const exited = this.runtime.exitedContainers?.(started) ?? [];
        if (outcome === 'never-ready' && exited.length > 0)
          this.write(started, (p) => (p.status = podStatus(p, 'Running', false, podIP, exited)), 'status');
      },
      () => this.write(started, (p) => (p.status = podStatus(p, 'Failed', false, podIP)), 'status'),
    );
  }

  private async stop(pod: KubeObject): Promise<void> {
    const uid = String(pod.metadata.uid);
    const running = this.running.get(uid);
    this.running.delete(uid);
    if (running) await this.runtime.stop(running).catch(() => undefined);
    const current = this.objects.store.get('pods', pod.metadata.namespace, pod.metadata.name);
    if (current?.metadata.uid === uid)
      this.objects.store.remove('pods', pod.metadata.namespace, pod.metadata.name);
  }

  /** Applies `change` to the live pod if it is still the same, not terminating pod. */
  private write(
    pod: KubeObject,
    change: (p: KubeObject) => void,
    subresource?: string,
  ): KubeObject | undefined {
    const current = this.objects.store.get('pods', pod.metadata.namespace, pod.metadata.name);
    if (!current || current.metadata.uid !== pod.metadata.uid || current.metadata.deletionTimestamp)
      return undefined;
    change(current);
    return this.objects.update(pods, current, subresource ? { subresource } : {});
  }
}

/**
 * `exited`: containers whose process exited by itself. They are not restarted here: each shows as a
 * real kubelet shows a container between restarts, waiting in CrashLoopBackOff with its last exit.
 */
function podStatus(
  pod: KubeObject,
  phase: Phase,
  ready: boolean,
  podIP: string,
  exited: Array<{ name: string; exitCode: number | null }> = [],
) {
  const now = timestamp();
  const containers = (pod.spec as { containers?: Array<{ name: string; image?: string }> }).containers ?? [];
  const condition = (type: string, status: boolean) => ({
    type,
    status: status ? 'True' : 'False',
    lastProbeTime: null,
    lastTransitionTime: now,
  });
  return {
    phase,
    conditions: [
      condition('PodReadyToStartContainers', phase === 'Running'),
      condition('Initialized', true),
      condition('Ready', ready),
      condition('ContainersReady', ready),
      condition('PodScheduled', true),
    ],
    hostIP: '127.0.0.1',
    hostIPs: [{ ip: '127.0.0.1' }],
    podIP,
    podIPs: [{ ip: podIP }],
    startTime: String((pod.status as { startTime?: string } | undefined)?.startTime ?? now),
    containerStatuses: containers.map((c) => {
      const exit = exited.find((e) => e.name === c.name);
      const terminated = { exitCode: exit?.exitCode ?? 1, reason: 'Error', finishedAt: now };
      return {
        name: c.name,
        image: c.image ?? '',
        imageID: '',
        containerID: `fake://${pod.metadata.uid}/${c.name}`,
        ready,
        started: phase === 'Running' && !exit,
        restartCount: 0,
        state: exit
          ? {
              waiting: {
                reason: 'CrashLoopBackOff',
                message: `back-off restarting failed container ${c.name} in pod ${pod.metadata.name}`,
              },
            }
          : phase === 'Failed'
            ? { terminated: { exitCode: 1, reason: 'Error' } }
            : { running: { startedAt: now } },
        ...(exit ? { lastState: { terminated } } : {}),
      };
    }),
  };
}
