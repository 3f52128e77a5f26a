/**
 * Where to look for what a trigger creates for one event: each resource template's apiVersion and
 * kind, in its own metadata.namespace, else in the trigger's namespace (pkg/resources/create.go of
 * Triggers v0.35.0), labelled with the event's ID. Pure.
 */
import { EVENT_ID_LABEL, type TriggerTemplateObject, type TriggerTemplateSpec } from './objects.ts';
import type { ListenerTrigger } from './triggers.ts';

export interface CreatedKind {
  apiVersion: string;
  kind: string;
  /** undefined: every namespace (the template computes it from the event, $(tt.params.…)). */
  namespace: string | undefined;
}

export interface CreatedObject {
  apiVersion: string;
  kind: string;
  namespace: string;
  name: string;
  /** The trigger that created it (its triggers.tekton.dev/trigger label). */
  trigger: string | undefined;
}

/** The template a trigger renders: written inline, or a TriggerTemplate in the trigger's namespace. */
export function templateOf(
  trigger: ListenerTrigger,
  templates: Map<string, TriggerTemplateObject>,
): TriggerTemplateSpec | undefined {
  if (trigger.template?.spec) return trigger.template.spec;
  const ref = trigger.template?.ref;
  return ref === undefined ? undefined : templates.get(`${trigger.namespace}/${ref}`)?.spec;
}

/** The kinds the triggers' templates create, each once. */
export function createdKinds(
  triggers: ListenerTrigger[],
  templates: Map<string, TriggerTemplateObject>,
): CreatedKind[] {
  const kinds = new Map<string, CreatedKind>();
  for (const trigger of triggers) {
    for (const resource of templateOf(trigger, templates)?.resourcetemplates ?? []) {
      if (!resource.apiVersion || !resource.kind) continue;
      const written = resource.metadata?.namespace;
      const namespace = written?.includes('$(') ? undefined : written || trigger.namespace;
      const kind = { apiVersion: resource.apiVersion, kind: resource.kind, namespace };
      kinds.set(`${kind.apiVersion}/${kind.kind}/${namespace ?? '*'}`, kind);
    }
  }
  return [...kinds.values()];
}

export const eventIdSelector = (eventId: string) => `${EVENT_ID_LABEL}=${eventId}`;

/** The label naming the trigger that created an object. */
export const TRIGGER_LABEL = 'triggers.tekton.dev/trigger';
