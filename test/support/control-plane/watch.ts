/**
 * Watch streams: newline-delimited JSON events, starting after the requested resourceVersion
 * (or with ADDED for every current object when none is given). With allowWatchBookmarks, BOOKMARK
 * events carry the current resourceVersion every minute and right before the timeout ends the stream,
 * as the real watch cache sends them.
 */
import type { ServerResponse } from 'node:http';
import type { Predicate } from './selectors.ts';
import { ApiError } from './status.ts';
import type { EventType, Store, StoreEvent } from './store.ts';
import type { KubeObject } from './types.ts';

export interface WatchRequest {
  resource: string;
  kind: string;
  apiVersion: string;
  /** Namespace, label and field filters together. */
  filter: Predicate;
  resourceVersion?: string;
  timeoutSeconds?: number;
  /** `sendInitialEvents=true`: end the initial ADDED events with an initial-events-end bookmark. */
  initialEventsBookmark: boolean;
  /** `allowWatchBookmarks=true`: periodic BOOKMARK events, and one before the timeout ends the stream. */
  bookmarks?: boolean;
  /** How an object goes on the wire (plain, or as a Table row). */
  encode: (object: KubeObject) => unknown;
}

type WireEvent = { type: EventType | 'BOOKMARK' | 'ERROR'; object: unknown };

const BOOKMARK_INTERVAL_MS = 60_000;

/** What a watcher whose filter may match before and/or after a change should see. */
function visible(event: StoreEvent, filter: Predicate): EventType | undefined {
  const before = event.previous !== undefined && event.type !== 'ADDED' && filter(event.previous);
  const after = event.type !== 'DELETED' && filter(event.object);
  if (before && after) return 'MODIFIED';
  if (after) return 'ADDED';
  if (before) return 'DELETED';
  return undefined;
}

export function serveWatch(store: Store, request: WatchRequest, res: ServerResponse): void {
  // A bookmark tick or a change can land between the timeout's end() and 'close'; it has nowhere to go.
  const write = (event: WireEvent) => res.writableEnded || res.write(`${JSON.stringify(event)}\n`);
  const send = (type: EventType, object: KubeObject) => write({ type, object: request.encode(object) });
  // An object of the watched kind with nothing but the resourceVersion (and annotations) set.
  const bookmark = (annotations?: Record<string, string>) =>
    write({
      type: 'BOOKMARK',
      object: {
        kind: request.kind,
        apiVersion: request.apiVersion,
        metadata: { resourceVersion: String(store.resourceVersion), ...(annotations ? { annotations } : {}) },
      },
    });
  const since =
    request.resourceVersion && request.resourceVersion !== '0' ? Number(request.resourceVersion) : undefined;
  const backlog = since === undefined ? undefined : store.changesSince(request.resource, since);

  res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' });
  res.flushHeaders();
  if (backlog === 'expired') {
    const gone = new ApiError(
      410,
      'Expired',
      `too old resource version: ${since} (${store.resourceVersion})`,
    );
    write({ type: 'ERROR', object: gone.toStatus() });
    res.end();
    return;
  }
  // Backlog and subscription happen in one synchronous step, so no change can fall in between.
  if (backlog === undefined) {
    for (const object of store.list(request.resource).filter(request.filter)) send('ADDED', object);
    if (request.initialEventsBookmark) bookmark({ 'k8s.io/initial-events-end': 'true' });
  } else {
    for (const event of backlog) {
      const type = visible(event, request.filter);
      if (type) send(type, event.object);
    }
  }
  const unsubscribe = store.subscribe((event) => {
    if (event.resource !== request.resource) return;
    const type = visible(event, request.filter);
    if (type) send(type, event.object);
  });
  const timer = request.timeoutSeconds
    ? setTimeout(() => {
        if (request.bookmarks) bookmark();
        res.end();
      }, request.timeoutSeconds * 1000)
    : undefined;
  const ticker = request.bookmarks ? setInterval(() => bookmark(), BOOKMARK_INTERVAL_MS) : undefined;
  res.on('close', () => {
    unsubscribe();
    clearTimeout(timer);
    clearInterval(ticker);
  });
}
