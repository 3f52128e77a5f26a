/** The state hook of the deliveries on the status screen: the delivery feed, as React state. */
import { useCallback, useEffect, useRef, useState } from 'react';
import type { KubeClient } from '../../kube/client.ts';
import type { ListedDelivery } from '../../services/deliveries.ts';
import { runDeliveryFeed } from '../../services/delivery-feed.ts';
import type { GatewayLocation } from '../../services/gateway.ts';
import { addRecent, type RecentDeliveries } from './recent-deliveries.ts';

export type DeliveryListener = (batch: readonly ListedDelivery[]) => void;

export interface LiveDeliveries {
  recent: RecentDeliveries;
  /** Why deliveries cannot be shown; undefined when they can. */
  unavailable: string | undefined;
  /** Every batch as it arrives, for the open route's full list; returns the way to stop listening. */
  subscribe(listener: DeliveryListener): () => void;
}

/**
 * `shown`: the backend whose deliveries are on screen. A batch is kept for every route, but draws a
 * frame only when it brings one of those: traffic to the other routes changes nothing on screen.
 */
export function useDeliveryFeed(
  kube: KubeClient,
  location: GatewayLocation,
  shown: string | undefined,
  runFeed: typeof runDeliveryFeed = runDeliveryFeed,
): LiveDeliveries {
  const recent = useRef<RecentDeliveries>(new Map());
  const shownNow = useRef(shown);
  shownNow.current = shown;
  const [, setArrivals] = useState(0);
  const [unavailable, setUnavailable] = useState<string | undefined>(undefined);
  const listeners = useRef(new Set<DeliveryListener>());
  // One function for the screen's lifetime: the open list subscribes once, not on every frame.
  const subscribe = useCallback((listener: DeliveryListener) => {
    listeners.current.add(listener);
    return () => {
      listeners.current.delete(listener);
    };
  }, []);
  useEffect(() => {
    const stop = new AbortController();
    void runFeed(kube, location, {
      signal: stop.signal,
      onBatch: (batch) => {
        recent.current = addRecent(recent.current, batch);
        if (batch.some((delivery) => delivery.backend === shownNow.current))
          setArrivals((count) => count + 1);
        for (const listener of listeners.current) listener(batch);
      },
      onUnavailable: setUnavailable,
    });
    return () => stop.abort();
  }, [kube, location, runFeed]);
  return { recent: recent.current, unavailable, subscribe };
}
