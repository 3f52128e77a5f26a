/** Keeps each ReplicaSet's pod count at spec.replicas and its status in step with its pods. */
import { clone } from '../json.ts';
import type { Objects } from '../objects.ts';
import { findByPlural, type ResourceType } from '../resources.ts';
import type { StoreEvent } from '../store.ts';
import type { KubeObject } from '../types.ts';
import { randomSuffix } from '../validation.ts';
import { controllerOf, controllerReference, isOwnedBy } from './owners.ts';
import type { WorkQueue } from './queue.ts';

const replicaSets = findByPlural('replicasets') as ResourceType;
const pods = findByPlural('pods') as ResourceType;

const isReady = (pod: KubeObject) =>
  (
    (pod.status as { conditions?: Array<{ type: string; status: string }> } | undefined)?.conditions ?? []
  ).some((c) => c.type === 'Ready' && c.status === 'True');
const isActive = (pod: KubeObject) =>
  !pod.metadata.deletionTimestamp && (pod.status as { phase?: string } | undefined)?.phase !== 'Failed';

export class ReplicaSetController {
  constructor(
    private readonly objects: Objects,
    private readonly queue: WorkQueue,
  ) {}

  observe(event: StoreEvent): void {
    const { object } = event;
    if (event.resource === 'replicasets') this.enqueue(object.metadata.namespace, object.metadata.name);
    const owner = controllerOf(object);
    if (event.resource === 'pods' && owner?.kind === 'ReplicaSet')
      this.enqueue(object.metadata.namespace, owner.name);
  }

  private enqueue(namespace: string | undefined, name: string): void {
    this.queue.enqueue(`replicaset/${namespace}/${name}`, () => this.reconcile(namespace ?? '', name));
  }

  private reconcile(namespace: string, name: string): void {
    const rs = this.objects.store.get('replicasets', namespace, name);
    if (!rs || rs.metadata.deletionTimestamp) return;
    const owned = this.objects.list(pods, namespace, (p) => isOwnedBy(p, rs));
    const active = owned.filter(isActive);
    const desired = Number((rs.spec as { replicas?: number }).replicas ?? 1);
    for (let i = active.length; i < desired; i++) this.createPod(rs);
    // Scale down the least useful pods first: not ready, then newest.
    const doomed = [...active]
      .sort((a, b) => Number(isReady(a)) - Number(isReady(b)) || age(a) - age(b))
      .slice(0, Math.max(0, active.length - desired));
    for (const pod of doomed) this.objects.delete(pods, namespace, pod.metadata.name);

    const current = this.objects.list(pods, namespace, (p) => isOwnedBy(p, rs) && isActive(p));
    const ready = current.filter(isReady).length;
    // replicas is always present; the other counts are omitted when zero, like the real API.
    const counts = { fullyLabeledReplicas: current.length, readyReplicas: ready, availableReplicas: ready };
    const status = {
      replicas: current.length,
      ...Object.fromEntries(Object.entries(counts).filter(([, n]) => n !== 0)),
      observedGeneration: rs.metadata.generation,
    };
    const next = clone(rs);
    next.status = status;
    this.objects.update(replicaSets, next, { subresource: 'status' });
  }

  private createPod(rs: KubeObject): void {
    const template = clone(
      (rs.spec as { template?: { metadata?: KubeObject['metadata']; spec?: unknown } }).template ?? {},
    );
    this.objects.create(pods, rs.metadata.namespace, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        ...template.metadata,
        name: `${rs.metadata.name}-${randomSuffix()}`,
        generateName: `${rs.metadata.name}-`,
        namespace: rs.metadata.namespace,
        ownerReferences: [controllerReference(rs, replicaSets)],
      },
      spec: template.spec ?? {},
    });
  }
}

// Newer pods have later creation timestamps; sort descending age = ascending creation.
const age = (pod: KubeObject) => -Date.parse(String(pod.metadata.creationTimestamp));
