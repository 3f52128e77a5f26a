/**
 * `webhook test`: the provider sends the hook a real push, signed with the hook's own secret, and the
 * delivery is followed: its ID from the provider's API where it names it (GitHub's hook deliveries,
 * GitLab's hook events), else the gateway's first new record of the provider on the route (Gitea's API
 * names none); the gateway's record of it; and for an EventListener, what it created for the event,
 * found by the eventID of its answer where the provider kept it, else by the first object the listener
 * created after the request.
 */
import { ExitCode, GatewayError } from '../errors.ts';
import { FORGE_NAMES, ForgeError, type ForgeHook, type SentDelivery } from '../forge/index.ts';
import { hookUrlFor } from '../forge/hook-url.ts';
import { describeMatch } from '../haproxy/routes.ts';
import type { KubeClient } from '../kube/client.ts';
import type { CreatedObject } from '../tekton/created.ts';
import { INTERCEPTOR_OF } from '../tekton/hook-needs.ts';
import { eventIdOf } from '../tekton/objects.ts';
import type { Progress } from '../ui/progress.ts';
import { listDeliveries } from './deliveries.ts';
import { explainForgeError, forgeCall } from './forge-errors.ts';
import { type GatewayRecord, gatewayRecordOf, placeAtGateway } from './gateway-record.ts';
import { listenerObjectsNow, watchCreated, watchNewEvent } from './listener-created.ts';
import { nothingCreated, refusedByAll } from './listener-diagnosis.ts';
import {
  checkCreatedKinds,
  listenerBehindRoute,
  type ListenerPlan,
  planListenerDelivery,
} from './listener-plan.ts';
import { hooksFor } from './webhooks.ts';
import {
  type ForgeAccess,
  resolveWebhookTarget,
  routeFor,
  type WebhookTarget,
  type WebhookTargetRequest,
} from './webhook-target.ts';

export interface WebhookTestRequest extends WebhookTargetRequest {
  path: string;
  timeoutMs: number;
  /** Ctrl-C: stop waiting and leave. */
  interrupt: AbortSignal;
}

export interface WebhookTestResult {
  provider: WebhookTarget['provider'];
  repository: string;
  url: string;
  route: string;
  backend: string | undefined;
  hook: string;
  delivery: {
    /** Its delivery header's value (X-GitHub-Delivery, X-Gitlab-Event-UUID, X-Gitea-Delivery). */
    id: string | undefined;
    /** provider: its API named the delivery; gateway: the gateway's first new record of the provider on the route. */
    foundBy: 'provider' | 'gateway';
    /** The receiver's status, as the provider recorded it. */
    status: number | undefined;
  };
  gateway: GatewayRecord | 'not-recording' | undefined;
  /** When the route's backend is an EventListener: the event and what the listener created for it. */
  listener?: {
    name: string;
    namespace: string;
    /** The trigger and interceptor that check the provider's deliveries. */
    trigger: string | undefined;
    interceptor: string | undefined;
    eventId: string | undefined;
    /** answer: the eventID of the listener's answer, as the provider kept it; created: its first new object's. */
    eventIdFrom: 'answer' | 'created' | undefined;
    created: CreatedObject[];
  };
  token: string;
}

const POLL_MS = 1000;
/** A test push, as each provider's record names its event (GitHub push, GitLab push_hooks). */
const PUSH_EVENTS = ['push', 'push_hooks'];

/** Calls `look` until it finds something, the deadline passes or the user interrupts. */
async function pollFor<T>(
  look: () => Promise<T | undefined>,
  deadline: number,
  interrupt: AbortSignal,
): Promise<T | undefined> {
  for (;;) {
    if (interrupt.aborted) throw interruptedError();
    const found = await look();
    if (found !== undefined) return found;
    if (Date.now() + POLL_MS > deadline) return undefined;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(done, POLL_MS);
      interrupt.addEventListener('abort', done, { once: true });
    });
  }
}

function interruptedError(): GatewayError {
  return new GatewayError('interrupted before the delivery was followed to its end', {
    why: 'Ctrl-C stopped the wait; the provider may still deliver it',
    exitCode: ExitCode.interrupted,
  });
}

/** GitHub and Gitea test a hook with a push, and send nothing to a hook that is not subscribed to push. */
function requirePush(target: WebhookTarget, hook: ForgeHook, path: string): void {
  if (target.provider === 'gitlab' || hook.events.includes('push') || hook.events.includes('*')) return;
  const name = FORGE_NAMES[target.provider];
  throw new GatewayError(`webhook ${hook.id} of ${target.repository} is not subscribed to push`, {
    why: `${name} tests a webhook with a push only, and sends nothing to one without it (its events: ${hook.events.join(', ') || 'none'})`,
    next: [
      `kubectl trigger-gateway webhook add ${path} --repo ${target.repository} --provider ${target.provider} --events push,${hook.events.join(',')}`,
    ],
    exitCode: ExitCode.clusterState,
  });
}

/** The listener's plan for a push the provider signs, and what it has created so far; undefined for any other backend. */
async function prepareListener(
  kube: KubeClient,
  target: WebhookTarget,
  service: { name: string; namespace: string },
  progress: Progress,
): Promise<{ plan: ListenerPlan; known: Set<string> } | undefined> {
  const listener = await listenerBehindRoute(kube, service, progress);
  if (!listener) return undefined;
  const plan = await planListenerDelivery(kube, listener, {
    provider: INTERCEPTOR_OF[target.provider],
    event: 'push',
    secret: undefined,
    secretFrom: undefined,
    signedByHook: true,
  });
  await checkCreatedKinds(kube, plan.created);
  const refused = refusedByAll(plan);
  if (refused)
    progress.warn(`no trigger will take the test push: ${refused}; asking for it to show what happens`);
  return { plan, known: await listenerObjectsNow(kube, plan.created, listener.metadata.name) };
}

/** How to find the delivery the request makes: by the provider's records, or by the gateway's. */
interface DeliveryFinder {
  foundBy: WebhookTestResult['delivery']['foundBy'];
  find: () => Promise<SentDelivery | undefined>;
}

async function deliveryFinder(
  kube: KubeClient,
  target: WebhookTarget,
  hook: ForgeHook,
  route: string,
): Promise<DeliveryFinder> {
  const context = target.context;
  const recent = () =>
    forgeCall(context, "reading the hook's deliveries", () => target.api.recentDeliveries(target.repo, hook));
  const before = await recent();
  if (before) {
    const known = new Set(before.map((delivery) => delivery.key));
    return {
      foundBy: 'provider',
      // Newest first: the oldest new push is the request's (a real push at that moment could pass for it).
      find: async () => {
        const fresh = ((await recent()) ?? []).filter((delivery) => !known.has(delivery.key));
        return fresh.filter((delivery) => PUSH_EVENTS.includes(delivery.event)).at(-1) ?? fresh.at(-1);
      },
    };
  }
  // The provider names no delivery: the gateway's first new record of it on the route is the one.
  const sinceMs = Date.now() - 10 * 60_000;
  const filter = { route, provider: target.provider, sinceMs };
  const records = async () => (await listDeliveries(kube, target.location, { filter })).deliveries;
  const known = new Set((await records()).map((record) => record.deliveryId));
  return {
    foundBy: 'gateway',
    find: async () => {
      const fresh = (await records()).filter((record) => !known.has(record.deliveryId)).at(-1);
      return (
        fresh && {
          key: fresh.deliveryId ?? '',
          id: fresh.deliveryId,
          event: fresh.event ?? '',
          status: fresh.status,
        }
      );
    },
  };
}

/** Gitea's test push is the default branch's newest commit: a repository without one gets a 404. */
function emptyRepository(target: WebhookTarget, error: ForgeError): GatewayError {
  return new GatewayError(`Gitea sends no test push for ${target.repository}: it has no commit yet`, {
    why: `Gitea tests a webhook with the newest commit of the default branch (${error.status} ${error.providerMessage})`,
    next: ['push a commit to the repository, then test again'],
    exitCode: ExitCode.clusterState,
    cause: error,
  });
}

function noDelivery(
  target: WebhookTarget,
  url: string,
  finder: DeliveryFinder,
  timeoutMs: number,
): GatewayError {
  const name = FORGE_NAMES[target.provider];
  const why =
    finder.foundBy === 'provider'
      ? `${name}'s record of the hook shows no delivery since the request`
      : `the gateway recorded no ${name} delivery on its route since the request (${name}'s API names none, so the gateway's record is where it shows)`;
  return new GatewayError(`${name} made no delivery to ${url} within ${timeoutMs / 1000}s`, {
    why: `${why}. ${
      target.provider === 'gitea'
        ? 'Gitea refuses to send to a private address its [webhook] ALLOWED_HOST_LIST does not admit, and its delivery queue may be behind'
        : `${name} may not reach the gateway at ${url}`
    }`,
    next: [
      'wait longer: --timeout 2m',
      `kubectl trigger-gateway webhook list --repo ${target.repository} --provider ${target.provider}`,
      'kubectl trigger-gateway deliveries',
    ],
    exitCode: ExitCode.timeout,
  });
}

/** The eventID, and what the listener created for it, within the deadline. */
async function followListener(
  kube: KubeClient,
  prepared: { plan: ListenerPlan; known: Set<string> },
  answer: string | undefined,
  deadline: number,
  interrupt: AbortSignal,
): Promise<{
  eventId: string | undefined;
  from: 'answer' | 'created' | undefined;
  created: CreatedObject[];
  problems: string[];
}> {
  const watching = new AbortController();
  const stop = () => watching.abort();
  interrupt.addEventListener('abort', stop, { once: true });
  const timeout = new Promise<undefined>((resolve) =>
    setTimeout(() => resolve(undefined), Math.max(deadline - Date.now(), 0)).unref(),
  );
  const interrupted = new Promise<undefined>((resolve) =>
    interrupt.addEventListener('abort', () => resolve(undefined), { once: true }),
  );
  try {
    const { plan, known } = prepared;
    let eventId = answer === undefined ? undefined : eventIdOf(answer);
    const from = eventId ? ('answer' as const) : ('created' as const);
    const problems: string[] = [];
    if (!eventId) {
      const found = watchNewEvent(kube, plan.created, plan.listener.metadata.name, known, watching.signal);
      problems.push(...found.problems);
      eventId = await Promise.race([found.eventId, timeout, interrupted]);
    }
    if (interrupt.aborted) throw interruptedError();
    if (!eventId) return { eventId: undefined, from: undefined, created: [], problems };
    const created = watchCreated(kube, plan.created, eventId, watching.signal);
    const objects = (await Promise.race([created.found, timeout, interrupted])) ?? [];
    if (interrupt.aborted) throw interruptedError();
    return { eventId, from, created: objects, problems: [...problems, ...created.problems] };
  } finally {
    interrupt.removeEventListener('abort', stop);
    watching.abort();
  }
}

export async function testWebhook(
  kube: KubeClient,
  request: WebhookTestRequest,
  progress: Progress,
  access: ForgeAccess = {},
): Promise<WebhookTestResult> {
  const target = await resolveWebhookTarget(kube, request, progress, access);
  const route = routeFor(target, request.path);
  const path = describeMatch(route.match);
  const url = hookUrlFor(target.base, request.path);
  const name = FORGE_NAMES[target.provider];
  const [hook] = await hooksFor(target, url);
  if (!hook) throw new Error('unreachable: hooksFor returns at least one hook');
  requirePush(target, hook, request.path);
  const listener = route.service ? await prepareListener(kube, target, route.service, progress) : undefined;
  const finder = await deliveryFinder(kube, target, hook, path);
  const deadline = Date.now() + request.timeoutMs;

  progress.update(`Asking ${name} to send webhook ${hook.id} a test push`);
  let refusal: string | undefined;
  try {
    await target.api.testHook(target.repo, hook);
  } catch (error) {
    if (
      error instanceof ForgeError &&
      target.provider === 'gitea' &&
      /repository is empty/i.test(error.providerMessage)
    )
      throw emptyRepository(target, error);
    // GitLab answers 422 when it sent the push and the receiver did not take it: follow it all the same.
    if (!(error instanceof ForgeError && target.provider === 'gitlab' && error.status === 422))
      throw explainForgeError(error, { ...target.context, hookUrl: url }, 'asking for a test delivery');
    refusal = error.providerMessage;
  }

  progress.update(`Waiting for ${name}'s delivery to ${url}`);
  const delivery = await pollFor(finder.find, deadline, request.interrupt);
  if (!delivery) throw noDelivery(target, url, finder, request.timeoutMs);
  const gateway = delivery.id
    ? await gatewayRecordOf(kube, target.location, delivery.id, deadline)
    : undefined;
  const result: WebhookTestResult = {
    provider: target.provider,
    repository: target.repository,
    url,
    route: path,
    backend: route.service
      ? `${route.service.name}.${route.service.namespace}:${route.service.port}`
      : route.address,
    hook: hook.id,
    delivery: { id: delivery.id, foundBy: finder.foundBy, status: delivery.status },
    gateway,
    token: target.context.tokenSource,
  };
  if (!listener) return provedByGateway(result, refusal);

  const { plan } = listener;
  progress.update(`Waiting for eventlistener ${plan.listener.metadata.name} to create something for it`);
  const answer =
    finder.foundBy === 'provider'
      ? await forgeCall(target.context, "reading the listener's answer", () =>
          target.api.deliveryResponse(target.repo, hook, delivery),
        )
      : undefined;
  const followed = await followListener(kube, listener, answer, deadline, request.interrupt);
  result.listener = {
    name: plan.listener.metadata.name,
    namespace: plan.listener.metadata.namespace ?? '',
    trigger: plan.chosen?.trigger.name,
    interceptor: plan.chosen?.check.label,
    eventId: followed.eventId,
    eventIdFrom: followed.from,
    created: followed.created,
  };
  if (followed.created.length > 0) return result;
  throw listenerTookNothing(result, plan, followed.problems, request);
}

/** For a backend that is no listener: the gateway's record (or the provider's) of a 2xx is the proof. */
function provedByGateway(result: WebhookTestResult, refusal: string | undefined): WebhookTestResult {
  const record = result.gateway;
  const status = typeof record === 'object' ? record.status : result.delivery.status;
  if (status !== undefined && status >= 200 && status < 300) return result;
  throw new GatewayError(
    `${FORGE_NAMES[result.provider]}'s test push to ${result.url} was not taken${status === undefined ? '' : ` (HTTP ${status})`}`,
    {
      why: [
        typeof record === 'object' || record === 'not-recording'
          ? placeAtGateway(result)
          : `the gateway has no record of delivery ${result.delivery.id ?? ''}`,
        ...(refusal ? [`${FORGE_NAMES[result.provider]} said: ${refusal}`] : []),
      ].join('; '),
      next: [
        `kubectl trigger-gateway deliveries --route ${result.route}`,
        'kubectl trigger-gateway route list',
      ],
      exitCode: ExitCode.clusterState,
    },
  );
}

function listenerTookNothing(
  result: WebhookTestResult,
  plan: ListenerPlan,
  problems: string[],
  request: WebhookTestRequest,
): GatewayError {
  const found = result.listener?.eventId;
  const diagnosis = nothingCreated({
    plan,
    status: typeof result.gateway === 'object' ? result.gateway.status : (result.delivery.status ?? 0),
    eventId: found,
    timeoutMs: request.timeoutMs,
    lines: [],
    problems,
  });
  const secret = plan.secret.from;
  // The hook's secret never shows: a different one is the likeliest reason nothing starts.
  const again = `register the listener's secret again: kubectl trigger-gateway webhook add ${result.route} --repo ${result.repository} --provider ${result.provider}`;
  return new GatewayError(diagnosis.message, {
    why: [
      diagnosis.why,
      found === undefined
        ? `${FORGE_NAMES[result.provider]} keeps no record of the listener's answer, and the listener created nothing after the request`
        : undefined,
      secret
        ? `the hook's secret is not shown by ${FORGE_NAMES[result.provider]}: if it differs from the one in secret ${secret.namespace}/${secret.name}, the interceptor drops every delivery`
        : undefined,
    ]
      .filter(Boolean)
      .join('; '),
    next: [...(secret ? [again] : []), ...diagnosis.next],
    exitCode: diagnosis.exitCode,
  });
}
