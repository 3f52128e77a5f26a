/** The state hook of the live view: the status service's watches, as React state. */
import { useEffect, useRef, useState } from 'react';
import type { KubeClient } from '../../kube/client.ts';
import type { GatewayLocation } from '../../services/gateway.ts';
import type { GatewayStatus } from '../../services/status-model.ts';
import type { LiveStatus } from './app.tsx';
import { type StatusWatch, watchGatewayStatus } from '../../services/status-watch.ts';

export function useGatewayStatus(
  kube: KubeClient,
  location: GatewayLocation,
  statsIntervalMs?: number,
): LiveStatus {
  const [status, setStatus] = useState<GatewayStatus | undefined>(undefined);
  const watch = useRef<StatusWatch | undefined>(undefined);
  useEffect(() => {
    const stop = new AbortController();
    watch.current = watchGatewayStatus(kube, location, {
      signal: stop.signal,
      onStatus: setStatus,
      ...(statsIntervalMs === undefined ? {} : { statsIntervalMs }),
    });
    return () => stop.abort();
  }, [kube, location, statsIntervalMs]);
  return { status, refresh: () => watch.current?.refresh() };
}
