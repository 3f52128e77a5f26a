/**
 * Keeps a live copy of one kind's objects: one list, then a watch from its resourceVersion, listed
 * again when the watch ends or its history is gone (410). The API server pushes every change; nothing
 * is polled.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { KubeObject } from '../manifests/types.ts';
import type { KubeClient, ListOptions } from './client.ts';

const WATCH_SECONDS = 300;
const RETRY_MS = [500, 1000, 2000, 5000];

export interface InformerSpec extends ListOptions {
  apiVersion: string;
  kind: string;
}

const keyOf = (object: KubeObject) => `${object.metadata.namespace ?? ''}/${object.metadata.name}`;

/**
 * Calls `onChange` with every object after the first list and after each change; `onError` when a
 * list or watch fails (it is retried with backoff until `signal` aborts).
 */
export async function runInformer<T extends KubeObject>(
  kube: KubeClient,
  spec: InformerSpec,
  onChange: (objects: T[]) => void,
  onError: (error: unknown) => void,
  signal: AbortSignal,
): Promise<void> {
  const { apiVersion, kind, ...options } = spec;
  let failures = 0;
  while (!signal.aborted) {
    try {
      const listed = await kube.listVersioned<T>(apiVersion, kind, options);
      const objects = new Map(listed.items.map((object) => [keyOf(object), object]));
      failures = 0;
      onChange([...objects.values()]);
      let resourceVersion = listed.resourceVersion;
      const events = await kube.watch<T>(
        apiVersion,
        kind,
        { ...options, resourceVersion, timeoutSeconds: WATCH_SECONDS },
        signal,
      );
      for await (const event of events) {
        if (event.type === 'ERROR') break; // e.g. 410 Gone: list again
        const version = event.object.metadata.resourceVersion;
        if (typeof version === 'string') resourceVersion = version;
        if (event.type === 'BOOKMARK') continue;
        const object = { ...event.object, apiVersion, kind };
        if (event.type === 'DELETED') objects.delete(keyOf(object));
        else objects.set(keyOf(object), object);
        onChange([...objects.values()]);
      }
    } catch (error) {
      if (signal.aborted) return;
      onError(error);
      const delay = RETRY_MS[Math.min(failures++, RETRY_MS.length - 1)] ?? 5000;
      await sleep(delay, undefined, { signal }).catch(() => undefined);
    }
  }
}
