/**
 * One logical cluster: its store, object semantics, served resources and controllers. Plain mode
 * holds one; kcp mode (kcp/) one per workspace, each reached under `/clusters/<path>/`.
 */
import { CustomResourceController } from './controllers/custom-resources.ts';
import { DeploymentController } from './controllers/deployment.ts';
import { EndpointsController } from './controllers/endpoints.ts';
import { GarbageCollector } from './controllers/garbage-collector.ts';
import { Kubelet } from './controllers/kubelet.ts';
import { NamespaceController } from './controllers/namespace.ts';
import { WorkQueue } from './controllers/queue.ts';
import { ReplicaSetController } from './controllers/replicaset.ts';
import { type Admission, Objects } from './objects.ts';
import type { ExecRunner } from './exec/index.ts';
import type { LogSources } from './pod-logs.ts';
import { findByPlural, type ResourceType, ServedResources } from './resources.ts';
import { Store, type StoreEvent } from './store.ts';
import type { PodRuntime } from './types.ts';

const INITIAL_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

/** Anything that reacts to store changes, through the workspace's work queue. */
export interface Controller {
  observe(event: StoreEvent): void;
}

export interface WorkspaceOptions {
  /** Where pods/log finds a container's output (the data plane's processes). */
  logSources?: LogSources;
  /** What runs a pods/exec command (the data plane, in the pod's view). */
  exec?: ExecRunner;
  /** What the logical cluster serves; default: every built-in type (plain mode). */
  resources?: ServedResources;
  /** Create-time admission (kcp's Workspace admission). */
  admission?: Admission;
  /** Controllers besides the built-in ones (kcp's), sharing the work queue. */
  controllers?: (objects: Objects, queue: WorkQueue) => Controller[];
}

export class Workspace {
  readonly store = new Store();
  readonly objects: Objects;
  readonly resources: ServedResources;
  readonly logSources: LogSources | undefined;
  readonly exec: ExecRunner | undefined;
  /**
   * Whether pod IPs lead anywhere: only when the runtime hands them out (the data plane leases its
   * own block); the kubelet's default 127.0.0.x addresses are shared with whatever runs on the host.
   */
  readonly podsReachable: boolean;
  private readonly queue = new WorkQueue();
  private readonly kubelet: Kubelet;
  private readonly unsubscribe: () => void;

  constructor(runtime: PodRuntime, options: WorkspaceOptions = {}) {
    this.logSources = options.logSources;
    this.exec = options.exec;
    this.podsReachable = runtime.podIP !== undefined;
    this.resources = options.resources ?? new ServedResources();
    this.objects = new Objects(this.store, options.admission);
    this.kubelet = new Kubelet(this.objects, this.queue, runtime);
    const controllers: Controller[] = [
      new DeploymentController(this.objects, this.queue),
      new ReplicaSetController(this.objects, this.queue),
      this.kubelet,
      new EndpointsController(this.objects, this.queue, this.resources),
      new GarbageCollector(this.objects, this.queue, this.resources),
      new NamespaceController(this.objects, this.queue, this.resources),
      // Plain mode serves CRDs; a kcp logical cluster's types come from its APIBindings.
      ...(options.resources ? [] : [new CustomResourceController(this.objects, this.queue, this.resources)]),
      ...(options.controllers?.(this.objects, this.queue) ?? []),
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
