/** Finalizes a Terminating namespace: deletes everything in it, then the namespace once it is empty. */
import type { Objects } from '../objects.ts';
import { RESOURCE_TYPES } from '../resources.ts';
import type { StoreEvent } from '../store.ts';
import type { WorkQueue } from './queue.ts';

const NAMESPACED = RESOURCE_TYPES.filter((t) => t.namespaced);

export class NamespaceController {
  constructor(
    private readonly objects: Objects,
    private readonly queue: WorkQueue,
  ) {}

  observe(event: StoreEvent): void {
    const { object } = event;
    const name = event.resource === 'namespaces' ? object.metadata.name : object.metadata.namespace;
    if (!name || (event.resource === 'namespaces' && event.type === 'DELETED')) return;
    const ns = this.objects.store.get('namespaces', undefined, name);
    if (ns?.metadata.deletionTimestamp) this.queue.enqueue(`namespace/${name}`, () => this.finalize(name));
  }

  private finalize(name: string): void {
    const ns = this.objects.store.get('namespaces', undefined, name);
    if (!ns?.metadata.deletionTimestamp) return;
    for (const type of NAMESPACED) {
      for (const o of this.objects.list(type, name)) {
        if (!o.metadata.deletionTimestamp) this.objects.delete(type, name, o.metadata.name);
      }
    }
    const remaining = NAMESPACED.some((type) => this.objects.list(type, name).length > 0);
    if (!remaining) this.objects.store.remove('namespaces', undefined, name);
  }
}
