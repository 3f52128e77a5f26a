import { ExitCode, GatewayError } from '../errors.ts';
import { describeMatch, type GatewayRoute } from '../haproxy/routes.ts';
import type { KubeClient } from '../kube/client.ts';
import { explainProxyError, explainTimeout } from '../kube/errors.ts';
import { forwardPodPort } from '../kube/port-forward.ts';
import { labelSelectorOf } from '../kube/resources.ts';
import { isPodReady } from '../kube/rollout.ts';
import { RequestTimeoutError, sendOnce } from '../kube/transport.ts';
import { ProxyError } from '../kube/tunnel.ts';
import { GATEWAY_HTTP_PORT } from '../haproxy/gateway-config.ts';
import type { KubeObject } from '../manifests/types.ts';
import type { Progress } from '../ui/progress.ts';
import {
  buildDelivery,
  type DeliveryDescription,
  deliveryIdOf,
  describeDelivery,
  headersToSend,
  type Provider,
} from '../webhook/index.ts';
import { listDeliveries } from './deliveries.ts';
import { type GatewayLocation, locateGatewayAndSay } from './gateway.ts';
import { readPublicAddress } from './exposure.ts';
import { listGatewayRoutes } from './routes.ts';

export interface DeliveryTestRequest {
  /** The routed path to send to; default: the only path route, else /trigger. */
  path: string | undefined;
  provider: Provider;
  event: string | undefined;
  payload: { bytes: Buffer; name: string } | undefined;
  secret: string | undefined;
  secretFrom: { name: string; key: string | undefined } | undefined;
  url: string | undefined;
  timeoutMs: number;
  /** Called for each line the backend logs while the test watches, stern-style. */
  onLogLine: (pod: string, line: string) => void;
  /** Ctrl-C: stop watching, close the port-forward, leave. */
  interrupt: AbortSignal;
  /** --follow: report the delivery as soon as it is seen, then keep tailing until interrupted. */
  follow: ((result: DeliveryTestResult) => void) | undefined;
}

/** A GitHub sample push to `path`, unsigned, its log lines kept to itself: the status view's `t`. */
export function sampleDeliveryTest(path: string | undefined, timeoutMs: number): DeliveryTestRequest {
  return {
    path,
    provider: 'github',
    event: undefined,
    payload: undefined,
    secret: undefined,
    secretFrom: undefined,
    url: undefined,
    timeoutMs,
    onLogLine: () => undefined,
    interrupt: new AbortController().signal,
    follow: undefined,
  };
}

export interface DeliveryTestResult {
  route: string;
  backend: string;
  via: 'url' | 'ingress' | 'httproute' | 'route' | 'port-forward';
  /** Why a port-forward was used rather than a public address. */
  viaReason?: string;
  url: string;
  delivery: DeliveryDescription;
  status: number;
  latencyMs: number;
  responseBody: string;
  /** What the backend logged that names this delivery. */
  evidence: Array<{ pod: string; line: string }>;
  /**
   * What the gateway itself recorded for it (its delivery log): undefined when it has no record of it,
   * 'not-recording' when its haproxy.cfg writes no delivery log.
   */
  gateway: GatewayRecord | 'not-recording' | undefined;
}

/** The gateway's own record of the test delivery. */
export interface GatewayRecord {
  pod: string;
  /** The route it matched, undefined for none. */
  route: string | undefined;
  status: number;
  /** From accepting the connection to the end of the response; undefined when HAProxy could not tell. */
  totalMs: number | undefined;
  /** HAProxy's termination state, "----" for a request that completed normally. */
  termination: string;
}

interface PodObject extends KubeObject {
  status?: { conditions?: Array<{ type: string; status: string }> };
}
interface ServiceObject extends KubeObject {
  spec?: { selector?: Record<string, string> };
}

const SECRET_KEY = 'secretToken';

function chooseRoute(
  routes: GatewayRoute[],
  path: string | undefined,
  location: GatewayLocation,
): GatewayRoute {
  const paths = routes.filter((route) => route.match.type === 'path');
  const wanted = path ?? (paths.length === 1 ? undefined : '/trigger');
  const route =
    wanted === undefined ? paths[0] : paths.find((candidate) => describeMatch(candidate.match) === wanted);
  if (route) return route;
  const listed = routes.map((candidate) => describeMatch(candidate.match)).join(', ') || 'none';
  throw new GatewayError(
    `no route for ${wanted ?? 'a path'} in the gateway in namespace ${location.namespace}`,
    {
      why: `the routes are: ${listed}`,
      next: [
        'kubectl trigger-gateway route list',
        'name the route to test: kubectl trigger-gateway test /github',
      ],
      exitCode: ExitCode.clusterState,
    },
  );
}

async function readSecret(
  kube: KubeClient,
  request: DeliveryTestRequest,
  namespace: string,
): Promise<string | undefined> {
  if (request.secret !== undefined || !request.secretFrom) return request.secret;
  const { name, key = SECRET_KEY } = request.secretFrom;
  const secret = await kube.read<KubeObject & { data?: Record<string, string> }>({
    apiVersion: 'v1',
    kind: 'Secret',
    name,
    namespace,
  });
  if (!secret) {
    throw new GatewayError(`secret ${name} not found in namespace ${namespace}`, {
      why: "--secret-from reads the webhook secret from a Secret in the backend's namespace",
      next: [`kubectl -n ${namespace} get secrets`],
      exitCode: ExitCode.clusterState,
    });
  }
  const value = secret.data?.[key];
  if (value === undefined) {
    // Key names only: the values are secrets.
    throw new GatewayError(`secret ${namespace}/${name} has no key ${key}`, {
      why: `its keys are: ${Object.keys(secret.data ?? {}).join(', ') || 'none'}`,
      next: [`pass the key: --secret-from ${name}:KEY`],
      exitCode: ExitCode.usage,
    });
  }
  return Buffer.from(value, 'base64').toString('utf8');
}

async function readyBackendPods(kube: KubeClient, route: GatewayRoute): Promise<PodObject[]> {
  const service = route.service;
  if (!service) {
    throw new GatewayError(`the route for ${describeMatch(route.match)} does not point at a Service`, {
      why: `its backend is ${route.address ?? route.backend}; test watches the logs of the Service's pods`,
      next: [
        'route it to a Service: kubectl trigger-gateway route add PATH SERVICE.NAMESPACE:PORT --overwrite',
      ],
      exitCode: ExitCode.clusterState,
    });
  }
  return readyPodsBehind(kube, service, describeMatch(route.match));
}

/** The Ready pods behind a Service, or an error saying why there are none. `what` names the route. */
export async function readyPodsBehind(
  kube: KubeClient,
  service: { name: string; namespace: string },
  what: string,
): Promise<PodObject[]> {
  const found = await kube.read<ServiceObject>({ apiVersion: 'v1', kind: 'Service', ...service });
  if (!found) {
    throw new GatewayError(`the backend Service ${service.name}.${service.namespace} does not exist`, {
      why: `the gateway answers 503 for ${what} until it does`,
      next: [
        `kubectl -n ${service.namespace} get services`,
        'or route to an existing listener: kubectl trigger-gateway route add … --overwrite',
      ],
      exitCode: ExitCode.clusterState,
    });
  }
  const selector = found.spec?.selector ?? {};
  const pods = Object.keys(selector).length
    ? await kube.list<PodObject>('v1', 'Pod', {
        namespace: service.namespace,
        labelSelector: labelSelectorOf(selector),
      })
    : [];
  const ready = pods.filter(isPodReady);
  if (ready.length === 0) {
    throw new GatewayError(`no ready pods behind service ${service.name}.${service.namespace}`, {
      why: pods.length
        ? `${pods.length} pod(s) match its selector, none is Ready`
        : 'no pod matches its selector',
      next: [`kubectl -n ${service.namespace} get pods -l ${labelSelectorOf(selector) || '…'}`],
      exitCode: ExitCode.clusterState,
    });
  }
  return ready;
}

interface Destination {
  via: DeliveryTestResult['via'];
  base: string;
  why?: string;
  /** The port-forward's own reason when the delivery through it failed. */
  failure?: () => Error | undefined;
  close?: () => Promise<void>;
}

/**
 * Where to send: --url, else the public address of the Ingress, HTTPRoute or Route that exposes the
 * gateway, else a port-forward to a gateway pod.
 */
async function target(
  kube: KubeClient,
  location: GatewayLocation,
  request: DeliveryTestRequest,
): Promise<Destination> {
  if (request.url) return { via: 'url', base: request.url.replace(/\/+$/, '') };
  const exposure = await readPublicAddress(kube, location.namespace);
  if (exposure.routable && exposure.url && exposure.kind !== 'none') {
    return { via: exposure.kind, base: exposure.url.replace(/\/+$/, '') };
  }
  const why = exposure.note ?? `${exposure.object} has no address yet`;
  const pods = await kube.list<PodObject>('v1', 'Pod', {
    namespace: location.namespace,
    labelSelector: 'app.kubernetes.io/name=trigger-gateway,app.kubernetes.io/instance=trigger-gateway',
  });
  const pod = pods.find(isPodReady);
  if (!pod) {
    throw new GatewayError(`no ready gateway pod in namespace ${location.namespace} to port-forward to`, {
      why: `${why}, and no gateway pod is Ready`,
      next: [
        `kubectl -n ${location.namespace} get pods`,
        'or pass the public URL: --url https://hooks.example.com',
      ],
      exitCode: ExitCode.clusterState,
    });
  }
  const forwarded = await forwardPodPort(
    kube,
    { name: pod.metadata.name, namespace: location.namespace },
    GATEWAY_HTTP_PORT,
  );
  return {
    via: 'port-forward',
    why,
    base: `http://127.0.0.1:${forwarded.localPort}`,
    failure: forwarded.failure,
    close: forwarded.close,
  };
}

/** The delivery could not be sent: the proxy, no answer within --request-timeout, or the connection. */
function deliveryFailed(error: unknown, url: string): GatewayError {
  if (error instanceof GatewayError) return error;
  const where = `the gateway at ${new URL(url).origin}`;
  if (error instanceof ProxyError) return explainProxyError(error, where);
  if (error instanceof RequestTimeoutError)
    return explainTimeout(error, where, `POST ${new URL(url).pathname} (the test delivery)`, [
      'kubectl trigger-gateway status',
    ]);
  const code = (error as { code?: unknown }).code;
  return new GatewayError(`could not send the delivery to ${url}`, {
    why: `${error instanceof Error ? error.message : String(error)}${typeof code === 'string' ? ` (${code})` : ''}`,
    next: ['kubectl trigger-gateway status', 'or send to another address: --url https://hooks.example.com'],
    exitCode: ExitCode.unreachable,
    cause: error,
  });
}

/** The eventID an EventListener answers with, which its own log lines carry too. */
function eventIdOf(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { eventID?: unknown };
    return typeof parsed.eventID === 'string' ? parsed.eventID : undefined;
  } catch {
    return undefined;
  }
}

// The record is written when the request ends, and reaches the pod's log a moment later.
const RECORD_WAIT_MS = 5000;
const RECORD_POLL_MS = 250;

/** The gateway's record of delivery `id`, waited for a few seconds at most (and never past `deadline`). */
async function gatewayRecordOf(
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

/**
 * Sends a signed sample delivery through the gateway and watches the backend's own log until it
 * shows that delivery: a 2xx alone is no proof, interceptors can still reject the event.
 */
export async function testDelivery(
  kube: KubeClient,
  request: DeliveryTestRequest,
  progress: Progress,
): Promise<DeliveryTestResult> {
  const location = await locateGatewayAndSay(kube, progress);
  const route = chooseRoute(await listGatewayRoutes(kube, location), request.path, location);
  const pods = await readyBackendPods(kube, route);
  const backendNamespace = route.service?.namespace ?? location.namespace;
  const secret = await readSecret(kube, request, backendNamespace);
  const delivery = buildDelivery({
    provider: request.provider,
    event: request.event,
    payload: request.payload?.bytes,
    payloadName: request.payload?.name,
    secret,
  });
  const ids = [deliveryIdOf(delivery)];
  const evidence: DeliveryTestResult['evidence'] = [];
  const watching = new AbortController();
  let sawIt: () => void = () => undefined;
  const seen = new Promise<void>((resolve) => {
    sawIt = resolve;
  });

  let tails: Array<Promise<void>> = [];
  let destination: Destination | undefined;
  try {
    progress.update(`Tailing ${pods.length} backend pod(s) of ${route.service?.name}.${backendNamespace}`);
    const streams = await Promise.all(
      pods.map(async (pod) => ({
        pod: pod.metadata.name,
        lines: await kube.openPodLog(
          { name: pod.metadata.name, namespace: backendNamespace },
          { follow: true, sinceSeconds: 1 },
          watching.signal,
        ),
      })),
    );
    tails = streams.map(async ({ pod, lines }) => {
      try {
        for await (const line of lines) {
          request.onLogLine(pod, line);
          if (ids.some((id) => line.includes(id))) {
            evidence.push({ pod, line });
            sawIt();
          }
        }
      } catch (error) {
        // One pod's stream failing (the pod went away) must not end the test; the others go on.
        progress.warn(
          `the log of pod ${pod} stopped: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    });

    destination = await target(kube, location, request);
    const path = describeMatch(route.match);
    const url = `${destination.base}${path}`;
    progress.update(
      `Sending a ${request.provider} ${delivery.event} delivery to ${url} (${destination.via})`,
    );
    const started = performance.now();
    let response: { status: number; body: string };
    try {
      response = await sendOnce(url, {
        method: 'POST',
        headers: headersToSend(delivery),
        body: delivery.body,
        timeoutMs: kube.target.requestTimeoutMs,
      });
    } catch (error) {
      throw destination.failure?.() ?? deliveryFailed(error, url);
    }
    const responseBody = response.body;
    const latencyMs = Math.round(performance.now() - started);
    const eventId = eventIdOf(responseBody);
    if (eventId) ids.push(eventId);
    // The gateway's own 404 and HAProxy's 502/503/504 mean the delivery never reached a backend: no need to wait.
    const refusedByGateway =
      (response.status === 404 && responseBody.includes('"gateway":"trigger-gateway"')) ||
      [502, 503, 504].includes(response.status);
    const recorded = gatewayRecordOf(kube, location, ids[0] ?? '', Date.now() + request.timeoutMs);
    progress.update(`Waiting for the backend to log delivery ${ids[0]}`);
    const interrupted = new Promise<'interrupted'>((resolve) => {
      if (request.interrupt.aborted) resolve('interrupted');
      request.interrupt.addEventListener('abort', () => resolve('interrupted'), { once: true });
    });
    const outcome = refusedByGateway
      ? 'timeout'
      : await Promise.race([
          seen.then(() => 'seen' as const),
          interrupted,
          new Promise<'timeout'>((resolve) =>
            setTimeout(() => resolve('timeout'), request.timeoutMs).unref(),
          ),
        ]);
    const result: DeliveryTestResult = {
      route: path,
      backend: `${route.service?.name}.${backendNamespace}:${route.service?.port}`,
      via: destination.via,
      ...(destination.why ? { viaReason: destination.why } : {}),
      url,
      delivery: describeDelivery(delivery),
      status: response.status,
      latencyMs,
      responseBody,
      evidence,
      gateway: outcome === 'interrupted' ? undefined : await recorded,
    };
    if (outcome === 'interrupted') throw interruptedError();
    if (outcome === 'timeout') throw notSeen(result, request.timeoutMs);
    if (request.follow) {
      request.follow(result);
      progress.stop();
      await interrupted;
    }
    return result;
  } finally {
    watching.abort();
    await Promise.allSettled(tails);
    await destination?.close?.();
  }
}

/** Where the gateway's own record places a delivery the backend never logged. */
export function placeAtGateway(result: DeliveryTestResult): string {
  const record = result.gateway;
  if (record === 'not-recording')
    return 'the gateway records no deliveries (kubectl trigger-gateway install adds that)';
  if (!record) return `the gateway has no record of it: it never reached the gateway at ${result.url}`;
  const at = `the gateway (pod ${record.pod}) recorded it`;
  if (!record.route) return `${at} with no route matched, answering ${record.status}`;
  if (record.status >= 400)
    return `${at} on ${record.route}, and the backend refused it with ${record.status}`;
  return `${at} on ${record.route}, and the backend took it (${record.status}${record.totalMs === undefined ? '' : ` in ${record.totalMs} ms`})`;
}

function interruptedError(): GatewayError {
  return new GatewayError('interrupted before the backend logged the delivery', {
    why: 'Ctrl-C stopped the wait; the log streams and any port-forward were closed',
    exitCode: ExitCode.interrupted,
  });
}

function notSeen(result: DeliveryTestResult, timeoutMs: number): GatewayError {
  const seconds = timeoutMs / 1000;
  if (result.status === 404) {
    return new GatewayError(`the gateway answered 404 for ${result.route}: it has no route there`, {
      why: result.responseBody.slice(0, 200),
      next: ['kubectl trigger-gateway route list'],
      exitCode: ExitCode.clusterState,
    });
  }
  if ([502, 503, 504].includes(result.status)) {
    return new GatewayError(
      `the gateway answered ${result.status} for ${result.route}: it cannot reach ${result.backend}`,
      {
        why:
          result.status === 504
            ? 'the backend accepted the connection but did not answer in time'
            : 'the backend Service has no endpoint the gateway can resolve, connect to and get an answer from',
        next: [`kubectl get endpoints -n ${result.backend.split('.')[1]?.split(':')[0] ?? ''}`],
        exitCode: ExitCode.clusterState,
      },
    );
  }
  return new GatewayError(
    `the backend did not log delivery ${result.delivery.id} within ${seconds}s (HTTP ${result.status})`,
    {
      why:
        `${placeAtGateway(result)}; ` +
        'nothing the backend logged names it: the listener may not log deliveries, ' +
        'an interceptor may have dropped it, or the route may point at another Service',
      next: [
        'watch longer: --timeout 2m',
        'look at the listener: kubectl logs -l eventlistener=NAME -n NAMESPACE',
      ],
      exitCode: ExitCode.timeout,
    },
  );
}
