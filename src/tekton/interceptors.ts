/**
 * What Tekton's core interceptors check (pkg/interceptors/{github,gitlab,bitbucket} of Triggers
 * v0.35.0), in their order: the event header against `eventTypes` first, then the proof against the
 * Secret `secretRef` names (its key read in the trigger's namespace). GitHub needs
 * X-Hub-Signature-256, Bitbucket X-Hub-Signature, GitLab X-Gitlab-Token equal to the Secret. Pure.
 */
import { eventHeaderValue, eventsOf, type Provider } from '../webhook/index.ts';
import type { TriggerInterceptor } from './objects.ts';
import type { ListenerTrigger } from './triggers.ts';

/** The providers Triggers ships an interceptor for, which is also that ClusterInterceptor's name. */
export const CHECKED_PROVIDERS = ['github', 'gitlab', 'bitbucket'] as const;
export type CheckedProvider = (typeof CHECKED_PROVIDERS)[number];

export interface SecretLocation {
  namespace: string;
  /** '' when the trigger leaves it out (the interceptor then fails). */
  name: string;
  key: string;
}

/** One core provider interceptor in a trigger's chain, with what it will check. */
export interface ProviderCheck {
  provider: CheckedProvider;
  /** The interceptor's name in the trigger (or its ref's name). */
  label: string;
  secret: SecretLocation | undefined;
  /** undefined: every event type passes. */
  eventTypes: string[] | undefined;
}

/** Any other interceptor: it may refuse what the provider checks let through. */
export interface OtherInterceptor {
  label: string;
  /** For CEL: the filter expression, the likely reason an event goes nowhere. */
  filter: string | undefined;
}

/**
 * A ref without a kind: Triggers' admission webhook defaults it to ClusterInterceptor, so an object
 * stored without one was written where the webhook did not run, and the v0.35 sink then calls no URL
 * at all (it logs `Post "": unsupported protocol scheme ""`).
 */
type Stored = { kindOmitted: boolean };

export type InterceptorCheck =
  ({ type: 'provider' } & ProviderCheck & Stored) | ({ type: 'other' } & OtherInterceptor & Stored);

const paramOf = (interceptor: TriggerInterceptor, name: string): unknown =>
  interceptor.params?.find((param) => param.name === name)?.value;

const isCheckedProvider = (name: string | undefined): name is CheckedProvider =>
  (CHECKED_PROVIDERS as readonly string[]).includes(name ?? '');

/** What one interceptor of the chain checks; a ref without a kind is a ClusterInterceptor, as the webhook defaults it. */
export function interceptorCheck(interceptor: TriggerInterceptor, namespace: string): InterceptorCheck {
  const refName = interceptor.ref?.name;
  const kindOmitted = interceptor.webhook === undefined && !interceptor.ref?.kind;
  const kind = interceptor.ref?.kind || 'ClusterInterceptor';
  const label = interceptor.name ?? refName ?? (interceptor.webhook ? 'webhook' : 'unnamed');
  if (interceptor.webhook === undefined && kind === 'ClusterInterceptor' && isCheckedProvider(refName)) {
    const secretRef = paramOf(interceptor, 'secretRef') as
      { secretName?: unknown; secretKey?: unknown } | undefined;
    const eventTypes = paramOf(interceptor, 'eventTypes');
    return {
      type: 'provider',
      kindOmitted,
      provider: refName,
      label,
      secret: secretRef
        ? {
            namespace,
            name: typeof secretRef.secretName === 'string' ? secretRef.secretName : '',
            key: typeof secretRef.secretKey === 'string' ? secretRef.secretKey : '',
          }
        : undefined,
      eventTypes: Array.isArray(eventTypes) ? eventTypes.map(String) : undefined,
    };
  }
  const filter = refName === 'cel' ? paramOf(interceptor, 'filter') : undefined;
  return { type: 'other', kindOmitted, label, filter: typeof filter === 'string' ? filter : undefined };
}

export const triggerChecks = (trigger: ListenerTrigger): InterceptorCheck[] =>
  trigger.interceptors.map(({ interceptor, namespace }) => interceptorCheck(interceptor, namespace));

/** The first check of `provider` in the trigger's chain. */
export function providerCheckOf(trigger: ListenerTrigger, provider: Provider): ProviderCheck | undefined {
  return triggerChecks(trigger).find(
    (check): check is { type: 'provider' } & ProviderCheck & Stored =>
      check.type === 'provider' && check.provider === provider,
  );
}

/**
 * The event to send to a check: `wanted` when given; else the provider's default (push) when it passes
 * `eventTypes`, else the first sample event that does. undefined: no sample event passes.
 */
export function eventFor(
  provider: Provider,
  eventTypes: string[] | undefined,
  wanted: string | undefined,
): string | undefined {
  if (wanted !== undefined) return wanted;
  const events = eventsOf(provider);
  if (eventTypes === undefined) return events[0];
  return events.find((event) => eventTypes.includes(eventHeaderValue(provider, event) ?? event));
}

/** What a delivery carries that the interceptors look at. */
export interface DeliveryFacts {
  provider: Provider;
  /** The value of the provider's event header (GitLab's "Push Hook"). */
  eventHeader: string | undefined;
  signed: boolean;
  /** How the secret signed with compares with the one in a Secret ('unknown': it could not be read). */
  secretState: (secret: SecretLocation) => SecretState;
}

export type SecretState = 'same' | 'different' | 'missing' | 'unknown';

/** Why an interceptor will drop the delivery, for certain. */
export type Refusal =
  | { reason: 'other-provider'; check: ProviderCheck }
  | { reason: 'event'; check: ProviderCheck; event: string }
  | { reason: 'unsigned'; check: ProviderCheck }
  | { reason: 'secret-ref'; check: ProviderCheck }
  | { reason: 'secret'; check: ProviderCheck; state: 'different' | 'missing' }
  | { reason: 'no-kind'; check: { label: string } };

/** Whether a trigger's interceptors pass the delivery: yes, no (and why), or it depends on others. */
export type Verdict =
  { passes: 'yes' } | { passes: 'no'; refusal: Refusal } | { passes: 'maybe'; others: OtherInterceptor[] };

function refusalOf(check: ProviderCheck, delivery: DeliveryFacts): Refusal | undefined {
  // Another provider's interceptor finds none of its headers: no event type, no signature.
  if (check.provider !== delivery.provider)
    return check.eventTypes !== undefined || check.secret !== undefined
      ? { reason: 'other-provider', check }
      : undefined;
  if (check.eventTypes !== undefined && !check.eventTypes.includes(delivery.eventHeader ?? ''))
    return { reason: 'event', check, event: delivery.eventHeader ?? '' };
  if (check.secret === undefined) return undefined;
  if (check.secret.name === '' || check.secret.key === '') return { reason: 'secret-ref', check };
  if (!delivery.signed) return { reason: 'unsigned', check };
  const state = delivery.secretState(check.secret);
  return state === 'different' || state === 'missing' ? { reason: 'secret', check, state } : undefined;
}

/** What the trigger's interceptor chain will do with the delivery, as far as can be told before sending. */
export function predictTrigger(trigger: ListenerTrigger, delivery: DeliveryFacts): Verdict {
  const others: OtherInterceptor[] = [];
  for (const check of triggerChecks(trigger)) {
    if (check.kindOmitted) return { passes: 'no', refusal: { reason: 'no-kind', check } };
    if (check.type === 'other') {
      others.push(check);
      continue;
    }
    const refusal = refusalOf(check, delivery);
    // A check after an uncertain one may never run, but it refuses all the same if it does.
    if (refusal) return { passes: 'no', refusal };
  }
  return others.length > 0 ? { passes: 'maybe', others } : { passes: 'yes' };
}
