/**
 * Deletion propagation through ownerReferences: dependents of a deleted owner are deleted
 * (Background); owners carrying the `orphan` or `foregroundDeletion` finalizer are finalized
 * once their dependents are released or gone.
 */
import type { Objects } from '../objects.ts';
import { finalizers, POLICY_FINALIZERS } from '../objects.ts';
import type { ResourceType, ServedResources } from '../resources.ts';
import { ApiError } from '../status.ts';
import type { StoreEvent } from '../store.ts';
import type { KubeObject } from '../types.ts';
import { isOwnedBy, ownerReferences } from './owners.ts';
import type { WorkQueue } from './queue.ts';

const ORPHAN = POLICY_FINALIZERS.Orphan as string;
const FOREGROUND = POLICY_FINALIZERS.Foreground as string;

export class GarbageCollector {
  constructor(
    private readonly objects: Objects,
    private readonly queue: WorkQueue,
    private readonly served: ServedResources,
  ) {}

  observe(event: StoreEvent): void {
    const { object } = event;
    const type = this.served.byPlural(event.resource);
    if (!type) return;
    if (event.type === 'DELETED') {
      this.queue.enqueue(`gc/${object.metadata.uid}`, () => this.deleteDependents(object));
      // A dependent going away may complete its owner's foreground deletion.
      for (const ref of ownerReferences(object)) {
        const owner = this.served.all().find((t) => t.kind === ref.kind);
        if (owner) this.enqueueFinalize(owner, object.metadata.namespace, ref.name);
      }
    } else if (
      object.metadata.deletionTimestamp &&
      finalizers(object).some((f) => f === ORPHAN || f === FOREGROUND)
    ) {
      this.enqueueFinalize(type, object.metadata.namespace, object.metadata.name);
    }
  }

  private enqueueFinalize(type: ResourceType, namespace: string | undefined, name: string): void {
    this.queue.enqueue(`gc-finalize/${type.plural}/${namespace}/${name}`, () =>
      this.finalize(type, namespace, name),
    );
  }

  private dependents(owner: KubeObject): Array<[ResourceType, KubeObject]> {
    const namespace = owner.metadata.namespace;
    return this.served
      .all()
      .filter((t) => !namespace || t.namespaced)
      .flatMap((t) =>
        this.objects
          .list(t, namespace, (o) => isOwnedBy(o, owner))
          .map((o): [ResourceType, KubeObject] => [t, o]),
      );
  }

  private deleteDependents(owner: KubeObject): void {
    for (const [type, dependent] of this.dependents(owner)) {
      ignoreNotFound(() => this.objects.delete(type, dependent.metadata.namespace, dependent.metadata.name));
    }
  }

  private finalize(type: ResourceType, namespace: string | undefined, name: string): void {
    const owner = this.objects.store.get(type.plural, type.namespaced ? namespace : undefined, name);
    if (!owner?.metadata.deletionTimestamp) return;
    const pending = finalizers(owner);
    const dependents = this.dependents(owner);
    if (pending.includes(ORPHAN)) {
      for (const [t, dependent] of dependents) {
        dependent.metadata.ownerReferences = ownerReferences(dependent).filter(
          (r) => r.uid !== owner.metadata.uid,
        );
        this.objects.update(t, dependent);
      }
    } else if (pending.includes(FOREGROUND)) {
      for (const [t, dependent] of dependents) {
        ignoreNotFound(() => this.objects.delete(t, dependent.metadata.namespace, dependent.metadata.name));
      }
      if (this.dependents(owner).length > 0) return;
    } else return;
    owner.metadata.finalizers = pending.filter((f) => f !== ORPHAN && f !== FOREGROUND);
    this.objects.update(type, owner);
  }
}

function ignoreNotFound(action: () => unknown): void {
  try {
    action();
  } catch (error) {
    if (!(error instanceof ApiError && error.code === 404)) throw error;
  }
}
