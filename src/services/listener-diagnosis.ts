/**
 * Why an EventListener created nothing for a delivery it answered 202 to, from what `test` knows
 * (each trigger's interceptors against what was sent, the secrets compared without showing them) and
 * what the listener logged about the event; and how to make the listener say so itself. Pure.
 */
import { ExitCode, GatewayError } from '../errors.ts';
import type { Refusal, Verdict } from '../tekton/interceptors.ts';
import type { ListenerTrigger } from '../tekton/triggers.ts';
import { eventHeaderValue, eventsOf } from '../webhook/index.ts';
import type { ListenerPlan, SecretChoice } from './listener-plan.ts';

const PROVIDER_NAMES: Record<string, string> = { github: 'GitHub', gitlab: 'GitLab', bitbucket: 'Bitbucket' };
const providerName = (provider: string) => PROVIDER_NAMES[provider] ?? provider;

const secretSource = (secret: SecretChoice): string =>
  secret.source === 'secret-from' && secret.from
    ? `--secret-from ${secret.from.name}:${secret.from.key}`
    : secret.source === 'secret'
      ? '--secret'
      : secret.source === 'hook'
        ? "the hook's own secret"
        : 'the secret';

/** One refusal, in a sentence. */
function refusalText(trigger: ListenerTrigger, refusal: Refusal, plan: ListenerPlan): string {
  if (refusal.reason === 'no-kind')
    return `trigger ${trigger.name}'s ${refusal.check.label} interceptor has a ref without kind, which Triggers' admission webhook would have set: the listener calls no interceptor for it and drops every event (it logs Post "": unsupported protocol scheme)`;
  const { check } = refusal;
  const interceptor = `trigger ${trigger.name}'s ${check.label} interceptor`;
  const secretAt = check.secret
    ? `secret ${check.secret.namespace}/${check.secret.name} (key ${check.secret.key})`
    : '';
  switch (refusal.reason) {
    case 'other-provider':
      return `no ${providerName(plan.provider)} delivery passes ${interceptor}: it checks ${providerName(check.provider)} deliveries`;
    case 'event':
      return `${interceptor} accepts the event types ${check.eventTypes?.join(', ')}, not "${refusal.event}"`;
    case 'unsigned':
      return `${interceptor} wants a signature made with ${secretAt}, and the delivery was not signed`;
    case 'secret-ref':
      return `${interceptor} has a secretRef without secretName or secretKey, so it refuses every delivery`;
    case 'secret':
      return refusal.state === 'missing'
        ? `${secretAt}, which ${interceptor} reads, does not exist`
        : `the secret the delivery was signed with (${secretSource(plan.secret)}) differs from the one in ${secretAt}, which ${interceptor} reads`;
  }
}

function verdictText(trigger: ListenerTrigger, verdict: Verdict, plan: ListenerPlan): string {
  if (verdict.passes === 'no') return refusalText(trigger, verdict.refusal, plan);
  if (verdict.passes === 'maybe') {
    const others = verdict.others
      .map((other) => (other.filter ? `${other.label} (CEL filter: ${other.filter})` : other.label))
      .join(', ');
    return `trigger ${trigger.name} passed the provider checks; its interceptor ${others} may have dropped it`;
  }
  return `trigger ${trigger.name}'s interceptors let it through: the listener may have failed to create its resources (its ServiceAccount's permissions, a binding or template that does not resolve)`;
}

/** What the predictions say, for the warning before sending: undefined when some trigger may take it. */
export function refusedByAll(plan: ListenerPlan): string | undefined {
  if (plan.triggers.length === 0) return `eventlistener ${listenerName(plan)} has no triggers`;
  if (plan.verdicts.some(({ verdict }) => verdict.passes !== 'no')) return undefined;
  return plan.verdicts.map(({ trigger, verdict }) => verdictText(trigger, verdict, plan)).join('; ');
}

const listenerName = (plan: ListenerPlan) =>
  `${plan.listener.metadata.namespace ?? ''}/${plan.listener.metadata.name}`;

/** What the sink logs (at debug level) when an interceptor drops an event, before the interceptor's reason. */
const INTERCEPTOR_STOPPED = 'interceptor stopped trigger processing';

/** The listener's own account of the event, from the lines of its log that carry the event's ID. */
export function listenerReasons(lines: string[]): string[] {
  return lines.flatMap((line) => {
    try {
      const entry = JSON.parse(line) as Record<string, unknown>;
      const severity = String(entry.severity ?? entry.level ?? '');
      const message = String(entry.message ?? entry.msg ?? '');
      // At debug level the listener also logs the whole event; only the interceptor's verdict is a reason.
      const reason =
        ['error', 'warn', 'warning'].includes(severity) || message.startsWith(INTERCEPTOR_STOPPED);
      if (!reason) return [];
      const trigger = typeof entry['/trigger'] === 'string' ? `trigger ${entry['/trigger']}: ` : '';
      return [`${trigger}${message.slice(0, 300)}`];
    } catch {
      return [];
    }
  });
}

/** The fix for the most likely cause, when there is one. */
function fixes(plan: ListenerPlan): string[] {
  const refusals = plan.verdicts.flatMap(({ verdict }) => (verdict.passes === 'no' ? [verdict.refusal] : []));
  const steps: string[] = [];
  const secret = refusals.find(
    (refusal): refusal is Extract<Refusal, { reason: 'secret' }> =>
      refusal.reason === 'secret' && refusal.state === 'different',
  );
  if (secret?.check.secret) {
    const at = secret.check.secret;
    steps.push(
      `sign with the interceptor's own secret: leave out ${secretSource(plan.secret)} (test reads secret ${at.namespace}/${at.name} itself)`,
    );
  }
  const event = refusals.find((refusal) => refusal.reason === 'event');
  if (event) {
    const accepted = eventsOf(plan.provider).find((name) =>
      event.check.eventTypes?.includes(eventHeaderValue(plan.provider, name) ?? name),
    );
    if (accepted) steps.push(`send an event it accepts: --event ${accepted}`);
  }
  const other = refusals.find((refusal) => refusal.reason === 'other-provider');
  if (other) steps.push(`send what it checks: --provider ${other.check.provider}`);
  if (refusals.some((refusal) => refusal.reason === 'no-kind'))
    steps.push(
      "write kind: ClusterInterceptor in the interceptor's ref (or install Triggers' admission webhook, which defaults it)",
    );
  return steps;
}

/** How to make the listener log why its interceptors dropped an event (they do so at debug level only). */
export function debugLoggingSteps(plan: ListenerPlan): string[] {
  const { name, namespace = '' } = plan.listener.metadata;
  return [
    `make the listener log its reason: set "level": "debug" in zap-logger-config: kubectl -n ${plan.triggersNamespace} edit configmap config-logging-triggers (Triggers v0.35 passes no loglevel.eventlistener to listeners)`,
    `have the controller roll el-${name} with it: kubectl -n ${namespace} annotate eventlistener ${name} trigger-gateway.dev/logging=debug --overwrite`,
    'then test again: it shows the "interceptor stopped trigger processing" line (at debug level the listener also logs every header it receives, a GitLab token included)',
  ];
}

export interface UnseenEvent {
  plan: ListenerPlan;
  status: number;
  eventId: string | undefined;
  timeoutMs: number;
  /** Lines the listener logged that name the event. */
  lines: string[];
  /** Why some of the created kinds could not be watched. */
  problems: string[];
}

/** Nothing was created for the event within --timeout: what can be seen, the likely cause, what to do. */
export function nothingCreated(unseen: UnseenEvent): GatewayError {
  const { plan } = unseen;
  const reasons = listenerReasons(unseen.lines);
  const predictions = plan.triggers.length
    ? plan.verdicts.map(({ trigger, verdict }) => verdictText(trigger, verdict, plan))
    : [`the listener has no triggers`];
  const dropped = plan.verdicts.length > 0 && plan.verdicts.every(({ verdict }) => verdict.passes === 'no');
  const why = [
    `the listener accepted the event (HTTP ${unseen.status})${dropped ? ' and its interceptors dropped it' : ''}: ${predictions.join('; ')}`,
    ...(reasons.length > 0 ? [`the listener logged: ${reasons.join('; ')}`] : []),
    ...plan.missing.map((missing) => `${missing} does not exist`),
    ...unseen.problems,
  ].join('; ');
  return new GatewayError(
    `eventlistener ${listenerName(plan)} created nothing for event ${unseen.eventId ?? '(no eventID in its answer)'} within ${unseen.timeoutMs / 1000}s`,
    {
      why,
      next: [
        ...fixes(plan),
        ...(reasons.some((reason) => reason.includes(INTERCEPTOR_STOPPED)) ? [] : debugLoggingSteps(plan)),
        'watch longer: --timeout 2m',
      ],
      exitCode: ExitCode.timeout,
    },
  );
}
