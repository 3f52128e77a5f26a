/**
 * The live `status`: the gateway's objects kept current by watches (the API server pushes each
 * change), HAProxy's stats polled every few seconds, and a new GatewayStatus after every change.
 */
import { type InformerSpec, runInformer } from '../kube/informer.ts';
import type { KubeClient } from '../kube/client.ts';
import { isPodReady } from '../kube/rollout.ts';
import type { KubeObject } from '../manifests/types.ts';
import { type EventListenerObject, TRIGGERS_API_VERSION } from '../tekton/objects.ts';
import type { GatewayLocation } from './gateway.ts';
import {
  buildGatewayStatus,
  emptySources,
  gatewayPodSelector,
  noticeFor,
  readExposure,
  readStats,
  routeNamespaces,
  type StatusSources,
} from './status.ts';
import type { GatewayStatus } from './status-model.ts';

export const DEFAULT_STATS_INTERVAL_MS = 5000;

const readyNames = (pods: StatusSources['pods']) =>
  pods
    .filter(isPodReady)
    .map((pod) => pod.metadata.name)
    .sort()
    .join(',');
/** Changes that arrive together (a rollout touches many pods) make one new status, not many. */
const SETTLE_MS = 100;

export interface StatusWatch {
  /** Reads HAProxy's stats now and reports. */
  refresh(): void;
}

export interface StatusWatchOptions {
  signal: AbortSignal;
  statsIntervalMs?: number;
  onStatus: (status: GatewayStatus) => void;
}

export function watchGatewayStatus(
  kube: KubeClient,
  location: GatewayLocation,
  options: StatusWatchOptions,
): StatusWatch {
  const { namespace } = location;
  const { signal } = options;
  const sources = emptySources();
  const frame = { context: kube.target.contextName, server: kube.target.server, location };
  let pending: NodeJS.Timeout | undefined;
  const report = () => {
    if (signal.aborted) return;
    pending ??= setTimeout(() => {
      pending = undefined;
      if (!signal.aborted) options.onStatus(buildGatewayStatus(frame, sources, new Date()));
    }, SETTLE_MS);
  };
  signal.addEventListener('abort', () => clearTimeout(pending), { once: true });

  const inform = <T extends KubeObject>(
    key: string,
    what: string,
    spec: InformerSpec,
    apply: (objects: T[]) => void,
    until: AbortSignal = signal,
  ) =>
    void runInformer<T>(
      kube,
      spec,
      (objects) => {
        sources.notices.delete(key);
        apply(objects);
        report();
      },
      (error) => {
        sources.notices.set(key, noticeFor(what, error));
        report();
      },
      until,
    );

  // EventListeners are watched only where Tekton Triggers serves them: a watch of what is not served fails for ever.
  let listenersServed = false;
  // Services and Endpoints are watched in the namespaces the routes point into, which change with the config.
  const routeWatches = new Map<string, AbortController>();
  const followRoutes = () => {
    const wanted = new Set(routeNamespaces(sources, location));
    for (const [routeNamespace, controller] of routeWatches) {
      if (wanted.has(routeNamespace)) continue;
      controller.abort();
      routeWatches.delete(routeNamespace);
      sources.services.delete(routeNamespace);
      sources.endpoints.delete(routeNamespace);
      sources.listeners.delete(routeNamespace);
    }
    for (const routeNamespace of wanted) {
      if (routeWatches.has(routeNamespace)) continue;
      const controller = new AbortController();
      signal.addEventListener('abort', () => controller.abort(), { once: true });
      routeWatches.set(routeNamespace, controller);
      const what = `watch Services and Endpoints in ${routeNamespace}`;
      inform(
        `services/${routeNamespace}`,
        what,
        { apiVersion: 'v1', kind: 'Service', namespace: routeNamespace },
        (objects) => sources.services.set(routeNamespace, objects),
        controller.signal,
      );
      inform(
        `endpoints/${routeNamespace}`,
        what,
        { apiVersion: 'v1', kind: 'Endpoints', namespace: routeNamespace },
        (objects) => sources.endpoints.set(routeNamespace, objects),
        controller.signal,
      );
      if (listenersServed) {
        inform<EventListenerObject>(
          `listeners/${routeNamespace}`,
          `watch EventListeners in ${routeNamespace}`,
          { apiVersion: TRIGGERS_API_VERSION, kind: 'EventListener', namespace: routeNamespace },
          (objects) => sources.listeners.set(routeNamespace, objects),
          controller.signal,
        );
      }
    }
  };

  const readStatsNow = () =>
    void readStats(kube, sources, namespace).then(report, (error: unknown) => {
      sources.notices.set('stats', noticeFor('read HAProxy stats', error));
      report();
    });
  // HTTPRoutes, Routes and their Gateways may not be served at all: read at each poll, not watched.
  const readExposureNow = () => void readExposure(kube, sources, namespace).then(report);
  const poll = () => {
    readStatsNow();
    readExposureNow();
  };

  const watchConfigMap = () =>
    inform<KubeObject>(
      'configmap',
      `watch configmap/${location.configMap}`,
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        namespace,
        fieldSelector: `metadata.name=${location.configMap}`,
      },
      (objects) => {
        sources.configMap = objects[0];
        followRoutes();
      },
    );
  // Whether EventListeners are served is known before the routes' namespaces are followed.
  void kube.resourceTypeOf(TRIGGERS_API_VERSION, 'EventListener').then(
    (type) => {
      listenersServed = type !== undefined;
      watchConfigMap();
    },
    () => watchConfigMap(),
  );
  inform(
    'ingresses',
    'watch Ingresses',
    { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', namespace },
    (objects) => {
      sources.ingresses = objects;
      readExposureNow();
    },
  );
  inform(
    'events',
    'watch events',
    { apiVersion: 'v1', kind: 'Event', namespace, fieldSelector: 'type=Warning' },
    (objects) => {
      sources.events = objects;
    },
  );
  void gatewayPodSelector(kube, location).then(
    (selector) => {
      if (!selector) {
        sources.notices.set(
          'pods',
          `deployment/${location.deployment} is missing, so its pods cannot be found`,
        );
        report();
        return;
      }
      inform<StatusSources['pods'][number]>(
        'pods',
        'watch the gateway pods',
        { apiVersion: 'v1', kind: 'Pod', namespace, labelSelector: selector },
        (objects) => {
          const readyBefore = readyNames(sources.pods);
          sources.pods = objects;
          // A pod that became ready has stats worth reading at once; the rest waits for the next poll.
          if (readyNames(objects) !== readyBefore) readStatsNow();
        },
      );
    },
    (error: unknown) => {
      sources.notices.set('pods', noticeFor(`read deployment/${location.deployment}`, error));
      report();
    },
  );

  const timer = setInterval(poll, options.statsIntervalMs ?? DEFAULT_STATS_INTERVAL_MS);
  signal.addEventListener('abort', () => clearInterval(timer), { once: true });
  poll();
  return { refresh: poll };
}
