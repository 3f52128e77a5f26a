/**
 * The life of the Workspaces in one logical cluster, one queued step at a time so clients see each
 * phase: Scheduling → (logical cluster created, spec.cluster and spec.URL set) Initializing → (the
 * type's initializer cleared, unless nobody ever clears it) Ready. Deleting a Workspace removes its
 * logical cluster. A legacy kcp keeps cluster and URL in status instead of spec.
 */
import type { WorkQueue } from '../controllers/queue.ts';
import { clone, isObject, type JsonObject } from '../json.ts';
import type { Objects } from '../objects.ts';
import type { StoreEvent } from '../store.ts';
import type { KubeObject } from '../types.ts';
import { type ConditionUpdate, setConditions } from './conditions.ts';

/** What the controller asks of kcp mode as a whole. */
export interface WorkspaceHost {
  readonly legacy: boolean;
  readonly phaseLabel: string;
  /** Creates the logical cluster behind workspace `path`, of type `type` ('root:universal'); returns its id. */
  createCluster(path: string, type: string): string;
  /** Removes a logical cluster and every one below it. */
  removeCluster(id: string): void;
  /** The LogicalCluster object of `id` follows its Workspace's phase. */
  clusterPhase(id: string, phase: string): void;
  /** `<server>/clusters/<path>`. */
  url(path: string): string;
  /** True for types whose initializer nobody ever clears. */
  initializerStuck(type: string): boolean;
}

type Phase = 'Scheduling' | 'Initializing' | 'Ready';

const field = (o: KubeObject, part: 'spec' | 'status'): JsonObject => (isObject(o[part]) ? o[part] : {});

export class WorkspaceController {
  constructor(
    private readonly objects: Objects,
    private readonly queue: WorkQueue,
    /** The workspace path of this logical cluster. */
    private readonly path: string,
    private readonly host: WorkspaceHost,
  ) {}

  observe(event: StoreEvent): void {
    if (event.resource !== 'workspaces') return;
    const { name, uid } = event.object.metadata;
    if (event.type === 'DELETED') {
      const id = this.clusterOf(event.object);
      if (id) this.queue.enqueue(`workspace-removed/${String(uid)}`, () => this.host.removeCluster(id));
      return;
    }
    this.queue.enqueue(`workspace/${name}`, () => void this.step(name));
  }

  /** Takes every step a workspace can take now (workspaces created at start are Ready at once). */
  settle(name: string): void {
    while (this.step(name)) {
      // each step moves the workspace one phase on
    }
  }

  /** Moves the workspace one phase on; false when there is nothing to do (yet). */
  private step(name: string): boolean {
    const workspace = this.objects.store.get('workspaces', undefined, name);
    if (!workspace || workspace.metadata.deletionTimestamp) return false;
    const type = this.typeOf(workspace);
    switch (field(workspace, 'status').phase) {
      case 'Scheduling':
        this.schedule(workspace, type);
        return true;
      case 'Initializing':
        if (this.host.initializerStuck(type)) return false;
        this.initialized(workspace);
        return true;
      default:
        return false;
    }
  }

  private schedule(workspace: KubeObject, type: string): void {
    const path = `${this.path}:${workspace.metadata.name}`;
    const id = this.host.createCluster(path, type);
    const placement = { cluster: id, URL: this.host.url(path) };
    this.write(workspace, 'Initializing', (next) => {
      if (this.host.legacy) next.status = { ...field(next, 'status'), ...placement };
      else next.spec = { ...field(next, 'spec'), ...placement };
      const status = field(next, 'status');
      status.initializers = [type];
      return [
        { type: 'WorkspaceScheduled', status: 'True' },
        {
          type: 'WorkspaceInitialized',
          status: 'False',
          reason: 'InitializerExists',
          message: `Initializers still exist: [${type}]`,
          severity: 'Info',
        },
      ];
    });
    this.host.clusterPhase(id, 'Initializing');
  }

  private initialized(workspace: KubeObject): void {
    this.write(workspace, 'Ready', (next) => {
      delete field(next, 'status').initializers;
      return [
        { type: 'WorkspaceScheduled', status: 'True' },
        { type: 'WorkspaceInitialized', status: 'True' },
      ];
    });
    const id = this.clusterOf(workspace);
    if (id) this.host.clusterPhase(id, 'Ready');
  }

  /** One write per phase: the change, the phase, its label and the conditions together. */
  private write(workspace: KubeObject, phase: Phase, change: (next: KubeObject) => ConditionUpdate[]): void {
    const next = clone(workspace);
    next.status = field(next, 'status');
    const conditions = change(next);
    const status = field(next, 'status');
    status.phase = phase;
    status.conditions = setConditions(status.conditions, conditions) as unknown as JsonObject[];
    next.status = status;
    next.metadata.labels = { ...next.metadata.labels, [this.host.phaseLabel]: phase };
    this.objects.store.update('workspaces', next);
  }

  private typeOf(workspace: KubeObject): string {
    const type = field(workspace, 'spec').type;
    return isObject(type) ? `${String(type.path ?? 'root')}:${String(type.name)}` : 'root:universal';
  }

  private clusterOf(workspace: KubeObject): string | undefined {
    const id = field(workspace, this.host.legacy ? 'status' : 'spec').cluster;
    return typeof id === 'string' && id ? id : undefined;
  }
}
