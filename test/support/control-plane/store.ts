/** One workspace's object storage: a global resourceVersion counter, a change history and subscribers. */
import { randomUUID } from 'node:crypto';
import { clone, timestamp } from './json.ts';
import type { KubeObject } from './types.ts';

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  type: EventType;
  resource: string;
  object: KubeObject;
  /** The object before a MODIFIED/DELETED change. */
  previous?: KubeObject;
  resourceVersion: number;
}

export type Listener = (event: StoreEvent) => void;

// Enough history for any watch a test opens; older resourceVersions answer 410 Gone.
const HISTORY_LIMIT = 20_000;

const keyOf = (namespace: string | undefined, name: string) => `${namespace ?? ''}/${name}`;

export class Store {
  private readonly objects = new Map<string, Map<string, KubeObject>>();
  private readonly history: StoreEvent[] = [];
  private readonly listeners = new Set<Listener>();
  private version = 0;
  /** Watches from before this resourceVersion answer 410 Gone, as after an etcd compaction. */
  private compactedAt = 0;

  get resourceVersion(): number {
    return this.version;
  }

  get(resource: string, namespace: string | undefined, name: string): KubeObject | undefined {
    const found = this.bucket(resource).get(keyOf(namespace, name));
    return found && clone(found);
  }

  /** Objects sorted by namespace then name; all namespaces when `namespace` is undefined. */
  list(resource: string, namespace?: string): KubeObject[] {
    const all = [...this.bucket(resource).entries()]
      .filter(([, o]) => namespace === undefined || o.metadata.namespace === namespace)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return all.map(([, o]) => clone(o));
  }

  /** Resources that currently hold at least one object. */
  resources(): string[] {
    return [...this.objects.entries()].filter(([, m]) => m.size > 0).map(([r]) => r);
  }

  create(resource: string, object: KubeObject): KubeObject {
    const stored = clone(object);
    stored.metadata.uid ??= randomUUID();
    stored.metadata.creationTimestamp ??= timestamp();
    stored.metadata.resourceVersion = String(++this.version);
    this.bucket(resource).set(keyOf(stored.metadata.namespace, stored.metadata.name), stored);
    this.emit({ type: 'ADDED', resource, object: stored, resourceVersion: this.version });
    return clone(stored);
  }

  update(resource: string, object: KubeObject): KubeObject {
    const key = keyOf(object.metadata.namespace, object.metadata.name);
    const previous = this.bucket(resource).get(key);
    if (!previous) throw new Error(`update of missing ${resource} ${key}`);
    const stored = clone(object);
    stored.metadata.resourceVersion = String(++this.version);
    this.bucket(resource).set(key, stored);
    this.emit({ type: 'MODIFIED', resource, object: stored, previous, resourceVersion: this.version });
    return clone(stored);
  }

  remove(resource: string, namespace: string | undefined, name: string): KubeObject | undefined {
    const key = keyOf(namespace, name);
    const previous = this.bucket(resource).get(key);
    if (!previous) return undefined;
    this.bucket(resource).delete(key);
    const gone = clone(previous);
    gone.metadata.resourceVersion = String(++this.version);
    this.emit({ type: 'DELETED', resource, object: gone, previous, resourceVersion: this.version });
    return clone(gone);
  }

  /** Changes to `resource` after `resourceVersion`, or 'expired' when history no longer reaches back that far. */
  changesSince(resource: string, resourceVersion: number): StoreEvent[] | 'expired' {
    const oldest = this.history[0]?.resourceVersion;
    if (oldest !== undefined && resourceVersion < oldest - 1) return 'expired';
    if (resourceVersion < this.compactedAt) return 'expired';
    return this.history.filter((e) => e.resource === resource && e.resourceVersion > resourceVersion);
  }

  /** Forgets the history up to now, as etcd's compaction does: older resourceVersions are gone. */
  compact(): void {
    this.compactedAt = this.version;
    this.history.length = 0;
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(event: StoreEvent): void {
    this.history.push(event);
    if (this.history.length > HISTORY_LIMIT) this.history.shift();
    for (const listener of this.listeners) listener(event);
  }

  private bucket(resource: string): Map<string, KubeObject> {
    let bucket = this.objects.get(resource);
    if (!bucket) {
      bucket = new Map();
      this.objects.set(resource, bucket);
    }
    return bucket;
  }
}
