/**
 * Keeps one resource of the API server mirrored in a local Store, as client-go's reflector does:
 * list, then watch from the list's resourceVersion, watch again when a watch ends, and list again
 * when the server says the resourceVersion is too old (410 Gone).
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { Store } from '../../support/control-plane/store.ts';
import type { KubeObject } from '../../support/control-plane/types.ts';
import { type ApiClient, isStatus, type Watch, type WatchEvent } from './api-client.ts';

const RETRY_MS = 1000;
const WATCH_SECONDS = 300;

interface List {
  metadata: { resourceVersion: string };
  items: KubeObject[];
}

const keyOf = (o: KubeObject) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;

export class Reflector {
  private watch?: Watch;
  private stopped = false;
  private readonly synced: Promise<void>;
  private markSynced = () => undefined as void;

  /** `path` is the collection URL; `selector` an optional fieldSelector (spec.nodeName=…). */
  constructor(
    private readonly client: ApiClient,
    private readonly store: Store,
    private readonly resource: string,
    private readonly path: string,
    private readonly selector?: string,
    private readonly onError: (error: unknown) => void = () => undefined,
  ) {
    this.synced = new Promise((resolve) => (this.markSynced = resolve));
    void this.run();
  }

  /** Resolves once the first list is in the store. */
  hasSynced(): Promise<void> {
    return this.synced;
  }

  stop(): void {
    this.stopped = true;
    this.watch?.close();
  }

  private query(extra: Record<string, string>): string {
    const q = new URLSearchParams(extra);
    if (this.selector) q.set('fieldSelector', this.selector);
    return `${this.path}?${q}`;
  }

  private async run(): Promise<void> {
    let resourceVersion: string | undefined;
    while (!this.stopped) {
      try {
        if (resourceVersion === undefined) {
          const list = await this.client.get<List>(this.query({}));
          this.replace(list.items);
          resourceVersion = list.metadata.resourceVersion;
          this.markSynced();
        }
        resourceVersion = await this.watchFrom(resourceVersion);
      } catch (error) {
        if (isStatus(error, 410)) resourceVersion = undefined;
        else {
          if (!this.stopped) this.onError(error);
          await delay(RETRY_MS);
        }
      }
    }
  }

  /** Watches until the server ends it; the resourceVersion to go on from, or undefined to list again. */
  private async watchFrom(from: string): Promise<string | undefined> {
    let resourceVersion: string | undefined = from;
    const path = this.query({
      watch: '1',
      resourceVersion: from,
      allowWatchBookmarks: 'true',
      timeoutSeconds: String(WATCH_SECONDS),
    });
    this.watch = this.client.watch<KubeObject>(path, (event: WatchEvent<KubeObject>) => {
      if (event.type === 'ERROR') {
        // 410 Gone: the resourceVersion is too old; anything else, list again too.
        resourceVersion = undefined;
        this.watch?.close();
        return;
      }
      if (resourceVersion === undefined) return;
      resourceVersion = String(event.object.metadata.resourceVersion ?? resourceVersion);
      if (event.type === 'BOOKMARK') return;
      if (event.type === 'DELETED')
        this.store.remove(this.resource, event.object.metadata.namespace, event.object.metadata.name);
      else this.upsert(event.object);
    });
    await this.watch.ended;
    return resourceVersion;
  }

  private upsert(object: KubeObject): void {
    if (this.store.get(this.resource, object.metadata.namespace, object.metadata.name))
      this.store.update(this.resource, object);
    else this.store.create(this.resource, object);
  }

  private replace(items: KubeObject[]): void {
    const wanted = new Set(items.map(keyOf));
    for (const old of this.store.list(this.resource)) {
      if (!wanted.has(keyOf(old)))
        this.store.remove(this.resource, old.metadata.namespace, old.metadata.name);
    }
    for (const item of items) this.upsert(item);
  }
}
