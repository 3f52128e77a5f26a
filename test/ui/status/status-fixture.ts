/** Gateway readings for the status screen's tests: a small healthy one and one far bigger than a terminal. */
import type {
  GatewayStatus,
  PodStatus,
  RouteStatus,
  WarningEvent,
} from '../../../src/services/status-model.ts';
import type { ListedDelivery } from '../../../src/services/deliveries.ts';

/** Every test measures ages from this moment. */
export const NOW = Date.parse('2025-06-01T12:00:00Z');

const ago = (seconds: number) => new Date(NOW - seconds * 1000).toISOString();

export function pod(overrides: Partial<PodStatus> = {}): PodStatus {
  return {
    name: 'trigger-gateway-5d9c7f8b6-abcde',
    phase: 'Running',
    ready: true,
    readyContainers: '1/1',
    restarts: 0,
    createdAt: ago(2 * 3600),
    currentConfig: true,
    ...overrides,
  };
}

export function route(overrides: Partial<RouteStatus> = {}): RouteStatus {
  return {
    match: '/github',
    backendName: 'be_github',
    backend: 'el-github.ci:8080',
    service: { name: 'el-github', namespace: 'ci', port: 8080 },
    origin: 'tool',
    serviceExists: true,
    readyEndpoints: 2,
    stats: {
      status: 'UP',
      sessions: 0,
      requests: 42,
      http2xx: 40,
      http4xx: 1,
      http5xx: 1,
      lastRequestSeconds: 45,
    },
    ...overrides,
  };
}

export function warning(overrides: Partial<WarningEvent> = {}): WarningEvent {
  return {
    object: 'pod/trigger-gateway-5d9c7f8b6-abcde',
    reason: 'BackOff',
    message: 'Back-off restarting failed container haproxy',
    count: 3,
    lastSeen: ago(180),
    ...overrides,
  };
}

export function gatewayStatus(overrides: Partial<GatewayStatus> = {}): GatewayStatus {
  return {
    context: 'kind-dev',
    workspace: undefined,
    namespace: 'trigger-gateway',
    publicUrl: 'https://hooks.example.com/',
    exposure: {
      kind: 'ingress',
      object: 'ingress.networking.k8s.io/trigger-gateway',
      url: 'https://hooks.example.com/',
      routable: true,
    },
    haproxyVersion: '2.6.12-1+deb12u1',
    pods: [pod(), pod({ name: 'trigger-gateway-5d9c7f8b6-fghij', createdAt: ago(4 * 86_400) })],
    routes: [
      route(),
      route({
        match: '/gitlab',
        backendName: 'be_gitlab',
        backend: 'el-gitlab.ci:8080',
        service: { name: 'el-gitlab', namespace: 'ci', port: 8080 },
        serviceExists: false,
        readyEndpoints: undefined,
        stats: {
          ...route().stats!,
          status: 'DOWN',
          requests: 0,
          http2xx: 0,
          http4xx: 0,
          http5xx: 0,
          lastRequestSeconds: undefined,
        },
      }),
    ],
    events: [],
    notices: [],
    observedAt: ago(3),
    ...overrides,
  };
}

const LONG = 'a-very-long-name-that-no-terminal-column-was-ever-meant-to-hold';

/** 100 routes, long names, many events and notices: far more than 80×24 holds. */
export function crowdedStatus(): GatewayStatus {
  return gatewayStatus({
    workspace: `root:${LONG}:${LONG}`,
    publicUrl: `https://${LONG}.${LONG}.example.com/`,
    pods: [
      pod({ name: `trigger-gateway-${LONG}`, currentConfig: false }),
      pod({ ready: false, readyContainers: '0/1', restarts: 12, problem: `CrashLoopBackOff ${LONG}` }),
      pod({ currentConfig: undefined }),
      pod(),
      pod(),
    ],
    routes: Array.from({ length: 100 }, (_, index) =>
      route({
        match: `/hook-${index}/${LONG}`,
        backendName: `be_${index}`,
        backend: `el-${LONG}-${index}.ci:8080`,
        stats: { ...route().stats!, requests: 123_456_789, http2xx: 99_999, http5xx: 12_345 },
      }),
    ),
    events: Array.from({ length: 30 }, (_, index) =>
      warning({
        object: `pod/${LONG}-${index}`,
        message: `line one ${LONG}\nline two ${index}`,
        lastSeen: ago(index * 60),
      }),
    ),
    notices: [
      'stats unavailable: not allowed to get pods/proxy',
      'no Ingress API on this cluster',
      `not allowed to list events ${LONG}`,
    ],
  });
}

/** A delivery the gateway recorded `secondsAgo` before NOW, to the route with backend `be_github`. */
export function delivery(secondsAgo: number, overrides: Partial<ListedDelivery> = {}): ListedDelivery {
  const timeMs = NOW - secondsAgo * 1000;
  return {
    time: new Date(timeMs).toISOString(),
    timeMs,
    route: '/github',
    backend: 'be_github',
    method: 'POST',
    path: '/github',
    status: 202,
    bytesIn: 7000,
    bytesOut: 120,
    timings: { request: 0, queue: 0, connect: 1, response: 11, active: 12, total: 12 },
    termination: '----',
    client: '140.82.115.1',
    peer: '10.244.0.7',
    provider: 'github',
    event: 'push',
    deliveryId: `gh-${secondsAgo}`,
    hookId: '4211',
    requestId: undefined,
    cut: [],
    pod: 'trigger-gateway-5d9c7f8b6-abcde',
    target: 'el-github.ci:8080',
    ...overrides,
  };
}

/** The crowded gateway with every third route an EventListener, half of them not Ready. */
export function crowdedWithListeners(): GatewayStatus {
  const status = crowdedStatus();
  return {
    ...status,
    routes: status.routes.map((route, index) =>
      index % 3 === 0
        ? {
            ...route,
            listener: {
              name: `el-${index}`,
              namespace: 'ci',
              ready: index % 2 ? 'True' : 'False',
              message: LONG,
            },
          }
        : route,
    ),
  };
}
