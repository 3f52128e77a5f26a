/** What the gateway itself recorded about the test delivery (its delivery log), and what that tells. */
import { GatewayError } from '../errors.ts';
import type { KubeClient } from '../kube/client.ts';
import { listDeliveries } from './deliveries.ts';
import type { GatewayLocation } from './gateway.ts';

/** The gateway's own record of the test delivery. */
export interface GatewayRecord {
  pod: string;
  /** The route it matched, undefined for none. */
  route: string | undefined;
  status: number;
  /**
   * From the request's first byte to the end of the response (%Ta), undefined when HAProxy could not
   * tell: not from the accept, which on a connection kept alive by a proxy in front is long before.
   */
  activeMs: number | undefined;
  /**
   * From accepting the connection to the end of the response (%Tt): kept in -o json for scripts
   * written before activeMs, though on a kept-alive connection it includes the idle time before.
   */
  totalMs: number | undefined;
  /** HAProxy's termination state, "----" for a request that completed normally. */
  termination: string;
}

// The record is written when the request ends, and reaches the pod's log a moment later.
const RECORD_WAIT_MS = 5000;
const RECORD_POLL_MS = 250;

/** The gateway's record of delivery `id`, waited for a few seconds at most (and never past `deadline`). */
export async function gatewayRecordOf(
  kube: KubeClient,
  location: GatewayLocation,
  id: string,
  deadline: number,
): Promise<GatewayRecord | 'not-recording' | undefined> {
  const until = Math.min(deadline, Date.now() + RECORD_WAIT_MS);
  for (;;) {
    try {
      const found = (await listDeliveries(kube, location, { filter: { id } })).deliveries[0];
      if (found) {
        return {
          pod: found.pod,
          route: found.route,
          status: found.status,
          activeMs: found.timings.active,
          totalMs: found.timings.total,
          termination: found.termination,
        };
      }
    } catch (error) {
      // A gateway without the delivery log cannot say; any other failure leaves the record unknown.
      if (error instanceof GatewayError && error.message.includes('does not record deliveries'))
        return 'not-recording';
      return undefined;
    }
    if (Date.now() + RECORD_POLL_MS > until) return undefined;
    await new Promise((resolve) => setTimeout(resolve, RECORD_POLL_MS).unref());
  }
}

/** Where the gateway's own record places a delivery the backend never logged. */
export function placeAtGateway(result: {
  gateway: GatewayRecord | 'not-recording' | undefined;
  url: string;
}): string {
  const record = result.gateway;
  if (record === 'not-recording')
    return 'the gateway records no deliveries (kubectl trigger-gateway install adds that)';
  if (!record) return `the gateway has no record of it: it never reached the gateway at ${result.url}`;
  const at = `the gateway (pod ${record.pod}) recorded it`;
  if (!record.route) return `${at} with no route matched, answering ${record.status}`;
  if (record.status >= 400)
    return `${at} on ${record.route}, and the backend refused it with ${record.status}`;
  return `${at} on ${record.route}, and the backend took it (${record.status}${record.activeMs === undefined ? '' : ` in ${record.activeMs} ms`})`;
}
