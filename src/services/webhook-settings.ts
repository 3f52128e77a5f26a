/**
 * What a webhook registers besides its URL: the events and the secret. --events and --secret-from
 * decide when given; else, for a route to an EventListener, what its triggers' provider interceptor
 * accepts (eventTypes, in the provider's hook events) and the Secret it checks (secretRef); else the
 * provider's push and no secret.
 */
import { randomBytes } from 'node:crypto';
import { ExitCode, GatewayError } from '../errors.ts';
import {
  DEFAULT_EVENTS,
  FORGE_NAMES,
  type ForgeProvider,
  hookEventsFor,
  parseEvents,
} from '../forge/index.ts';
import type { KubeClient } from '../kube/client.ts';
import type { KubeObject } from '../manifests/types.ts';
import { type HookNeeds, hookNeeds, sameLocation } from '../tekton/hook-needs.ts';
import type { SecretLocation } from '../tekton/interceptors.ts';
import type { Progress } from '../ui/progress.ts';
import { listenerBehindRoute, readListenerTriggers } from './listener-plan.ts';
import { MANAGED_BY_US } from './objects.ts';
import { readSecretKey, SECRET_KEY } from './webhook-secret.ts';

export interface SecretSource {
  name: string;
  key?: string | undefined;
}

export interface WebhookSettingsRequest {
  provider: ForgeProvider;
  /** --events, comma-separated. */
  events: string | undefined;
  secretFrom: SecretSource | undefined;
  /** The repository, recorded on a Secret made for it. */
  repository: string;
  /** What the EventListener behind the route checks; undefined when no listener is behind it. */
  listener: HookNeeds | undefined;
}

export interface WebhookSecret {
  value: string;
  /** Read from an existing Secret, or generated (and to be created). */
  from: 'secret' | 'generated';
  /** Who named the Secret: --secret-from, or the listener's interceptor (its secretRef). */
  namedBy: 'flag' | 'listener';
  namespace: string;
  name: string;
  key: string;
  /** The Secret to create before registering, when generated. */
  create?: KubeObject;
}

export interface WebhookSettings {
  events: string[];
  eventsFrom: 'flag' | 'listener' | 'default';
  /** undefined: no secret (none is set on a new hook, an existing hook's is kept). */
  secret: WebhookSecret | undefined;
  /** What the user should know about how they were chosen. */
  notes: string[];
}

/** 32 random bytes as hex, as `openssl rand -hex 32` makes them. */
export const generateSecret = () => randomBytes(32).toString('hex');

/**
 * What the EventListener behind a route's Service checks of `provider`'s deliveries; undefined for any
 * other Service (or when EventListeners may not be read: then the flags and defaults decide).
 */
export async function listenerHookNeeds(
  kube: KubeClient,
  service: { name: string; namespace: string },
  provider: ForgeProvider,
  progress: Progress,
): Promise<HookNeeds | undefined> {
  const listener = await listenerBehindRoute(kube, service, progress);
  if (!listener) return undefined;
  const { triggers } = await readListenerTriggers(kube, listener);
  return hookNeeds(listener, triggers, provider);
}

/** The listener's interceptors, for messages: "trigger github-push's verify-github interceptor". */
export function checkersOf(needs: HookNeeds): string {
  const named = needs.checks.map((check) => `trigger ${check.trigger}'s ${check.interceptor} interceptor`);
  return `${named.join(', ')} (eventlistener ${needs.listener.namespace}/${needs.listener.name})`;
}

async function readOrPlanSecret(
  kube: KubeClient,
  at: SecretLocation,
  namedBy: WebhookSecret['namedBy'],
  repository: string,
): Promise<WebhookSecret> {
  const read = await readSecretKey(kube, at);
  if (read.found === 'forbidden') throw read.error;
  if (read.found === 'no-key') {
    // Key names only: the values are secrets.
    throw new GatewayError(`secret ${at.namespace}/${at.name} has no key ${at.key}`, {
      why: `its keys are: ${read.keys.join(', ') || 'none'}${namedBy === 'listener' ? `; the listener's interceptor reads ${at.key}` : ''}`,
      next:
        namedBy === 'flag'
          ? [`name the key: --secret-from ${at.name}:KEY`]
          : [
              `add it: kubectl -n ${at.namespace} patch secret ${at.name} --type merge -p '{"stringData":{"${at.key}":"<the webhook secret>"}}'`,
            ],
      exitCode: namedBy === 'flag' ? ExitCode.usage : ExitCode.clusterState,
    });
  }
  const found = { namedBy, namespace: at.namespace, name: at.name, key: at.key };
  if (read.found === 'value') return { value: read.value, from: 'secret', ...found };
  const value = generateSecret();
  return {
    value,
    from: 'generated',
    ...found,
    create: {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: at.name,
        namespace: at.namespace,
        labels: { 'app.kubernetes.io/created-by': MANAGED_BY_US },
        annotations: { 'trigger-gateway.dev/webhook-for': repository },
      },
      type: 'Opaque',
      data: { [at.key]: Buffer.from(value).toString('base64') },
    },
  };
}

/** The provider's hook events for what the listener accepts, or an error when it accepts none of them. */
function listenerEvents(
  provider: ForgeProvider,
  needs: HookNeeds,
  eventTypes: string[],
  notes: string[],
): string[] {
  const { events, unmatched } = hookEventsFor(provider, eventTypes);
  const name = FORGE_NAMES[provider];
  if (events.length === 0) {
    throw new GatewayError(
      `${checkersOf(needs)} accepts the event types ${eventTypes.join(', ')}, none of which ${name} sends`,
      {
        why: `a ${name} hook can only be registered for ${name}'s own events`,
        next: ['name the events yourself: --events push', 'or check the provider: --provider'],
        exitCode: ExitCode.clusterState,
      },
    );
  }
  if (unmatched.length > 0)
    notes.push(`the listener also accepts ${unmatched.join(', ')}, which ${name} never sends`);
  return events;
}

/** The events and secret of the webhook for a route whose backend lives in `namespace`. */
export async function webhookSettings(
  kube: KubeClient,
  namespace: string,
  request: WebhookSettingsRequest,
): Promise<WebhookSettings> {
  const { provider, listener } = request;
  const notes: string[] = [];
  let events: string[];
  let eventsFrom: WebhookSettings['eventsFrom'];
  if (request.events !== undefined) {
    events = parseEvents(provider, request.events);
    eventsFrom = 'flag';
  } else if (listener?.eventTypes !== undefined) {
    events = listenerEvents(provider, listener, listener.eventTypes, notes);
    eventsFrom = 'listener';
  } else {
    events = [...DEFAULT_EVENTS[provider]];
    eventsFrom = 'default';
    if (listener?.checks.length)
      notes.push(`${checkersOf(listener)} accepts every event type: registering ${events.join(', ')}`);
  }

  let secret: WebhookSecret | undefined;
  if (request.secretFrom) {
    const { name, key = SECRET_KEY } = request.secretFrom;
    const at = { namespace, name, key };
    secret = await readOrPlanSecret(kube, at, 'flag', request.repository);
    const checked = listener?.secrets ?? [];
    if (checked.length > 0 && !checked.some((other) => sameLocation(other, at)))
      notes.push(
        `${checkersOf(listener as HookNeeds)} reads secret ${checked.map((other) => `${other.namespace}/${other.name} (key ${other.key})`).join(', ')}: it refuses the hook's deliveries unless that holds the same value as ${namespace}/${name}`,
      );
  } else if (listener && listener.secrets.length > 1) {
    const listed = listener.secrets.map((at) => `${at.namespace}/${at.name} (key ${at.key})`).join(', ');
    throw new GatewayError(`${checkersOf(listener)} check deliveries against different Secrets`, {
      why: `a hook has one secret, and they read ${listed}`,
      next: listener.secrets.map((at) => `choose one: --secret-from ${at.name}:${at.key}`),
      exitCode: ExitCode.clusterState,
    });
  } else if (listener?.secrets[0]) {
    secret = await readOrPlanSecret(kube, listener.secrets[0], 'listener', request.repository);
  }
  return { events, eventsFrom, secret, notes };
}
