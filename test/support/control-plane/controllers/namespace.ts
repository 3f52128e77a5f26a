/** Finalizes a Terminating namespace: deletes everything in it, then the namespace once it is empty. */
import type { Objects } from '../objects.ts';
import type { ServedResources } from '../resources.ts';
import type { StoreEvent } from '../store.ts';
import type { WorkQueue } from './queue.ts';

export class NamespaceController {
  constructor(
    private readonly objects: Objects,
    private readonly queue: WorkQueue,
    private readonly served: ServedResources,
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
    const namespaced = this.served.all().filter((t) => t.namespaced);
    for (const type of namespaced) {
      for (const o of this.objects.list(type, name)) {
        if (!o.metadata.deletionTimestamp) this.objects.delete(type, name, o.metadata.name);
      }
    }
    const remaining = namespaced.some((type) => this.objects.list(type, name).length > 0);
    if (!remaining) this.objects.store.remove('namespaces', undefined, name);
  }
}
