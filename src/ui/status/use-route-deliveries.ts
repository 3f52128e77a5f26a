/**
 * The open route's full list of deliveries: everything the pods' logs hold for it, read once when it
 * opens (and on r), with each new delivery from the feed added as it arrives, also during the read.
 */
import { useEffect, useState } from 'react';
import type { ListedDelivery } from '../../services/deliveries.ts';
import type { RouteStatus } from '../../services/status-model.ts';
import { addToRouteList } from './recent-deliveries.ts';
import type { LiveDeliveries } from './use-delivery-feed.ts';

export interface RouteDeliveries {
  /** Newest first; undefined while the first read runs. */
  deliveries: ListedDelivery[] | undefined;
  error: string | undefined;
}

export type LoadRouteDeliveries = (route: RouteStatus) => Promise<ListedDelivery[]>;

/** `route`: the open route (undefined: none is open). `reads` counts the reads asked for (r). */
export function useRouteDeliveries(
  route: RouteStatus | undefined,
  feed: LiveDeliveries,
  load: LoadRouteDeliveries,
  reads: number,
): RouteDeliveries {
  const [state, setState] = useState<RouteDeliveries>({ deliveries: undefined, error: undefined });
  const { subscribe } = feed;
  useEffect(() => {
    if (!route) return;
    let live = true;
    let arrived: ListedDelivery[] = [];
    let read: ListedDelivery[] | undefined;
    setState({ deliveries: undefined, error: undefined });
    const unsubscribe = subscribe((batch) => {
      // Only this route's records change the list (and draw a frame).
      if (!batch.some((delivery) => delivery.backend === route.backendName)) return;
      if (read === undefined) arrived = addToRouteList(arrived, batch, route.backendName);
      else {
        read = addToRouteList(read, batch, route.backendName);
        setState({ deliveries: read, error: undefined });
      }
    });
    load(route).then(
      (deliveries) => {
        if (!live) return;
        read = addToRouteList(
          deliveries.filter((delivery) => delivery.backend === route.backendName),
          arrived,
          route.backendName,
        );
        setState({ deliveries: read, error: undefined });
      },
      (error: unknown) => {
        if (live) setState({ deliveries: [], error: error instanceof Error ? error.message : String(error) });
      },
    );
    return () => {
      live = false;
      unsubscribe();
    };
    // Keyed on the backend: a new reading of the same route (its stats changed) must not read the list again.
  }, [route?.backendName, subscribe, load, reads]);
  return route ? state : { deliveries: undefined, error: undefined };
}
