/**
 * The EventListener side of `test`: before sending, the plan (which trigger, Secret and event) and a
 * warning when no trigger will take the delivery; afterwards, the report of what was created for it.
 */
import type { KubeClient } from '../kube/client.ts';
import type { CreatedObject } from '../tekton/created.ts';
import type { SecretLocation } from '../tekton/interceptors.ts';
import type { Progress } from '../ui/progress.ts';
import type { Provider } from '../webhook/index.ts';
import { refusedByAll } from './listener-diagnosis.ts';
import {
  checkCreatedKinds,
  type ListenerPlan,
  listenerBehindRoute,
  planListenerDelivery,
  type SecretChoice,
} from './listener-plan.ts';

/** What `test` did to satisfy the listener, and what the listener created for the delivery. */
export interface ListenerReport {
  name: string;
  namespace: string;
  /** The trigger whose provider interceptor decided the secret and the event; none when no trigger checks the provider. */
  trigger: string | undefined;
  interceptor: string | undefined;
  /** Where the secret came from, by name only. */
  secret: { source: SecretChoice['source']; namespace?: string; name?: string; key?: string };
  event: string;
  /** The event types that interceptor accepts; undefined: all. */
  eventTypes: string[] | undefined;
  /** The eventID of the listener's answer, which labels what it creates. */
  eventId: string | undefined;
  created: CreatedObject[];
}

export interface ListenerTestRequest {
  provider: Provider | undefined;
  event: string | undefined;
  secret: string | undefined;
  secretFrom: SecretLocation | undefined;
}

/**
 * The plan for a route whose Service an EventListener created; undefined for any other Service (or
 * when EventListeners may not be read: then test proves the delivery from the logs, as for any backend).
 */
export async function prepareListenerTest(
  kube: KubeClient,
  service: { name: string; namespace: string },
  request: ListenerTestRequest,
  progress: Progress,
): Promise<ListenerPlan | undefined> {
  const listener = await listenerBehindRoute(kube, service, progress);
  if (!listener) return undefined;
  const plan = await planListenerDelivery(kube, listener, request);
  await checkCreatedKinds(kube, plan.created);
  progress.update(describePlan(plan));
  const refused = refusedByAll(plan);
  if (refused)
    progress.warn(
      `no trigger will take this delivery: ${refused}; sending it to show what the listener does`,
    );
  return plan;
}

function describePlan(plan: ListenerPlan): string {
  const { name, namespace = '' } = plan.listener.metadata;
  const secret = plan.secret.from
    ? `secret ${plan.secret.from.name}`
    : plan.secret.source === 'secret'
      ? '--secret'
      : 'no secret';
  const trigger = plan.chosen ? `trigger ${plan.chosen.trigger.name}, ` : '';
  return `EventListener ${namespace}/${name}: ${trigger}signing with ${secret}, event ${plan.event}`;
}

export function listenerReport(
  plan: ListenerPlan,
  eventId: string | undefined,
  created: CreatedObject[],
): ListenerReport {
  const from = plan.secret.from;
  return {
    name: plan.listener.metadata.name,
    namespace: plan.listener.metadata.namespace ?? '',
    trigger: plan.chosen?.trigger.name,
    interceptor: plan.chosen?.check.label,
    secret: {
      source: plan.secret.source,
      ...(from ? { namespace: from.namespace, name: from.name, key: from.key } : {}),
    },
    event: plan.event,
    eventTypes: plan.chosen?.check.eventTypes,
    eventId,
    created,
  };
}
