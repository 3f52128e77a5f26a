/** The deliveries the status screen keeps: the newest few of each route, and one route's full list. Pure. */
import { mergeNewest } from '../../haproxy/delivery-query.ts';
import type { ListedDelivery } from '../../services/deliveries.ts';

/** Deliveries kept, and shown under the routes, for each route. */
export const RECENT_PER_ROUTE = 5;
/** The most an open route's list keeps while it stays open: the newest ones. */
export const ROUTE_LIST_MAX = 20_000;

/** The newest deliveries of each route, by HAProxy backend name, newest first. */
export type RecentDeliveries = ReadonlyMap<string, readonly ListedDelivery[]>;

/** One record: a pod's log read again after a restart or a reload yields the same records. */
export function deliveryKey(delivery: ListedDelivery): string {
  return [
    delivery.pod,
    delivery.timeMs,
    delivery.backend,
    delivery.status,
    delivery.path,
    delivery.bytesIn,
    delivery.timings.total,
    delivery.deliveryId ?? delivery.requestId ?? '',
  ].join('\u0000');
}

/** `recent` with a batch of new records added, each route's list still the newest few. */
export function addRecent(
  recent: RecentDeliveries,
  batch: readonly ListedDelivery[],
  perRoute = RECENT_PER_ROUTE,
): RecentDeliveries {
  const byBackend = new Map<string, ListedDelivery[]>();
  for (const delivery of batch) {
    const arrivals = byBackend.get(delivery.backend) ?? [];
    arrivals.push(delivery);
    byBackend.set(delivery.backend, arrivals);
  }
  const next = new Map(recent);
  for (const [backend, arrivals] of byBackend)
    next.set(backend, mergeNewest(recent.get(backend) ?? [], arrivals, deliveryKey, perRoute));
  return next;
}

/** The open route's list with the new records of that route added. */
export function addToRouteList(
  list: readonly ListedDelivery[],
  batch: readonly ListedDelivery[],
  backend: string,
): ListedDelivery[] {
  const arrivals = batch.filter((delivery) => delivery.backend === backend);
  return mergeNewest(list, arrivals, deliveryKey, ROUTE_LIST_MAX);
}
