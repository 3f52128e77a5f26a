/**
 * Following an event to what the listener created for it: one watch per kind its templates create,
 * selecting the event's ID label, until the first object appears or the caller stops looking. Where
 * the event's ID is not known (a provider's delivery whose answer nobody kept), the first object the
 * listener creates that was not there before names it.
 */
import type { KubeClient } from '../kube/client.ts';
import { apiStatusOf } from '../kube/errors.ts';
import { runInformer } from '../kube/informer.ts';
import type { KubeObject } from '../manifests/types.ts';
import { type CreatedKind, type CreatedObject, eventIdSelector, TRIGGER_LABEL } from '../tekton/created.ts';
import { EVENT_ID_LABEL } from '../tekton/objects.ts';

/** The label the sink puts on everything it creates, naming the listener. */
const LISTENER_LABEL = 'triggers.tekton.dev/eventlistener';

export interface CreatedWatch {
  /** Resolves with everything created for the event so far, once there is something. */
  found: Promise<CreatedObject[]>;
  /** Why a kind could not be watched (a 403 since the check before sending), one line each. */
  problems: string[];
}

const kindKey = (kind: CreatedKind) => `${kind.apiVersion}/${kind.kind}/${kind.namespace ?? '*'}`;

/**
 * Watches each kind's objects with `labelSelector` until `signal` aborts, calling `onChange` with every
 * kind's objects so far; a kind that cannot be watched (refused, not served) is a problem, not retried.
 */
function watchKinds(
  kube: KubeClient,
  kinds: CreatedKind[],
  labelSelector: string,
  signal: AbortSignal,
  onChange: (objects: Array<{ kind: CreatedKind; object: KubeObject }>) => void,
): string[] {
  const byKind = new Map<string, Array<{ kind: CreatedKind; object: KubeObject }>>();
  const problems: string[] = [];
  for (const kind of kinds) {
    const stopped = new AbortController();
    const stop = () => stopped.abort();
    signal.addEventListener('abort', stop, { once: true });
    void runInformer<KubeObject>(
      kube,
      { apiVersion: kind.apiVersion, kind: kind.kind, namespace: kind.namespace, labelSelector },
      (objects) => {
        byKind.set(
          kindKey(kind),
          objects.map((object) => ({ kind, object })),
        );
        onChange([...byKind.values()].flat());
      },
      (error) => {
        // Refused or not served: retrying cannot help; anything else (a dropped watch) is retried.
        const code = apiStatusOf(error)?.code;
        if (code !== 403 && code !== 404) return;
        problems.push(
          `cannot watch ${kind.kind} objects: ${error instanceof Error ? error.message : String(error)}`,
        );
        stop();
      },
      stopped.signal,
    ).finally(() => signal.removeEventListener('abort', stop));
  }
  return problems;
}

/** Watches until `signal` aborts; the caller races `found` against its own deadline. */
export function watchCreated(
  kube: KubeClient,
  kinds: CreatedKind[],
  eventId: string,
  signal: AbortSignal,
): CreatedWatch {
  let resolveFound: (objects: CreatedObject[]) => void = () => undefined;
  const found = new Promise<CreatedObject[]>((resolve) => {
    resolveFound = resolve;
  });
  const problems = watchKinds(kube, kinds, eventIdSelector(eventId), signal, (objects) => {
    if (objects.length === 0) return;
    resolveFound(
      objects.map(({ kind, object }) => ({
        apiVersion: kind.apiVersion,
        kind: kind.kind,
        namespace: object.metadata.namespace ?? kind.namespace ?? '',
        name: object.metadata.name,
        trigger: object.metadata.labels?.[TRIGGER_LABEL],
      })),
    );
  });
  return { found, problems };
}

const objectKey = (kind: CreatedKind, object: KubeObject) =>
  `${kindKey(kind)}/${object.metadata.namespace ?? ''}/${object.metadata.name}`;

/** What the listener has created so far, to tell a new event's objects from them. */
export async function listenerObjectsNow(
  kube: KubeClient,
  kinds: CreatedKind[],
  listener: string,
): Promise<Set<string>> {
  const known = new Set<string>();
  for (const kind of kinds) {
    const objects = await kube.list(kind.apiVersion, kind.kind, {
      namespace: kind.namespace,
      labelSelector: `${LISTENER_LABEL}=${listener}`,
    });
    for (const object of objects) known.add(objectKey(kind, object));
  }
  return known;
}

/** Resolves with the event ID of the first object the listener creates that is not in `known`. */
export function watchNewEvent(
  kube: KubeClient,
  kinds: CreatedKind[],
  listener: string,
  known: Set<string>,
  signal: AbortSignal,
): { eventId: Promise<string>; problems: string[] } {
  let resolveEvent: (eventId: string) => void = () => undefined;
  const eventId = new Promise<string>((resolve) => {
    resolveEvent = resolve;
  });
  const problems = watchKinds(kube, kinds, `${LISTENER_LABEL}=${listener}`, signal, (objects) => {
    const fresh = objects
      .filter(({ kind, object }) => !known.has(objectKey(kind, object)))
      .map(({ object }) => object)
      .sort((a, b) =>
        String(a.metadata.creationTimestamp ?? '').localeCompare(String(b.metadata.creationTimestamp ?? '')),
      );
    const id = fresh[0]?.metadata.labels?.[EVENT_ID_LABEL];
    if (id) resolveEvent(id);
  });
  return { eventId, problems };
}
