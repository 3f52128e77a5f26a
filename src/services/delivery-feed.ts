/**
 * The deliveries the live `status` view shows: every gateway pod's records, its recent history first,
 * then each new one as it is written, handed on in batches. It keeps nothing itself, and starts again
 * when the gateway cannot be followed yet (no delivery log block, no pods): `install` may be on its way.
 */
import type { ListedDelivery } from './deliveries.ts';
import { followDeliveries } from './deliveries-follow.ts';
import type { GatewayLocation } from './gateway.ts';
import { GatewayError } from '../errors.ts';
import type { KubeClient } from '../kube/client.ts';

/** Log lines read back from each running pod at the start: the view's history, bounded. */
export const FEED_HISTORY_LINES = 10_000;
/** Records that arrive together (a history, a burst) make one batch, so the view draws once. */
const BATCH_MS = 100;
/** How long after a failed start it tries again. */
export const FEED_RETRY_MS = 5000;

export interface DeliveryFeedOptions {
  signal: AbortSignal;
  /** New records, oldest first; records read again after a restart come again. */
  onBatch: (deliveries: ListedDelivery[]) => void;
  /** Why deliveries cannot be shown now, and the fix on a second line (undefined: they can). */
  onUnavailable: (reason: string | undefined) => void;
  history?: number;
  retryMs?: number;
}

/** Runs until `signal` aborts; never rejects. */
export async function runDeliveryFeed(
  kube: KubeClient,
  location: GatewayLocation,
  options: DeliveryFeedOptions,
): Promise<void> {
  const { signal } = options;
  let batch: ListedDelivery[] = [];
  let timer: NodeJS.Timeout | undefined;
  const flush = () => {
    timer = undefined;
    const ready = batch;
    batch = [];
    if (!signal.aborted && ready.length > 0) options.onBatch(ready);
  };
  signal.addEventListener('abort', () => clearTimeout(timer), { once: true });

  while (!signal.aborted) {
    try {
      await followDeliveries(kube, location, {
        filter: {},
        signal,
        history: options.history ?? FEED_HISTORY_LINES,
        onDelivery: (delivery) => {
          batch.push(delivery);
          timer ??= setTimeout(flush, BATCH_MS);
        },
        onPod: () => options.onUnavailable(undefined),
        // Watches are retried by the informers and streams reopened on the pod's next change.
        onError: () => {},
      });
    } catch (error) {
      options.onUnavailable(unavailableReason(error));
      await new Promise<void>((resume) => {
        const wait = setTimeout(resume, options.retryMs ?? FEED_RETRY_MS);
        signal.addEventListener('abort', () => (clearTimeout(wait), resume()), { once: true });
      });
    }
  }
}

/** What is wrong and, for the gateway's own refusals, the fix on a second line. */
function unavailableReason(error: unknown): string {
  if (error instanceof GatewayError && error.next[0]) return `${error.message}\nfix: ${error.next[0]}`;
  return error instanceof Error ? error.message : String(error);
}
