/**
 * `test` against a route whose backend is a Tekton EventListener: everything read before sending.
 * The listener (by its Service), its Ready condition, the triggers it runs, the provider interceptor
 * to satisfy (its Secret, its event types), what each trigger's interceptors will make of the
 * delivery, and the kinds its templates create, to follow the event to them afterwards.
 */
import { ExitCode, GatewayError } from '../errors.ts';
import type { KubeClient } from '../kube/client.ts';
import { apiStatusOf } from '../kube/errors.ts';
import type { Progress } from '../ui/progress.ts';
import { type CreatedKind, createdKinds } from '../tekton/created.ts';
import {
  eventFor,
  type ProviderCheck,
  predictTrigger,
  providerCheckOf,
  type SecretLocation,
  type SecretState,
  triggerChecks,
  type Verdict,
} from '../tekton/interceptors.ts';
import {
  type ClusterInterceptorObject,
  DEFAULT_TRIGGERS_NAMESPACE,
  type EventListenerObject,
  INTERCEPTORS_API_VERSION,
  type ListenerReadiness,
  listenerOfService,
  listenerReadiness,
  TRIGGERS_API_VERSION,
  type TriggerObject,
  type TriggerTemplateObject,
} from '../tekton/objects.ts';
import { type ListenerTrigger, listenerTriggers, triggerQueries, triggerRefs } from '../tekton/triggers.ts';
import { eventHeaderValue, type Provider, sameSecretly } from '../webhook/index.ts';
import { readSecretKey, requireSecretKey, secretFromReader } from './webhook-secret.ts';

/** Where the secret that signs the delivery came from. */
export interface SecretChoice {
  /** Signs the delivery; never printed. */
  value: string | undefined;
  /** hook: the provider signs with the hook's own secret, which no API shows. */
  source: 'interceptor' | 'secret' | 'secret-from' | 'hook' | 'none';
  /** The Secret read (for --secret-from and the interceptor's own). */
  from: SecretLocation | undefined;
}

export interface ListenerPlan {
  listener: EventListenerObject;
  readiness: ListenerReadiness;
  triggers: ListenerTrigger[];
  /** triggerRefs and TriggerTemplates that name nothing: the sink skips or fails those triggers. */
  missing: string[];
  provider: Provider;
  event: string;
  /** The trigger whose provider interceptor chose the secret and the event. */
  chosen: { trigger: ListenerTrigger; check: ProviderCheck } | undefined;
  secret: SecretChoice;
  verdicts: Array<{ trigger: ListenerTrigger; verdict: Verdict }>;
  /** What the triggers that may pass it create, to look for by the event's ID. */
  created: CreatedKind[];
  /** Where config-logging-triggers is: the namespace of the core interceptors' Service. */
  triggersNamespace: string;
}

export interface ListenerRequest {
  /** undefined: the provider the listener's interceptors check (GitHub when none). */
  provider: Provider | undefined;
  event: string | undefined;
  secret: string | undefined;
  /** --secret-from, already resolved to its Secret in the backend's namespace. */
  secretFrom: SecretLocation | undefined;
  /** The provider sends it, signed with the hook's secret (`webhook test`): no secret is read. */
  signedByHook?: boolean;
}

/** The EventListener that created this Service, if any (none when Tekton Triggers is not installed). */
export async function findListenerBehind(
  kube: KubeClient,
  service: { name: string; namespace: string },
): Promise<EventListenerObject | undefined> {
  const listeners = await kube.list<EventListenerObject>(TRIGGERS_API_VERSION, 'EventListener', {
    namespace: service.namespace,
  });
  return listenerOfService(listeners, service.name);
}

/**
 * The EventListener behind a route's Service; undefined for any other Service, and when EventListeners
 * may not be read (said as a warning: the caller goes on as for any backend).
 */
export async function listenerBehindRoute(
  kube: KubeClient,
  service: { name: string; namespace: string },
  progress: Progress,
): Promise<EventListenerObject | undefined> {
  try {
    return await findListenerBehind(kube, service);
  } catch (error) {
    if (!(error instanceof GatewayError)) throw error;
    progress.warn(`cannot tell whether an EventListener is behind ${service.name}: ${error.message}`);
    return undefined;
  }
}

/** The Trigger objects the listener names or selects, read as its sink reads them. */
export async function readListenerTriggers(kube: KubeClient, listener: EventListenerObject) {
  const namespace = listener.metadata.namespace ?? '';
  const list = async (queries: ReturnType<typeof triggerQueries>['listener']) =>
    (
      await Promise.all(
        queries.map((query) =>
          kube.list<TriggerObject>(TRIGGERS_API_VERSION, 'Trigger', {
            namespace: query.namespace,
            labelSelector: query.labelSelector,
          }),
        ),
      )
    ).flat();
  const queries = triggerQueries(listener);
  const [refs, selected, groups] = await Promise.all([
    Promise.all(
      triggerRefs(listener).map(
        async (name) =>
          [
            name,
            await kube.read<TriggerObject>({
              apiVersion: TRIGGERS_API_VERSION,
              kind: 'Trigger',
              name,
              namespace,
            }),
          ] as const,
      ),
    ),
    list(queries.listener),
    Promise.all(queries.groups.map(async ({ group, queries: q }) => [group, await list(q)] as const)),
  ]);
  return listenerTriggers(listener, {
    refs: new Map(refs.flatMap(([name, trigger]) => (trigger ? [[name, trigger] as const] : []))),
    selected,
    groups: new Map(groups),
  });
}

async function readTemplates(kube: KubeClient, triggers: ListenerTrigger[]) {
  const refs = [
    ...new Set(
      triggers.flatMap((trigger) =>
        trigger.template?.spec === undefined && trigger.template?.ref
          ? [`${trigger.namespace}/${trigger.template.ref}`]
          : [],
      ),
    ),
  ];
  const read = await Promise.all(
    refs.map(async (key) => {
      const [namespace, name] = key.split('/') as [string, string];
      const template = await kube.read<TriggerTemplateObject>({
        apiVersion: TRIGGERS_API_VERSION,
        kind: 'TriggerTemplate',
        name,
        namespace,
      });
      return [key, template] as const;
    }),
  );
  return {
    templates: new Map(read.flatMap(([key, template]) => (template ? [[key, template] as const] : []))),
    missing: read.flatMap(([key, template]) => (template ? [] : [`triggertemplate ${key}`])),
  };
}

/** The namespace Triggers runs in: its core interceptors' Service's, as a release installs them. */
async function readTriggersNamespace(kube: KubeClient): Promise<string> {
  try {
    const interceptors = await kube.list<ClusterInterceptorObject>(
      INTERCEPTORS_API_VERSION,
      'ClusterInterceptor',
    );
    const core = interceptors.find((interceptor) => interceptor.metadata.name === 'github');
    return core?.spec?.clientConfig?.service?.namespace ?? DEFAULT_TRIGGERS_NAMESPACE;
  } catch {
    return DEFAULT_TRIGGERS_NAMESPACE;
  }
}

/** The trigger to satisfy: one whose `provider` interceptor passes the wanted (or a sample) event, else the first. */
function chooseCheck(triggers: ListenerTrigger[], provider: Provider, wanted: string | undefined) {
  const candidates = triggers.flatMap((trigger) => {
    const check = providerCheckOf(trigger, provider);
    return check ? [{ trigger, check }] : [];
  });
  const passes = ({ check }: { check: ProviderCheck }) => {
    const event = eventFor(provider, check.eventTypes, wanted);
    const header = event === undefined ? undefined : (eventHeaderValue(provider, event) ?? event);
    return header !== undefined && (check.eventTypes?.includes(header) ?? true);
  };
  return candidates.find(passes) ?? candidates[0];
}

/**
 * The provider to imitate when --provider is not given: the one the listener's interceptors check,
 * GitHub (the flag's default) when they check several or none.
 */
function providerOf(triggers: ListenerTrigger[]): Provider {
  const checked = new Set(
    triggers.flatMap((trigger) =>
      triggerChecks(trigger).flatMap((check) => (check.type === 'provider' ? [check.provider] : [])),
    ),
  );
  const [only] = checked;
  return checked.size === 1 && only ? only : 'github';
}

async function chooseSecret(
  kube: KubeClient,
  request: ListenerRequest,
  chosen: ListenerPlan['chosen'],
): Promise<SecretChoice> {
  if (request.secret !== undefined) return { value: request.secret, source: 'secret', from: undefined };
  if (request.signedByHook) {
    const at = chosen?.check.secret;
    return { value: undefined, source: 'hook', from: at?.name && at.key ? at : undefined };
  }
  if (request.secretFrom) {
    const value = await requireSecretKey(kube, request.secretFrom, secretFromReader(request.secretFrom.name));
    return { value, source: 'secret-from', from: request.secretFrom };
  }
  const secret = chosen?.check.secret;
  if (!chosen || !secret || !secret.name || !secret.key)
    return { value: undefined, source: 'none', from: undefined };
  const reader = `the ${chosen.check.label} interceptor of trigger ${chosen.trigger.name} (its secretRef)`;
  const value = await requireSecretKey(kube, secret, {
    reader,
    alternative: ['or sign with another secret: --secret-from NAME[:KEY]'],
    keyFromUser: false,
  });
  return { value, source: 'interceptor', from: secret };
}

/** How the signing secret compares with each Secret the provider's interceptors read. */
async function compareSecrets(
  kube: KubeClient,
  triggers: ListenerTrigger[],
  provider: Provider,
  secret: SecretChoice,
): Promise<(at: SecretLocation) => SecretState> {
  const key = (at: SecretLocation) => `${at.namespace}/${at.name}/${at.key}`;
  const locations = new Map<string, SecretLocation>();
  for (const trigger of triggers) {
    const at = providerCheckOf(trigger, provider)?.secret;
    if (at?.name && at.key) locations.set(key(at), at);
  }
  const states = new Map<string, SecretState>();
  const value = secret.value;
  // The hook's secret is unknown, but a Secret that does not exist still refuses it.
  if (value !== undefined || secret.source === 'hook') {
    for (const [name, at] of locations) {
      if (value !== undefined && secret.from && key(secret.from) === name) {
        states.set(name, 'same');
        continue;
      }
      const read = await readSecretKey(kube, at);
      // Compared without either value leaving this function.
      if (read.found === 'value' && value !== undefined)
        states.set(name, sameSecretly(read.value, value) ? 'same' : 'different');
      else if (read.found === 'no-secret') states.set(name, 'missing');
    }
  }
  return (at) => states.get(key(at)) ?? 'unknown';
}

/** Refuses a listener that cannot take deliveries, before anything is sent. */
function requireReady(listener: EventListenerObject, readiness: ListenerReadiness): void {
  if (readiness.ready) return;
  const { name, namespace = '' } = listener.metadata;
  throw new GatewayError(`eventlistener ${namespace}/${name} is not Ready`, {
    why: `${readiness.message ?? 'the Tekton Triggers controller has not reported it Ready yet'}; nothing was sent`,
    next: [
      `kubectl -n ${namespace} get eventlistener ${name} -o yaml`,
      `kubectl -n ${namespace} describe deployment ${listener.status?.configuration?.generatedName ?? `el-${name}`}`,
    ],
    exitCode: ExitCode.clusterState,
  });
}

/** Everything `test` needs to send a delivery this listener's triggers accept, and to follow it. */
export async function planListenerDelivery(
  kube: KubeClient,
  listener: EventListenerObject,
  request: ListenerRequest,
): Promise<ListenerPlan> {
  const readiness = listenerReadiness(listener);
  requireReady(listener, readiness);
  const [{ triggers, missingRefs }, triggersNamespace] = await Promise.all([
    readListenerTriggers(kube, listener),
    readTriggersNamespace(kube),
  ]);
  const { templates, missing } = await readTemplates(kube, triggers);
  const provider = request.provider ?? providerOf(triggers);
  const chosen = chooseCheck(triggers, provider, request.event);
  const event =
    eventFor(provider, chosen?.check.eventTypes, request.event) ?? eventFor(provider, undefined, undefined);
  const secret = await chooseSecret(kube, request, chosen);
  const secretState = await compareSecrets(kube, triggers, provider, secret);
  const facts = {
    provider,
    eventHeader: event === undefined ? undefined : eventHeaderValue(provider, event),
    signed: secret.value !== undefined || secret.source === 'hook',
    secretState,
  };
  const verdicts = triggers.map((trigger) => ({ trigger, verdict: predictTrigger(trigger, facts) }));
  const hopeful = verdicts.filter(({ verdict }) => verdict.passes !== 'no').map(({ trigger }) => trigger);
  return {
    listener,
    readiness,
    triggers,
    missing: [...missingRefs.map((name) => `trigger ${listener.metadata.namespace}/${name}`), ...missing],
    provider,
    event: event ?? '',
    chosen,
    secret,
    verdicts,
    created: createdKinds(hopeful.length > 0 ? hopeful : triggers, templates),
    triggersNamespace,
  };
}

/** A list the user may not make, or a kind the cluster does not serve: said before anything is sent. */
export async function checkCreatedKinds(kube: KubeClient, kinds: CreatedKind[]): Promise<void> {
  for (const kind of kinds) {
    const type = await kube.resourceTypeOf(kind.apiVersion, kind.kind);
    if (!type) {
      throw new GatewayError(`the cluster does not serve ${kind.kind} (${kind.apiVersion})`, {
        why: "the listener's TriggerTemplate creates it, so the listener cannot start anything; nothing was sent",
        next: [`kubectl api-resources --api-group=${kind.apiVersion.split('/')[0]}`],
        exitCode: ExitCode.clusterState,
      });
    }
    try {
      await kube.list(kind.apiVersion, kind.kind, {
        namespace: kind.namespace,
        labelSelector: 'trigger-gateway.dev/probe=none',
      });
    } catch (error) {
      if (apiStatusOf(error)?.code !== 403) throw error;
      const where = kind.namespace ? ` -n ${kind.namespace}` : ' --all-namespaces';
      throw new GatewayError(
        `not allowed to list ${type.resource}${kind.namespace ? ` in ${kind.namespace}` : ''}`,
        {
          why: `test proves the delivery by the ${kind.kind} the listener creates for it; nothing was sent`,
          next: [`kubectl auth can-i list ${type.resource}${where}`],
          exitCode: ExitCode.forbidden,
          cause: error,
        },
      );
    }
  }
}
