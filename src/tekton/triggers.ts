/**
 * Which triggers an EventListener runs for an event, found as its sink finds them (pkg/sink/sink.go of
 * Triggers v0.35.0): the triggers written inline, those its triggerRefs name (in its namespace), the
 * Trigger objects its labelSelector/namespaceSelector select, and those of its trigger groups, whose
 * interceptors run before the trigger's own. Pure: the service lists what `triggerQueries` asks for.
 */
import type {
  EventListenerObject,
  LabelSelector,
  TriggerInterceptor,
  TriggerObject,
  TriggerSpec,
} from './objects.ts';

/** Trigger objects to list: in one namespace, or in all (undefined), with a label selector or none. */
export interface TriggerQuery {
  namespace: string | undefined;
  labelSelector: string | undefined;
}

/** One trigger as the sink runs it. */
export interface ListenerTrigger {
  name: string;
  /** Where its interceptors read Secrets and where it creates resources without a namespace of their own. */
  namespace: string;
  /** How the listener came to run it, for messages. */
  origin: 'inline' | 'triggerRef' | 'selector' | `group ${string}`;
  /** In the order the sink calls them, each with the namespace it reads Secrets in. */
  interceptors: Array<{ interceptor: TriggerInterceptor; namespace: string }>;
  template: TriggerSpec['template'];
}

/** `key=value,key in (a,b)`: a LabelSelector as the API's labelSelector parameter. */
export function selectorText(selector: LabelSelector): string {
  const labels = Object.entries(selector.matchLabels ?? {}).map(([key, value]) => `${key}=${value}`);
  const expressions = (selector.matchExpressions ?? []).map(({ key, operator, values = [] }) => {
    if (operator === 'Exists') return key;
    if (operator === 'DoesNotExist') return `!${key}`;
    return `${key} ${operator === 'NotIn' ? 'notin' : 'in'} (${values.join(',')})`;
  });
  return [...labels, ...expressions].join(',');
}

/**
 * The lists selectTriggers makes for one selector pair: every namespace for matchNames ["*"], the
 * named namespaces, or the listener's own when only a labelSelector is set; nothing when neither is.
 */
function queriesFor(
  namespaces: string[] | undefined,
  labels: LabelSelector | undefined,
  listenerNamespace: string,
): TriggerQuery[] {
  const labelSelector = labels ? selectorText(labels) || undefined : undefined;
  if (namespaces?.length === 1 && namespaces[0] === '*') return [{ namespace: undefined, labelSelector }];
  if (namespaces && namespaces.length > 0)
    return namespaces.map((namespace) => ({ namespace, labelSelector }));
  return labels ? [{ namespace: listenerNamespace, labelSelector }] : [];
}

/** What to list besides the inline triggers: the listener's selectors, then each group's. */
export function triggerQueries(listener: EventListenerObject): {
  listener: TriggerQuery[];
  groups: Array<{ group: string; queries: TriggerQuery[] }>;
} {
  const namespace = listener.metadata.namespace ?? '';
  const spec = listener.spec ?? {};
  return {
    listener: queriesFor(spec.namespaceSelector?.matchNames, spec.labelSelector, namespace),
    groups: (spec.triggerGroups ?? []).map((group) => ({
      group: group.name,
      queries: queriesFor(
        group.triggerSelector?.namespaceSelector?.matchNames,
        group.triggerSelector?.labelSelector,
        namespace,
      ),
    })),
  };
}

/** The Trigger objects found for the listener: by triggerRef name, by its selectors, by group. */
export interface FoundTriggers {
  refs: Map<string, TriggerObject>;
  selected: TriggerObject[];
  groups: Map<string, TriggerObject[]>;
}

const objectTrigger = (
  trigger: TriggerObject,
  origin: ListenerTrigger['origin'],
  before: ListenerTrigger['interceptors'] = [],
): ListenerTrigger => {
  const namespace = trigger.metadata.namespace ?? '';
  return {
    name: trigger.metadata.name,
    namespace,
    origin,
    interceptors: [
      ...before,
      ...(trigger.spec?.interceptors ?? []).map((interceptor) => ({ interceptor, namespace })),
    ],
    template: trigger.spec?.template,
  };
};

/** Every trigger the listener runs, and the triggerRefs that name no Trigger (the sink skips them). */
export function listenerTriggers(
  listener: EventListenerObject,
  found: FoundTriggers,
): { triggers: ListenerTrigger[]; missingRefs: string[] } {
  const namespace = listener.metadata.namespace ?? '';
  const triggers = found.selected.map((trigger) => objectTrigger(trigger, 'selector'));
  const missingRefs: string[] = [];
  for (const entry of listener.spec?.triggers ?? []) {
    if (entry.template === undefined && entry.triggerRef) {
      const referenced = found.refs.get(entry.triggerRef);
      if (referenced) triggers.push(objectTrigger(referenced, 'triggerRef'));
      else missingRefs.push(entry.triggerRef);
    } else if (entry.template !== undefined) {
      triggers.push({
        name: entry.name ?? '',
        namespace,
        origin: 'inline',
        interceptors: (entry.interceptors ?? []).map((interceptor) => ({ interceptor, namespace })),
        template: entry.template,
      });
    }
  }
  for (const group of listener.spec?.triggerGroups ?? []) {
    // A group's interceptors read Secrets in the listener's namespace (its trigger ID is namespaces/<el ns>/triggerGroups/…).
    const before = (group.interceptors ?? []).map((interceptor) => ({ interceptor, namespace }));
    for (const trigger of found.groups.get(group.name) ?? [])
      triggers.push(objectTrigger(trigger, `group ${group.name}`, before));
  }
  return { triggers, missingRefs };
}

/** The triggerRefs the listener names, to read from its namespace. */
export function triggerRefs(listener: EventListenerObject): string[] {
  return (listener.spec?.triggers ?? []).flatMap((entry) =>
    entry.template === undefined && entry.triggerRef ? [entry.triggerRef] : [],
  );
}
