/**
 * A Service's ready endpoints as kube-proxy reads them: from the EndpointSlices that the real
 * endpointslice controller writes (label kubernetes.io/service-name), the port matched by name.
 */
import type { ServiceEndpoints } from '../../support/control-plane/data-plane/proxy.ts';
import type { Store } from '../../support/control-plane/store.ts';
import type { KubeObject } from '../../support/control-plane/types.ts';

interface EndpointSlice extends KubeObject {
  addressType?: string;
  endpoints?: Array<{ addresses?: string[]; conditions?: { ready?: boolean; terminating?: boolean } }>;
  ports?: Array<{ name?: string; port?: number; protocol?: string }>;
}

export const ENDPOINT_SLICES = 'endpointslices';

function slicesOf(store: Store, svc: KubeObject): EndpointSlice[] {
  return store
    .list(ENDPOINT_SLICES, svc.metadata.namespace)
    .filter((slice) => slice.metadata.labels?.['kubernetes.io/service-name'] === svc.metadata.name)
    .map((slice) => slice as EndpointSlice)
    .filter((slice) => slice.addressType === 'IPv4');
}

const readyAddresses = (slice: EndpointSlice) =>
  (slice.endpoints ?? [])
    .filter((e) => e.conditions?.ready !== false && e.conditions?.terminating !== true)
    .flatMap((e) => e.addresses ?? []);

export function endpointSliceEndpoints(store: Store): ServiceEndpoints {
  return {
    addresses: (svc) => [...new Set(slicesOf(store, svc).flatMap(readyAddresses))],
    targets: (svc, servicePort) =>
      slicesOf(store, svc).flatMap((slice) => {
        const port = (slice.ports ?? []).find(
          (p) => (p.name ?? '') === (servicePort.name ?? '') && (p.protocol ?? 'TCP') === 'TCP',
        )?.port;
        return port === undefined ? [] : readyAddresses(slice).map((ip) => ({ ip, port }));
      }),
  };
}
