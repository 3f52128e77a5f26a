/**
 * The kubelet's pod workers: one PodWorker for each pod bound to this node (mirrored into the store
 * by the pods reflector), told when the pod is deleted, and the source of its containers' logs and
 * of the containers that exec runs in.
 */
import type { LogSource } from '../../support/control-plane/pod-logs.ts';
import type { Store, StoreEvent } from '../../support/control-plane/store.ts';
import type { KubeObject } from '../../support/control-plane/types.ts';
import type { RunningContainer } from './container-runtime.ts';
import { type NodeContext, PodWorker } from './pod-worker.ts';

export class PodLifecycle {
  private readonly workers = new Map<string, PodWorker>();
  private readonly unsubscribe: () => void;

  constructor(
    store: Store,
    private readonly node: NodeContext,
  ) {
    this.unsubscribe = store.subscribe((event) => {
      if (event.resource === 'pods') this.handle(event);
    });
    for (const pod of store.list('pods'))
      this.handle({ type: 'ADDED', resource: 'pods', object: pod } as StoreEvent);
  }

  /** The log of a container of a pod (its previous instance with `previous`). */
  logSource(pod: KubeObject, container: string, previous = false): LogSource | undefined {
    return this.workers.get(String(pod.metadata.uid))?.logOf(container, previous);
  }

  /** A running container of a pod, for exec. */
  container(pod: KubeObject, container: string): RunningContainer | undefined {
    return this.workers.get(String(pod.metadata.uid))?.containerOf(container);
  }

  /** Stops every pod as its deletion would (preStop, SIGTERM, SIGKILL), without deleting them. */
  async close(): Promise<void> {
    this.unsubscribe();
    await Promise.all([...this.workers.values()].map((worker) => worker.stop()));
  }

  /** For the agent's own exit: kill every container now. */
  killNow(): void {
    for (const worker of this.workers.values()) worker.killNow();
  }

  private handle(event: StoreEvent): void {
    const pod = event.object;
    const uid = String(pod.metadata.uid);
    const worker = this.workers.get(uid);
    if (event.type === 'DELETED') {
      // Gone without a graceful deletion (forced): its containers are killed at once.
      if (worker) void this.end(uid, worker.terminate(forced(pod)));
      return;
    }
    if (pod.metadata.deletionTimestamp) {
      // A pod this node never ran (it restarted meanwhile) only needs its final delete.
      void this.end(uid, (worker ?? new PodWorker(pod, this.node)).terminate(pod));
      return;
    }
    const phase = (pod.status as { phase?: string } | undefined)?.phase;
    if (worker || phase === 'Succeeded' || phase === 'Failed') return;
    const started = new PodWorker(pod, this.node);
    this.workers.set(uid, started);
    started.start();
  }

  private async end(uid: string, done: Promise<void>): Promise<void> {
    await done;
    this.workers.delete(uid);
  }
}

const forced = (pod: KubeObject): KubeObject => ({
  ...pod,
  metadata: { ...pod.metadata, deletionGracePeriodSeconds: 0 },
});
