/**
 * `test`: one delivery through the gateway, proven by what the backend did with it.
 */
import { ExitCode, GatewayError } from '../errors.ts';
import { describeMatch, type GatewayRoute } from '../haproxy/routes.ts';
import type { KubeClient } from '../kube/client.ts';
import { sendOnce } from '../kube/transport.ts';
import type { CreatedObject } from '../tekton/created.ts';
import { eventIdOf } from '../tekton/objects.ts';
import type { Progress } from '../ui/progress.ts';
import {
  buildDelivery,
  type DeliveryDescription,
  deliveryIdOf,
  describeDelivery,
  headersToSend,
  proofRedactor,
  type Provider,
} from '../webhook/index.ts';
import { readyBackendPods } from './backend-pods.ts';
import { type GatewayLocation, locateGatewayAndSay } from './gateway.ts';
import { type GatewayRecord, gatewayRecordOf, placeAtGateway } from './gateway-record.ts';
import { watchCreated } from './listener-created.ts';
import { type ListenerReport, listenerReport, prepareListenerTest } from './listener-delivery.ts';
import { nothingCreated } from './listener-diagnosis.ts';
import type { ListenerPlan } from './listener-plan.ts';
import { listGatewayRoutes } from './routes.ts';
import { type Destination, deliveryFailed, target, type TrustedCa } from './test-destination.ts';
import { requireSecretKey, SECRET_KEY, secretFromReader } from './webhook-secret.ts';

export { placeAtGateway, type GatewayRecord };

export interface DeliveryTestRequest {
  /** The routed path to send to; default: the only path route, else /trigger. */
  path: string | undefined;
  /** undefined: the provider an EventListener's interceptors check, else GitHub. */
  provider: Provider | undefined;
  event: string | undefined;
  payload: { bytes: Buffer; name: string } | undefined;
  secret: string | undefined;
  secretFrom: { name: string; key: string | undefined } | undefined;
  url: string | undefined;
  /** --certificate-authority: the CAs to trust for an https:// gateway, instead of the system's. */
  certificateAuthority: TrustedCa | undefined;
  timeoutMs: number;
  /** Called for each line the backend logs while the test watches, stern-style. */
  onLogLine: (pod: string, line: string) => void;
  /** Ctrl-C: stop watching, close the port-forward, leave. */
  interrupt: AbortSignal;
  /** --follow: report the delivery as soon as it is seen, then keep tailing until interrupted. */
  follow: ((result: DeliveryTestResult) => void) | undefined;
}

/** A sample push to `path` (signed as an EventListener's interceptor wants it), its log lines kept to itself: the status view's `t`. */
export function sampleDeliveryTest(path: string | undefined, timeoutMs: number): DeliveryTestRequest {
  return {
    path,
    provider: undefined,
    event: undefined,
    payload: undefined,
    secret: undefined,
    secretFrom: undefined,
    url: undefined,
    certificateAuthority: undefined,
    timeoutMs,
    onLogLine: () => undefined,
    interrupt: new AbortController().signal,
    follow: undefined,
  };
}

export interface DeliveryTestResult {
  route: string;
  backend: string;
  via: Destination['via'];
  /** Why a port-forward was used rather than a public address, or why it went to `address`. */
  viaReason?: string;
  url: string;
  /** The address connected to in place of the URL's host name (which Host and TLS still carried). */
  address?: string;
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
  /** When the backend is an EventListener: the trigger, Secret and event used, and what it created. */
  listener?: ListenerReport;
}

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

/** --secret, or --secret-from read in the backend's namespace; none: unsigned. */
async function readSecret(
  kube: KubeClient,
  request: DeliveryTestRequest,
  namespace: string,
): Promise<string | undefined> {
  if (request.secret !== undefined || !request.secretFrom) return request.secret;
  const { name, key = SECRET_KEY } = request.secretFrom;
  return requireSecretKey(kube, { namespace, name, key }, secretFromReader(name));
}

// Lines kept to look for the eventID in once the answer names it: the listener may log before it answers.
const RECENT_LINES = 500;

/**
 * Sends a signed sample delivery through the gateway and proves the backend acted on it: for an
 * EventListener, by what it created for the event; for any other backend, by its own log naming the
 * delivery. A 2xx alone is no proof: interceptors can still drop the event after answering.
 */
export async function testDelivery(
  kube: KubeClient,
  request: DeliveryTestRequest,
  progress: Progress,
): Promise<DeliveryTestResult> {
  const location = await locateGatewayAndSay(kube, progress);
  const route = chooseRoute(await listGatewayRoutes(kube, location), request.path, location);
  const backendNamespace = route.service?.namespace ?? location.namespace;
  const { name: secretName, key: secretKey = SECRET_KEY } = request.secretFrom ?? { name: '' };
  const listener = route.service
    ? await prepareListenerTest(
        kube,
        route.service,
        {
          provider: request.provider,
          event: request.event,
          secret: request.secret,
          secretFrom: secretName
            ? { namespace: backendNamespace, name: secretName, key: secretKey }
            : undefined,
        },
        progress,
      )
    : undefined;
  // After the listener's own checks: a listener that is not Ready says why better than its missing pods.
  const pods = await readyBackendPods(kube, route);
  const secret = listener ? listener.secret.value : await readSecret(kube, request, backendNamespace);
  const delivery = buildDelivery({
    provider: listener?.provider ?? request.provider ?? 'github',
    event: listener?.event ?? request.event,
    payload: request.payload?.bytes,
    payloadName: request.payload?.name,
    secret,
  });
  // A listener at debug level logs every header it receives: the proof must not reach the terminal.
  const redact = proofRedactor(delivery, secret);
  const ids = [deliveryIdOf(delivery)];
  const evidence: DeliveryTestResult['evidence'] = [];
  const recent: DeliveryTestResult['evidence'] = [];
  const watching = new AbortController();
  let sawIt: () => void = () => undefined;
  const seen = new Promise<void>((resolve) => {
    sawIt = resolve;
  });
  const names = (line: string) => ids.some((id) => line.includes(id));

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
        for await (const raw of lines) {
          const entry = { pod, line: redact(raw) };
          request.onLogLine(pod, entry.line);
          recent.push(entry);
          if (recent.length > RECENT_LINES) recent.shift();
          if (names(entry.line)) {
            evidence.push(entry);
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

    destination = await target(kube, location, request.url);
    const path = describeMatch(route.match);
    const url = `${destination.base}${path}`;
    progress.update(
      `Sending a ${delivery.provider} ${delivery.event} delivery to ${url}${destination.connectTo ? ` at ${destination.connectTo}` : ''} (${destination.via})`,
    );
    const started = performance.now();
    let response: { status: number; body: string };
    try {
      response = await sendOnce(
        url,
        {
          method: 'POST',
          headers: headersToSend(delivery),
          body: delivery.body,
          timeoutMs: kube.target.requestTimeoutMs,
        },
        { ca: request.certificateAuthority?.pem, connectTo: destination.connectTo },
      );
    } catch (error) {
      throw (
        destination.failure?.() ??
        (await deliveryFailed(error, url, destination, request.certificateAuthority))
      );
    }
    const responseBody = response.body;
    const latencyMs = Math.round(performance.now() - started);
    const eventId = eventIdOf(responseBody);
    if (eventId) {
      ids.push(eventId);
      for (const entry of recent)
        if (entry.line.includes(eventId) && !evidence.includes(entry)) evidence.push(entry);
    }
    // A 404 (the gateway's own, or one from in front of it) and 502/503/504 mean the delivery never
    // reached a backend that took it: no need to wait; the gateway's record says where it stopped.
    const notTaken = [404, 502, 503, 504].includes(response.status);
    const recorded = gatewayRecordOf(kube, location, ids[0] ?? '', Date.now() + request.timeoutMs);
    const created =
      listener && eventId && !notTaken
        ? watchCreated(kube, listener.created, eventId, watching.signal)
        : undefined;
    let createdObjects: CreatedObject[] = [];
    const proof = created
      ? created.found.then((objects) => {
          createdObjects = objects;
          return 'seen' as const;
        })
      : seen.then(() => 'seen' as const);
    progress.update(
      created
        ? `Waiting for eventlistener ${listener?.listener.metadata.name} to create something for event ${eventId}`
        : `Waiting for the backend to log delivery ${ids[0]}`,
    );
    const interrupted = new Promise<'interrupted'>((resolve) => {
      if (request.interrupt.aborted) resolve('interrupted');
      request.interrupt.addEventListener('abort', () => resolve('interrupted'), { once: true });
    });
    const outcome =
      notTaken || (listener && !created)
        ? 'timeout'
        : await Promise.race([
            proof,
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
      ...(destination.connectTo ? { address: destination.connectTo } : {}),
      delivery: describeDelivery(delivery),
      status: response.status,
      latencyMs,
      responseBody,
      evidence,
      gateway: outcome === 'interrupted' ? undefined : await recorded,
      ...(listener ? { listener: listenerReport(listener, eventId, createdObjects) } : {}),
    };
    if (outcome === 'interrupted') throw interruptedError();
    if (outcome === 'timeout') throw notSeen(result, request.timeoutMs, listener, created?.problems ?? []);
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

function interruptedError(): GatewayError {
  return new GatewayError('interrupted before the backend logged the delivery', {
    why: 'Ctrl-C stopped the wait; the log streams and any port-forward were closed',
    exitCode: ExitCode.interrupted,
  });
}

/** What the gateway writes in the bodies of its own refusals. */
const GATEWAY_BODY = '"gateway":"trigger-gateway"';

/**
 * An answer from in front of the gateway (an ingress controller's 404 or 503): the gateway has no
 * record of the delivery, and the body is not its own. Undefined when the gateway answered.
 */
function answeredInFront(result: DeliveryTestResult): GatewayError | undefined {
  if (
    result.gateway !== undefined ||
    result.via === 'port-forward' ||
    result.responseBody.includes(GATEWAY_BODY)
  )
    return undefined;
  const front = result.via === 'url' ? 'the server at the URL given' : `the ${result.via}'s controller`;
  return new GatewayError(
    `${new URL(result.url).host} answered ${result.status} for ${result.route}, before the gateway`,
    {
      why: `the gateway has no record of the delivery: ${front} did not pass it on; an ingress controller may take a few seconds after install to route a new Ingress or HTTPRoute to ready pods`,
      next: ['run the test again in a few seconds', 'kubectl trigger-gateway status'],
      exitCode: ExitCode.clusterState,
    },
  );
}

/** A 404 the gateway saw: its own (no route there), or the backend's. */
function notFound(result: DeliveryTestResult): GatewayError {
  const record = result.gateway;
  if (record !== undefined && record !== 'not-recording' && record.route) {
    return new GatewayError(`the backend answered 404 for ${result.route}`, {
      why: `${placeAtGateway(result)}: ${result.backend} does not serve the path it was sent (route add --strip-prefix sends it without ${result.route})`,
      next: ['kubectl trigger-gateway route list'],
      exitCode: ExitCode.clusterState,
    });
  }
  return new GatewayError(`the gateway answered 404 for ${result.route}: it has no route there`, {
    why: result.responseBody.slice(0, 200),
    next: ['kubectl trigger-gateway route list'],
    exitCode: ExitCode.clusterState,
  });
}

function notSeen(
  result: DeliveryTestResult,
  timeoutMs: number,
  listener: ListenerPlan | undefined,
  problems: string[],
): GatewayError {
  const seconds = timeoutMs / 1000;
  const inFront = [404, 502, 503, 504].includes(result.status) ? answeredInFront(result) : undefined;
  if (inFront) return inFront;
  if (result.status === 404) return notFound(result);
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
  if (listener) {
    const { name, namespace = '' } = listener.listener.metadata;
    const eventId = result.listener?.eventId;
    if (eventId === undefined) {
      return new GatewayError(
        `eventlistener ${namespace}/${name} answered HTTP ${result.status} without an eventID: it did not take the delivery`,
        {
          why: result.responseBody.trim().slice(0, 300) || 'an empty answer',
          next: [`kubectl -n ${namespace} logs -l eventlistener=${name}`],
          exitCode: ExitCode.clusterState,
        },
      );
    }
    const lines = result.evidence.filter((entry) => entry.line.includes(eventId)).map((entry) => entry.line);
    return nothingCreated({ plan: listener, status: result.status, eventId, timeoutMs, lines, problems });
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
