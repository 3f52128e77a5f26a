/**
 * `deliveries`: the gateway's own record of every webhook, read from the gateway pods' logs (one JSON
 * line per request, written by the config's delivery log block), merged across pods, newest first.
 */
import { ExitCode, GatewayError } from '../errors.ts';
import { DELIVERY_LOG_BEGIN, hasDeliveryLog } from '../haproxy/delivery-log-block.ts';
import { type Delivery, parseDeliveryLine } from '../haproxy/delivery-log.ts';
import { type DeliveryFilter, selectDeliveries } from '../haproxy/delivery-query.ts';
import { describeMatch, describeRouteTarget, type GatewayRoute, listRoutes } from '../haproxy/routes.ts';
import type { KubeClient } from '../kube/client.ts';
import { apiStatusOf } from '../kube/errors.ts';
import type { KubeObject } from '../manifests/types.ts';
import type { GatewayLocation } from './gateway.ts';
import { readLiveConfig } from './routes.ts';
import { gatewayPodSelector } from './status.ts';

export interface ListedDelivery extends Delivery {
  /** The gateway pod that recorded it. */
  pod: string;
  /** Where the route sends requests ("el-github.ci:8080"), from the live routes; undefined without a route. */
  target: string | undefined;
}

/** How far back one pod's log reached: what "not found" means. */
export interface PodLogReach {
  pod: string;
  /** Records in the log (within --since). */
  records: number;
  /** The oldest record's time; undefined when the log held none. */
  oldest: string | undefined;
}

export interface DeliveriesRequest {
  filter: DeliveryFilter;
  limit?: number | undefined;
}

export interface DeliveriesResult {
  namespace: string;
  deliveries: ListedDelivery[];
  pods: PodLogReach[];
}

function noDeliveryLog(location: GatewayLocation): GatewayError {
  return new GatewayError(`the gateway in namespace ${location.namespace} does not record deliveries`, {
    why: `its haproxy.cfg (configmap/${location.configMap}) has no "${DELIVERY_LOG_BEGIN}" block, which makes HAProxy write one JSON line per request`,
    next: location.handMade
      ? [
          'copy the delivery log block from manifests/20-configmap.yaml into the frontend that receives the webhooks, right after its bind line',
          `or take the gateway over with kubectl trigger-gateway install -n ${location.namespace}`,
        ]
      : [
          `kubectl trigger-gateway install -n ${location.namespace} (adds the block; routes and hand edits are kept)`,
        ],
    exitCode: ExitCode.clusterState,
  });
}

/** One pod's records within `sinceSeconds`, in log order. */
async function readPodDeliveries(
  kube: KubeClient,
  pod: { name: string; namespace: string },
  sinceSeconds: number | undefined,
): Promise<Delivery[]> {
  let lines: AsyncIterable<string>;
  try {
    lines = await kube.openPodLog(
      pod,
      { follow: false, ...(sinceSeconds === undefined ? {} : { sinceSeconds }) },
      new AbortController().signal,
    );
  } catch (error) {
    // A pod that went away (a rollout's old one) between the list and the read has no records left.
    if (apiStatusOf(error)?.code === 404) return [];
    throw error;
  }
  const deliveries: Delivery[] = [];
  for await (const line of lines) {
    const delivery = parseDeliveryLine(line);
    if (delivery) deliveries.push(delivery);
  }
  return deliveries;
}

/** The gateway's routes by HAProxy backend name, from its config; fails when deliveries are not recorded. */
export function routesOf(cfg: string, location: GatewayLocation): Map<string, GatewayRoute> {
  if (!hasDeliveryLog(cfg)) throw noDeliveryLog(location);
  return new Map(listRoutes(cfg, { namespace: location.namespace }).map((route) => [route.backend, route]));
}

export async function readGatewayRoutes(
  kube: KubeClient,
  location: GatewayLocation,
): Promise<Map<string, GatewayRoute>> {
  return routesOf(await readLiveConfig(kube, location), location);
}

/** A pod's record with its route as `route list` shows it and where the live route sends requests. */
export function listedDelivery(
  delivery: Delivery,
  pod: string,
  routes: ReadonlyMap<string, GatewayRoute>,
): ListedDelivery {
  const route = routes.get(delivery.backend);
  return {
    ...delivery,
    route: route ? describeMatch(route.match) : delivery.route,
    pod,
    target: route ? describeRouteTarget(route) : undefined,
  };
}

export function noGatewayPods(location: GatewayLocation, selector: string | undefined): GatewayError {
  return new GatewayError(`no gateway pods in namespace ${location.namespace} to read deliveries from`, {
    why: `deployment/${location.deployment} has no pods${selector ? '' : ' (or does not exist)'}; the records live in the pods' logs`,
    next: [`kubectl -n ${location.namespace} get deployment ${location.deployment}`],
    exitCode: ExitCode.clusterState,
  });
}

export async function listDeliveries(
  kube: KubeClient,
  location: GatewayLocation,
  request: DeliveriesRequest,
): Promise<DeliveriesResult> {
  const { namespace } = location;
  const routes = await readGatewayRoutes(kube, location);

  const selector = await gatewayPodSelector(kube, location);
  const pods = selector
    ? await kube.list<KubeObject>('v1', 'Pod', { namespace, labelSelector: selector })
    : [];
  if (pods.length === 0) throw noGatewayPods(location, selector);
  const sinceMs = request.filter.sinceMs;
  const sinceSeconds = sinceMs === undefined ? undefined : Math.max(1, (Date.now() - sinceMs) / 1000);
  const perPod = await Promise.all(
    pods.map(async (pod) => {
      const name = pod.metadata.name;
      const deliveries = await readPodDeliveries(kube, { name, namespace }, sinceSeconds);
      return deliveries.map((delivery) => listedDelivery(delivery, name, routes));
    }),
  );
  return {
    namespace,
    deliveries: selectDeliveries(perPod, request.filter, request.limit),
    pods: pods.map((pod, index) => {
      const records = perPod[index] ?? [];
      return { pod: pod.metadata.name, records: records.length, oldest: records[0]?.time };
    }),
  };
}

/** With --id, nothing found is an answer: how far back each pod's log reached. */
export function deliveryNotFound(id: string, result: DeliveriesResult): GatewayError {
  const reach = result.pods.map((pod) =>
    pod.oldest
      ? `${pod.pod}: ${pod.records} records back to ${pod.oldest}`
      : `${pod.pod}: no records in its log`,
  );
  return new GatewayError(`no delivery ${id} in the gateway's records`, {
    why: `the gateway pods' logs were searched: ${reach.join('; ')}. Older deliveries, and those on pods that were replaced since, are no longer there`,
    next: [
      "check the ID in the provider's webhook settings (Recent Deliveries)",
      `list what is recorded: kubectl trigger-gateway deliveries -n ${result.namespace}`,
    ],
    exitCode: ExitCode.clusterState,
  });
}
