/**
 * Choosing deliveries: the filters of `kubectl trigger-gateway deliveries`, and the merge of several
 * pods' records into one list, newest first. Pure.
 */
import type { Delivery, Provider } from './delivery-log.ts';

export const PROVIDER_NAMES: readonly Provider[] = ['github', 'gitlab', 'bitbucket', 'gitea'];

/** --status: a class (2xx, 4xx, 5xx, …) or one code. */
export type StatusFilter = { class: number } | { code: number };

export interface DeliveryFilter {
  /** Exact delivery ID, any provider. */
  id?: string | undefined;
  /** The route's path (or a header route's backend name), exactly as `route list` shows it. */
  route?: string | undefined;
  status?: StatusFilter | undefined;
  provider?: Provider | undefined;
  /** The provider's event name, exactly. */
  event?: string | undefined;
  /** Only deliveries at or after this time (ms since the epoch). */
  sinceMs?: number | undefined;
}

/** Parses --status; undefined for text that is neither "Nxx" nor a 3-digit code. */
export function parseStatusFilter(text: string): StatusFilter | undefined {
  const trimmed = text.trim().toLowerCase();
  const classMatch = /^([1-5])xx$/.exec(trimmed);
  if (classMatch) return { class: Number(classMatch[1]) };
  if (/^[1-5]\d\d$/.test(trimmed)) return { code: Number(trimmed) };
  return undefined;
}

function statusMatches(status: number, filter: StatusFilter): boolean {
  return 'code' in filter ? status === filter.code : Math.floor(status / 100) === filter.class;
}

export function matchesFilter(delivery: Delivery, filter: DeliveryFilter): boolean {
  if (filter.id !== undefined && delivery.deliveryId !== filter.id) return false;
  if (filter.route !== undefined && delivery.route !== filter.route) return false;
  if (filter.status && !statusMatches(delivery.status, filter.status)) return false;
  if (filter.provider !== undefined && delivery.provider !== filter.provider) return false;
  if (filter.event !== undefined && delivery.event !== filter.event) return false;
  if (filter.sinceMs !== undefined && delivery.timeMs < filter.sinceMs) return false;
  return true;
}

/**
 * The deliveries of every pod that match, newest first, at most `limit`. Each pod's log is in time
 * order already; sorting the matches once keeps it simple and is fast enough for tens of thousands.
 */
export function selectDeliveries<T extends Delivery>(
  perPod: ReadonlyArray<readonly T[]>,
  filter: DeliveryFilter,
  limit?: number,
): T[] {
  const matching: T[] = [];
  for (const deliveries of perPod)
    for (const delivery of deliveries) if (matchesFilter(delivery, filter)) matching.push(delivery);
  matching.sort((a, b) => b.timeMs - a.timeMs);
  return limit === undefined ? matching : matching.slice(0, limit);
}

/**
 * `list` (newest first) with the `arrivals` that are not in it yet, newest first, at most `max`.
 * `key` names a record: the same log read twice yields the same records, and they appear once.
 */
export function mergeNewest<T extends Delivery>(
  list: readonly T[],
  arrivals: readonly T[],
  key: (delivery: T) => string,
  max = Infinity,
): T[] {
  const seen = new Set(list.map(key));
  const added: T[] = [];
  for (const delivery of arrivals) {
    const name = key(delivery);
    if (seen.has(name)) continue;
    seen.add(name);
    added.push(delivery);
  }
  if (added.length === 0) return list.length > max ? list.slice(0, max) : [...list];
  // Stable: records of one millisecond keep the order they were read in, the later one first.
  return [...added.reverse(), ...list].sort((a, b) => b.timeMs - a.timeMs).slice(0, max);
}
