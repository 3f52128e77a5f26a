/**
 * Tekton Triggers' objects as this tool reads them (triggers.tekton.dev v1beta1, interceptors
 * v1alpha1): only the fields the EventListener sink itself reads to pick triggers, call interceptors
 * and create resources. Pure: plain data, no client.
 */
import type { KubeObject } from '../manifests/types.ts';

export const TRIGGERS_API_VERSION = 'triggers.tekton.dev/v1beta1';
export const INTERCEPTORS_API_VERSION = 'triggers.tekton.dev/v1alpha1';
/** The label the sink puts on everything it creates for one event: the eventID its 202 answered with. */
export const EVENT_ID_LABEL = 'triggers.tekton.dev/triggers-eventid';
/** The eventID in an EventListener's answer (202 {"eventID": …}), which its log lines and what it creates carry too. */
export function eventIdOf(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { eventID?: unknown };
    return typeof parsed.eventID === 'string' ? parsed.eventID : undefined;
  } catch {
    return undefined;
  }
}

/** Where a release installs Triggers (its controller, core interceptors and config-logging-triggers). */
export const DEFAULT_TRIGGERS_NAMESPACE = 'tekton-pipelines';

export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>;
}

export interface InterceptorParam {
  name: string;
  value: unknown;
}

export interface TriggerInterceptor {
  name?: string;
  /** kind: ClusterInterceptor (the default when omitted) or NamespacedInterceptor. */
  ref?: { name?: string; kind?: string; apiVersion?: string };
  params?: InterceptorParam[];
  /** The old style: a Service called with the event. */
  webhook?: unknown;
}

export interface ResourceTemplate {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; generateName?: string; namespace?: string };
}

export interface TriggerTemplateSpec {
  resourcetemplates?: ResourceTemplate[];
}

export interface TriggerSpec {
  name?: string;
  interceptors?: TriggerInterceptor[];
  template?: { ref?: string; spec?: TriggerTemplateSpec };
  serviceAccountName?: string;
}

/** One entry of an EventListener's spec.triggers: a trigger written inline, or a triggerRef. */
export interface ListenerTriggerEntry extends TriggerSpec {
  triggerRef?: string;
}

export interface TriggerGroup {
  name: string;
  interceptors?: TriggerInterceptor[];
  triggerSelector?: { namespaceSelector?: { matchNames?: string[] }; labelSelector?: LabelSelector };
}

export interface EventListenerObject extends KubeObject {
  spec?: {
    serviceAccountName?: string;
    triggers?: ListenerTriggerEntry[];
    triggerGroups?: TriggerGroup[];
    namespaceSelector?: { matchNames?: string[] };
    labelSelector?: LabelSelector;
  };
  status?: {
    conditions?: Condition[];
    configuration?: { generatedName?: string };
    address?: { url?: string };
  };
}

export interface TriggerObject extends KubeObject {
  spec?: TriggerSpec;
}

export interface TriggerTemplateObject extends KubeObject {
  spec?: TriggerTemplateSpec;
}

export interface ClusterInterceptorObject extends KubeObject {
  spec?: { clientConfig?: { service?: { name?: string; namespace?: string } } };
}

/** The listener whose Service (status.configuration.generatedName, el-NAME) this is, if any. */
export function listenerOfService(
  listeners: EventListenerObject[],
  serviceName: string,
): EventListenerObject | undefined {
  return (
    listeners.find((listener) => listener.status?.configuration?.generatedName === serviceName) ??
    // Not reconciled yet: the controller will name it el-NAME.
    listeners.find((listener) => `el-${listener.metadata.name}` === serviceName)
  );
}

export interface ListenerReadiness {
  ready: boolean;
  /** "True", "False" or "Unknown" (no Ready condition yet). */
  status: string;
  reason: string | undefined;
  /** The Ready condition's message, and what keeps its pods from running when the controller said so. */
  message: string | undefined;
}

/** The listener's Ready condition as the controller wrote it. */
export function listenerReadiness(listener: EventListenerObject): ListenerReadiness {
  const conditions = listener.status?.conditions ?? [];
  const ready = conditions.find((condition) => condition.type === 'Ready');
  // The Deployment's ReplicaFailure says why no pod runs (a missing ServiceAccount, a quota).
  const failure = conditions.find(
    (condition) => condition.type === 'ReplicaFailure' && condition.status === 'True',
  );
  const messages = [ready?.message, failure?.message].filter((text): text is string => Boolean(text));
  return {
    ready: ready?.status === 'True',
    status: ready?.status ?? 'Unknown',
    reason: ready?.reason,
    message: messages.length > 0 ? messages.join('; ') : undefined,
  };
}
