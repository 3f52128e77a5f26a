/**
 * The deployment controller: one ReplicaSet per pod template (`<name>-<pod-template-hash>`),
 * rolled over under maxSurge/maxUnavailable (or Recreate), with status and the Available and
 * Progressing conditions kept as the real controller does, including ProgressDeadlineExceeded.
 */
import { clone, timestamp } from '../json.ts';
import type { Objects } from '../objects.ts';
import { findByPlural, type ResourceType } from '../resources.ts';
import type { StoreEvent } from '../store.ts';
import type { KubeObject } from '../types.ts';
import { safeEncode } from '../validation.ts';
import { controllerOf, controllerReference, isOwnedBy } from './owners.ts';
import type { WorkQueue } from './queue.ts';

const deployments = findByPlural('deployments') as ResourceType;
const replicaSets = findByPlural('replicasets') as ResourceType;
const REVISION = 'deployment.kubernetes.io/revision';
const HASH = 'pod-template-hash';

interface Condition {
  type: string;
  status: 'True' | 'False';
  reason: string;
  message: string;
  lastUpdateTime: string;
  lastTransitionTime: string;
}

interface DeploymentSpec {
  replicas?: number;
  paused?: boolean;
  progressDeadlineSeconds?: number;
  revisionHistoryLimit?: number;
  selector?: { matchLabels?: Record<string, string> };
  strategy?: {
    type?: string;
    rollingUpdate?: { maxSurge?: number | string; maxUnavailable?: number | string };
  };
  template?: { metadata?: { labels?: Record<string, string> } };
}

interface WorkloadStatus {
  replicas?: number;
  updatedReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  conditions?: Condition[];
}

const specOf = (o: KubeObject) => (o.spec ?? {}) as DeploymentSpec;
const statusOf = (o: KubeObject) => (o.status ?? {}) as WorkloadStatus;
const replicasOf = (rs: KubeObject) => Number(specOf(rs).replicas ?? 0);
const availableOf = (rs: KubeObject) => Number(statusOf(rs).availableReplicas ?? 0);
const revisionOf = (rs: KubeObject) => Number(rs.metadata.annotations?.[REVISION] ?? 0);
const sum = (list: KubeObject[], f: (o: KubeObject) => number) => list.reduce((n, o) => n + f(o), 0);

/** FNV-1a over the canonical JSON of the pod template, encoded like pod-template-hash. */
function templateHash(template: unknown): string {
  const canonical = JSON.stringify(template, (_key, value) =>
    value && typeof value === 'object' && !Array.isArray(value)
      ? Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : 1)))
      : value,
  );
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(canonical)) hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  return safeEncode(hash);
}

/** An int-or-percent of `total`, rounded like intstr.GetScaledValueFromIntOrPercent. */
function scaled(value: number | string | undefined, total: number, roundUp: boolean): number {
  if (typeof value === 'number') return value;
  const percent = Number.parseInt(String(value ?? '25%'), 10);
  const exact = (percent * total) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

/** maxSurge and maxUnavailable as numbers (ResolveFenceposts). */
function fenceposts(d: KubeObject): { surge: number; unavailable: number } {
  const spec = specOf(d);
  const desired = Number(spec.replicas ?? 1);
  if (spec.strategy?.type === 'Recreate') return { surge: 0, unavailable: 0 };
  const surge = scaled(spec.strategy?.rollingUpdate?.maxSurge, desired, true);
  const unavailable = scaled(spec.strategy?.rollingUpdate?.maxUnavailable, desired, false);
  return { surge, unavailable: Math.min(desired, surge === 0 && unavailable === 0 ? 1 : unavailable) };
}

export class DeploymentController {
  constructor(
    private readonly objects: Objects,
    private readonly queue: WorkQueue,
  ) {}

  observe(event: StoreEvent): void {
    const { object } = event;
    if (event.resource === 'deployments') this.enqueue(object.metadata.namespace ?? '', object.metadata.name);
    const owner = controllerOf(object);
    if (event.resource === 'replicasets' && owner?.kind === 'Deployment') {
      this.enqueue(object.metadata.namespace ?? '', owner.name);
    }
  }

  private enqueue(namespace: string, name: string, delayMs?: number): void {
    const key = `deployment/${namespace}/${name}`;
    const task = () => this.reconcile(namespace, name);
    if (delayMs === undefined) this.queue.enqueue(key, task);
    else this.queue.enqueueAfter(key, delayMs, task);
  }

  private reconcile(namespace: string, name: string): void {
    const d = this.objects.store.get('deployments', namespace, name);
    if (!d || d.metadata.deletionTimestamp) return;
    const owned = this.objects.list(replicaSets, namespace, (rs) => isOwnedBy(rs, d));
    const hash = templateHash(specOf(d).template);
    const found = owned.find((rs) => rs.metadata.labels?.[HASH] === hash);
    const old = owned.filter((rs) => rs !== found);
    const maxRevision = Math.max(0, ...old.map(revisionOf));
    let newRS = found ?? this.createReplicaSet(d, hash, maxRevision + 1);
    if (revisionOf(newRS) <= maxRevision) newRS = this.annotateRevision(newRS, maxRevision + 1);

    if (!specOf(d).paused) {
      if (specOf(d).strategy?.type === 'Recreate') this.recreate(d, newRS, old);
      else this.rollingUpdate(d, newRS, old);
    }
    if (d.metadata.annotations?.[REVISION] !== String(revisionOf(newRS)))
      this.annotateRevision(d, revisionOf(newRS));
    this.pruneHistory(d, newRS);
    this.updateStatus(namespace, name, hash, !found);
  }

  private createReplicaSet(d: KubeObject, hash: string, revision: number): KubeObject {
    const spec = specOf(d);
    const template = clone(spec.template ?? {}) as { metadata?: { labels?: Record<string, string> } };
    template.metadata = { ...template.metadata, labels: { ...template.metadata?.labels, [HASH]: hash } };
    return this.objects.create(replicaSets, d.metadata.namespace, {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: `${d.metadata.name}-${hash}`,
        namespace: d.metadata.namespace,
        labels: template.metadata.labels,
        annotations: { [REVISION]: String(revision) },
        ownerReferences: [controllerReference(d, deployments)],
      },
      spec: {
        replicas: 0,
        selector: { ...spec.selector, matchLabels: { ...spec.selector?.matchLabels, [HASH]: hash } },
        template,
      },
    });
  }

  private rollingUpdate(d: KubeObject, newRS: KubeObject, old: KubeObject[]): void {
    const desired = Number(specOf(d).replicas ?? 1);
    const { surge, unavailable } = fenceposts(d);
    let current = newRS;
    if (replicasOf(current) > desired) current = this.scale(current, desired);
    else if (replicasOf(current) < desired) {
      const room = desired + surge - replicasOf(current) - sum(old, replicasOf);
      if (room > 0)
        current = this.scale(current, replicasOf(current) + Math.min(room, desired - replicasOf(current)));
    }
    if (sum(old, replicasOf) === 0) return;

    // reconcileOldReplicaSets: first drop old pods that are not available, then available ones
    // as far as maxUnavailable allows.
    const minAvailable = desired - unavailable;
    const oldest = [...old].sort((a, b) => revisionOf(a) - revisionOf(b));
    let budget =
      sum([current, ...old], replicasOf) - minAvailable - (replicasOf(current) - availableOf(current));
    if (budget <= 0) return;
    for (const [i, rs] of oldest.entries()) {
      const n = Math.min(budget, replicasOf(rs) - availableOf(rs));
      if (n <= 0) continue;
      oldest[i] = this.scale(rs, replicasOf(rs) - n);
      budget -= n;
    }
    let surplus = sum([current, ...oldest], availableOf) - minAvailable;
    for (const [i, rs] of oldest.entries()) {
      const n = Math.min(replicasOf(rs), surplus);
      if (n <= 0) continue;
      oldest[i] = this.scale(rs, replicasOf(rs) - n);
      surplus -= n;
    }
  }

  private recreate(d: KubeObject, newRS: KubeObject, old: KubeObject[]): void {
    for (const rs of old) if (replicasOf(rs) > 0) this.scale(rs, 0);
    const oldPods = sum(old, (rs) => Number(statusOf(rs).replicas ?? 0));
    if (oldPods === 0) this.scale(newRS, Number(specOf(d).replicas ?? 1));
  }

  private scale(rs: KubeObject, replicas: number): KubeObject {
    if (replicasOf(rs) === replicas) return rs;
    const next = clone(rs);
    next.spec = { ...(next.spec as object), replicas };
    return this.objects.update(replicaSets, next);
  }

  private annotateRevision(o: KubeObject, revision: number): KubeObject {
    const next = clone(o);
    next.metadata.annotations = { ...next.metadata.annotations, [REVISION]: String(revision) };
    return this.objects.update(o.kind === 'Deployment' ? deployments : replicaSets, next);
  }

  /** Deletes scaled-down ReplicaSets beyond spec.revisionHistoryLimit, oldest first. */
  private pruneHistory(d: KubeObject, newRS: KubeObject): void {
    const limit = Number(specOf(d).revisionHistoryLimit ?? 10);
    const idle = this.objects
      .list(
        replicaSets,
        d.metadata.namespace,
        (rs) => isOwnedBy(rs, d) && rs.metadata.uid !== newRS.metadata.uid,
      )
      .filter((rs) => replicasOf(rs) === 0 && Number(statusOf(rs).replicas ?? 0) === 0)
      .sort((a, b) => revisionOf(a) - revisionOf(b));
    for (const rs of idle.slice(0, Math.max(0, idle.length - limit))) {
      this.objects.delete(replicaSets, rs.metadata.namespace, rs.metadata.name);
    }
  }

  private updateStatus(namespace: string, name: string, hash: string, created: boolean): void {
    const d = this.objects.store.get('deployments', namespace, name);
    if (!d) return;
    const all = this.objects.list(replicaSets, namespace, (rs) => isOwnedBy(rs, d));
    const newRS = all.find((rs) => rs.metadata.labels?.[HASH] === hash);
    const desired = Number(specOf(d).replicas ?? 1);
    const previous = statusOf(d);
    const counts = {
      replicas: sum(all, (rs) => Number(statusOf(rs).replicas ?? 0)),
      updatedReplicas: newRS ? Number(statusOf(newRS).replicas ?? 0) : 0,
      readyReplicas: sum(all, (rs) => Number(statusOf(rs).readyReplicas ?? 0)),
      availableReplicas: sum(all, availableOf),
      unavailableReplicas: Math.max(0, sum(all, replicasOf) - sum(all, availableOf)),
    };
    const conditions = clone(previous.conditions ?? []);
    const rsName = newRS?.metadata.name ?? '';
    const available = counts.availableReplicas >= desired - fenceposts(d).unavailable;
    setCondition(
      conditions,
      'Available',
      available,
      available ? 'MinimumReplicasAvailable' : 'MinimumReplicasUnavailable',
      available ? 'Deployment has minimum availability.' : 'Deployment does not have minimum availability.',
    );
    const complete =
      counts.updatedReplicas === desired &&
      counts.replicas === desired &&
      counts.availableReplicas === desired;
    const oldReplicas = (s: WorkloadStatus) => Number(s.replicas ?? 0) - Number(s.updatedReplicas ?? 0);
    const progressed =
      counts.updatedReplicas > Number(previous.updatedReplicas ?? 0) ||
      oldReplicas(counts) < oldReplicas(previous) ||
      counts.readyReplicas > Number(previous.readyReplicas ?? 0) ||
      counts.availableReplicas > Number(previous.availableReplicas ?? 0);
    const progressing = conditions.find((c) => c.type === 'Progressing');
    const deadline = Number(specOf(d).progressDeadlineSeconds ?? 600) * 1000;
    const set = (status: boolean, reason: string, message: string, touch = false) =>
      setCondition(conditions, 'Progressing', status, reason, message, touch);
    if (complete) set(true, 'NewReplicaSetAvailable', `ReplicaSet "${rsName}" has successfully progressed.`);
    else if (created) set(true, 'NewReplicaSetCreated', `Created new replica set "${rsName}"`, true);
    else if (progressed || !progressing || progressing.reason === 'NewReplicaSetAvailable') {
      set(true, 'ReplicaSetUpdated', `ReplicaSet "${rsName}" is progressing.`, true);
    } else if (
      progressing.status === 'True' &&
      Date.parse(progressing.lastUpdateTime) + deadline <= Date.now()
    ) {
      set(false, 'ProgressDeadlineExceeded', `ReplicaSet "${rsName}" has timed out progressing.`);
    }
    const next = clone(d);
    // Zero counts are omitted, as the real API's omitempty fields are.
    const nonZero = Object.fromEntries(Object.entries(counts).filter(([, n]) => n !== 0));
    next.status = { observedGeneration: d.metadata.generation, ...nonZero, conditions };
    this.objects.update(deployments, next, { subresource: 'status' });

    const now = conditions.find((c) => c.type === 'Progressing');
    if (!complete && now?.status === 'True') {
      // Come back when the progress deadline would pass, in case nothing else happens by then.
      this.enqueue(
        namespace,
        name,
        Math.max(0, Date.parse(now.lastUpdateTime) + deadline - Date.now()) + 100,
      );
    }
  }
}

/** Sets a condition; times move only when status or reason change, or when `touch` (progress). */
function setCondition(
  conditions: Condition[],
  type: string,
  status: boolean,
  reason: string,
  message: string,
  touch = false,
): void {
  const now = timestamp();
  const value = status ? 'True' : 'False';
  const existing = conditions.find((c) => c.type === type);
  if (!existing) {
    conditions.push({ type, status: value, reason, message, lastUpdateTime: now, lastTransitionTime: now });
    return;
  }
  if (existing.status !== value) existing.lastTransitionTime = now;
  if (existing.status !== value || existing.reason !== reason || touch) existing.lastUpdateTime = now;
  Object.assign(existing, { status: value, reason, message });
}
