/**
 * `deliveries --follow`: the gateway pods' records as they are written, stern-style. A pod watch
 * opens a log stream for each gateway pod that runs and closes it when the pod is gone, so a rollout's
 * new pods are followed too; a ConfigMap watch keeps the routes (and so each row's backend) current.
 * Nothing is kept per delivery: each record is parsed, filtered, handed on and dropped.
 */
import { parseDeliveryLine } from '../haproxy/delivery-log.ts';
import { type DeliveryFilter, matchesFilter } from '../haproxy/delivery-query.ts';
import type { GatewayRoute } from '../haproxy/routes.ts';
import type { KubeClient } from '../kube/client.ts';
import { runInformer } from '../kube/informer.ts';
import type { ConfigMapObject } from '../kube/read-modify-write.ts';
import type { KubeObject } from '../manifests/types.ts';
import {
  type ListedDelivery,
  listedDelivery,
  noGatewayPods,
  readGatewayRoutes,
  routesOf,
} from './deliveries.ts';
import type { GatewayLocation } from './gateway.ts';
import { currentConfig } from './routes.ts';
import { gatewayPodSelector } from './status.ts';

export interface FollowDeliveriesRequest {
  filter: DeliveryFilter;
  /** Each matching record as it is written; the pod's next line is read once this resolves. */
  onDelivery: (delivery: ListedDelivery) => void | Promise<void>;
  /** A pod's log is followed from now on (+), or no longer (-). */
  onPod: (change: '+' | '-', pod: string) => void;
  /** A watch or log stream failed; watches are retried, a pod's stream is opened again on its next change. */
  onError: (error: unknown) => void;
  /** Ctrl-C: every stream and watch is closed before followDeliveries resolves. */
  signal: AbortSignal;
  /**
   * Records each pod running at the start had already written, read first: at most this many log lines
   * a pod (default 0: only what is new). Pods that start later are read from their beginning either way.
   */
  history?: number;
}

interface PodObject extends KubeObject {
  metadata: KubeObject['metadata'] & { uid?: string };
  status?: {
    containerStatuses?: Array<{ restartCount?: number; state?: { running?: unknown } }>;
  };
}

/** Which container run a stream reads: a restarted container starts a new log. */
function runOf(pod: PodObject): string | undefined {
  const statuses = pod.status?.containerStatuses ?? [];
  if (!statuses.some((status) => status.state?.running)) return undefined;
  return `${pod.metadata.uid ?? ''}/${statuses.map((status) => status.restartCount ?? 0).join(',')}`;
}

export async function followDeliveries(
  kube: KubeClient,
  location: GatewayLocation,
  request: FollowDeliveriesRequest,
): Promise<void> {
  const { namespace } = location;
  let routes: ReadonlyMap<string, GatewayRoute> = await readGatewayRoutes(kube, location);
  const selector = await gatewayPodSelector(kube, location);
  if (!selector) throw noGatewayPods(location, selector);

  const streams = new Map<string, { stop: AbortController; done: Promise<void> }>();
  /** The container run each pod's stream was last opened for; one entry per live pod. */
  const opened = new Map<string, string>();
  let firstList = true;

  const follow = async (name: string, fromNow: boolean, stop: AbortController) => {
    let open = false;
    try {
      const lines = await kube.openPodLog(
        { name, namespace },
        { follow: true, ...(fromNow ? { tailLines: request.history ?? 0 } : {}) },
        stop.signal,
      );
      open = true;
      request.onPod('+', name);
      for await (const line of lines) {
        const record = parseDeliveryLine(line);
        if (!record) continue;
        const delivery = listedDelivery(record, name, routes);
        if (matchesFilter(delivery, request.filter)) await request.onDelivery(delivery);
      }
    } catch (error) {
      if (!stop.signal.aborted) {
        request.onError(error);
        // Not open: let the pod's next change try again.
        if (!open) opened.delete(name);
      }
    } finally {
      if (streams.get(name)?.stop === stop) streams.delete(name);
      if (open) request.onPod('-', name);
    }
  };

  const onPods = (pods: PodObject[]) => {
    const live = new Set(pods.map((pod) => pod.metadata.name));
    for (const [name, stream] of streams) if (!live.has(name)) stream.stop.abort();
    for (const name of opened.keys()) if (!live.has(name)) opened.delete(name);
    for (const pod of pods) {
      const name = pod.metadata.name;
      const run = runOf(pod);
      if (!run || opened.get(name) === run) continue;
      // What the pods running now wrote before is history (deliveries without --follow); anything newer is new.
      const fromNow = firstList && !opened.has(name);
      opened.set(name, run);
      streams.get(name)?.stop.abort();
      const stop = new AbortController();
      streams.set(name, { stop, done: follow(name, fromNow, stop) });
    }
    firstList = false;
  };

  const onConfigMaps = (configMaps: ConfigMapObject[]) => {
    const configMap = configMaps[0];
    if (!configMap) return;
    try {
      routes = routesOf(currentConfig(configMap, location), location);
    } catch {
      // A config without the delivery log block records nothing new; the last routes stay.
    }
  };

  await Promise.all([
    runInformer<PodObject>(
      kube,
      { apiVersion: 'v1', kind: 'Pod', namespace, labelSelector: selector },
      onPods,
      request.onError,
      request.signal,
    ),
    runInformer<ConfigMapObject>(
      kube,
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        namespace,
        fieldSelector: `metadata.name=${location.configMap}`,
      },
      onConfigMaps,
      request.onError,
      request.signal,
    ),
  ]);
  for (const stream of streams.values()) stream.stop.abort();
  await Promise.all([...streams.values()].map((stream) => stream.done));
}
