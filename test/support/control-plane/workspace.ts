/**
 * One logical cluster: its store, object semantics and controllers. The server holds one today;
 * kcp-style `/clusters/<path>/` routing would map each path to its own Workspace.
 */
import { DeploymentController } from './controllers/deployment.ts';
import { GarbageCollector } from './controllers/garbage-collector.ts';
import { Kubelet } from './controllers/kubelet.ts';
import { NamespaceController } from './controllers/namespace.ts';
import { WorkQueue } from './controllers/queue.ts';
import { ReplicaSetController } from './controllers/replicaset.ts';
import { Objects } from './objects.ts';
import type { LogSources } from './pod-logs.ts';
import { findByPlural, type ResourceType } from './resources.ts';
import { Store } from './store.ts';
import type { PodRuntime } from './types.ts';

const INITIAL_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

export class Workspace {
  readonly store = new Store();
  readonly objects = new Objects(this.store);
  private readonly queue = new WorkQueue();
  private readonly kubelet: Kubelet;
  private readonly unsubscribe: () => void;

  /** `logSources`: where pods/log finds a container's output (the data plane's processes). */
  constructor(
    runtime: PodRuntime,
    readonly logSources?: LogSources,
  ) {
    this.kubelet = new Kubelet(this.objects, this.queue, runtime);
    const controllers = [
      new DeploymentController(this.objects, this.queue),
      new ReplicaSetController(this.objects, this.queue),
      this.kubelet,
      new GarbageCollector(this.objects, this.queue),
      new NamespaceController(this.objects, this.queue),
    ];
    this.unsubscribe = this.store.subscribe((event) => {
      for (const controller of controllers) controller.observe(event);
    });
    const namespaces = findByPlural('namespaces') as ResourceType;
    for (const name of INITIAL_NAMESPACES) {
      this.objects.create(namespaces, undefined, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
    }
  }

  /** Stops the controllers, then every pod still running. */
  async stop(): Promise<void> {
    this.unsubscribe();
    this.queue.stop();
    await this.kubelet.stopAll();
  }
}
