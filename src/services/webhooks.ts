/**
 * `webhook add|list|remove`: the repository's webhooks that point at this gateway. add registers one
 * (or brings the one there is up to date: never a second), list shows ours with the last delivery the
 * provider reports, remove deletes ours only. A failure leaves nothing half done: a Secret add created
 * for a hook it could not register is deleted again.
 */
import type { ForgeHook, HookSpec, LastDelivery } from '../forge/index.ts';
import { FORGE_NAMES, parseEvents, sameEvents, storedEvents } from '../forge/index.ts';
import { hookUrlFor, routeOfHookUrl, sameHookUrl } from '../forge/hook-url.ts';
import { ExitCode, GatewayError } from '../errors.ts';
import { describeMatch } from '../haproxy/routes.ts';
import type { KubeClient } from '../kube/client.ts';
import type { Progress } from '../ui/progress.ts';
import { type ForgeContext, forgeCall } from './forge-errors.ts';
import { refOf } from './objects.ts';
import {
  type ForgeAccess,
  parseTargetFlags,
  resolveWebhookTarget,
  routeFor,
  routeServing,
  type WebhookTarget,
  type WebhookTargetRequest,
} from './webhook-target.ts';
import type { HookNeeds } from '../tekton/hook-needs.ts';
import {
  listenerHookNeeds,
  type SecretSource,
  type WebhookSettings,
  webhookSettings,
} from './webhook-settings.ts';

export interface WebhookAddRequest extends WebhookTargetRequest {
  path: string;
  events: string | undefined;
  secretFrom: SecretSource | undefined;
}

/** A hook as the results show it. */
export type HookSummary = Omit<ForgeHook, 'hasSecret'>;

export interface WebhookAddResult {
  provider: WebhookTarget['provider'];
  repository: string;
  apiUrl: string;
  route: string;
  backend: string | undefined;
  url: string;
  urlFrom: WebhookTarget['baseFrom'];
  action: 'created' | 'updated' | 'unchanged';
  hook: HookSummary;
  /** The EventListener behind the route, and the interceptors whose checks decided events and secret. */
  listener: (HookNeeds['listener'] & { checks: HookNeeds['checks'] }) | undefined;
  events: { list: string[]; from: WebhookSettings['eventsFrom'] };
  /** Where the secret is kept, and who named it; `none` when the hook has none of ours. */
  secret: {
    from: 'secret' | 'generated' | 'none';
    namedBy?: 'flag' | 'listener';
    namespace?: string;
    name?: string;
    key?: string;
  };
  /** Other hooks of ours for the same URL, removed so that one is left. */
  removedDuplicates: string[];
  token: string;
}

const summary = ({ hasSecret: _, ...hook }: ForgeHook): HookSummary => hook;

/** Whether `hook` already is what `spec` asks for, as far as the provider shows (a secret never shows). */
function upToDate(target: WebhookTarget, hook: ForgeHook, spec: HookSpec): boolean {
  return (
    spec.secret === undefined &&
    hook.active &&
    hook.contentType === 'json' &&
    hook.verifiesTls !== false &&
    sameEvents(hook.events, storedEvents(target.provider, spec.events))
  );
}

/** Creates the hook, or brings the one there is up to date; the hook, and what was done. */
async function register(
  target: WebhookTarget,
  context: ForgeContext,
  existing: ForgeHook | undefined,
  spec: HookSpec,
  progress: Progress,
): Promise<{ hook: ForgeHook; action: WebhookAddResult['action'] }> {
  if (!existing) {
    progress.update(`Registering ${spec.url} on ${target.repository}`);
    const hook = await forgeCall(context, 'creating the webhook', () =>
      target.api.createHook(target.repo, spec),
    );
    return { hook, action: 'created' };
  }
  if (upToDate(target, existing, spec)) return { hook: existing, action: 'unchanged' };
  progress.update(`Updating webhook ${existing.id} of ${target.repository}`);
  const hook = await forgeCall(context, 'updating the webhook', () =>
    target.api.updateHook(target.repo, existing, spec),
  );
  return { hook, action: 'updated' };
}

export async function addWebhook(
  kube: KubeClient,
  request: WebhookAddRequest,
  progress: Progress,
  access: ForgeAccess = {},
): Promise<WebhookAddResult> {
  // Every flag is checked before anything is read.
  const { provider } = parseTargetFlags(request);
  if (request.events !== undefined) parseEvents(provider, request.events);
  const target = await resolveWebhookTarget(kube, request, progress, access);
  const route = routeFor(target, request.path);
  const backendNamespace = route.service?.namespace ?? target.location.namespace;
  const listener = route.service
    ? await listenerHookNeeds(kube, route.service, target.provider, progress)
    : undefined;
  const settings = await webhookSettings(kube, backendNamespace, {
    provider: target.provider,
    events: request.events,
    secretFrom: request.secretFrom,
    repository: target.repository,
    listener,
  });
  for (const note of settings.notes) progress.warn(note);
  const url = hookUrlFor(target.base, request.path);
  const context = { ...target.context, hookUrl: url };
  const name = FORGE_NAMES[target.provider];
  progress.update(`Reading the webhooks of ${target.repository} on ${name}`);
  const hooks = await forgeCall(context, 'listing the webhooks', () => target.api.listHooks(target.repo));
  const [existing, ...duplicates] = hooks.filter((hook) => sameHookUrl(hook.url, url));
  const spec: HookSpec = { url, events: settings.events, secret: settings.secret?.value };
  // An existing hook keeps a secret it has; one that has none (or a new one) gets none.
  if (!settings.secret && (!existing || existing.hasSecret === false))
    progress.warn(`the hook has no secret: anyone who knows ${url} can send to it; pass --secret-from`);

  const created = settings.secret?.create;
  if (created) {
    progress.update(`Creating secret ${backendNamespace}/${created.metadata.name} with a new webhook secret`);
    await kube.create(created);
  }
  let registered: { hook: ForgeHook; action: WebhookAddResult['action'] };
  try {
    registered = await register(target, context, existing, spec, progress);
  } catch (error) {
    // Nothing half done: the Secret was only for this hook.
    if (created) {
      await kube
        .delete(refOf(created))
        .catch(() =>
          progress.warn(
            `could not delete secret ${backendNamespace}/${created.metadata.name} again: delete it`,
          ),
        );
    }
    throw error;
  }
  const { hook, action } = registered;
  for (const duplicate of duplicates) {
    progress.update(`Removing webhook ${duplicate.id}, a second one for ${url}`);
    await forgeCall(context, 'removing a duplicate webhook', () =>
      target.api.deleteHook(target.repo, duplicate),
    );
  }
  return {
    provider: target.provider,
    repository: target.repository,
    apiUrl: target.context.apiUrl,
    route: describeMatch(route.match),
    backend: route.service
      ? `${route.service.name}.${route.service.namespace}:${route.service.port}`
      : route.address,
    url,
    urlFrom: target.baseFrom,
    action,
    hook: summary(hook),
    listener: listener && { ...listener.listener, checks: listener.checks },
    events: { list: settings.events, from: settings.eventsFrom },
    secret: settings.secret
      ? {
          from: settings.secret.from,
          namedBy: settings.secret.namedBy,
          namespace: settings.secret.namespace,
          name: settings.secret.name,
          key: settings.secret.key,
        }
      : { from: 'none' },
    removedDuplicates: duplicates.map((duplicate) => duplicate.id),
    token: target.context.tokenSource,
  };
}

export interface ListedWebhook extends HookSummary {
  /** The URL's path, e.g. /github. */
  path: string;
  /** The gateway route that serves it, undefined when none does (the gateway answers 404). */
  route: string | undefined;
  lastDelivery: LastDelivery;
}

export interface WebhookListResult {
  provider: WebhookTarget['provider'];
  repository: string;
  base: string;
  hooks: ListedWebhook[];
  /** The repository's hooks that point elsewhere. */
  others: number;
}

export async function listWebhooks(
  kube: KubeClient,
  request: WebhookTargetRequest,
  progress: Progress,
  access: ForgeAccess = {},
): Promise<WebhookListResult> {
  const target = await resolveWebhookTarget(kube, request, progress, access);
  progress.update(`Reading the webhooks of ${target.repository} on ${FORGE_NAMES[target.provider]}`);
  const hooks = await forgeCall(target.context, 'listing the webhooks', () =>
    target.api.listHooks(target.repo),
  );
  const ours = hooks.flatMap((hook) => {
    const path = routeOfHookUrl(target.base, hook.url);
    return path === undefined ? [] : [{ hook, path }];
  });
  const listed = await Promise.all(
    ours.map(async ({ hook, path }): Promise<ListedWebhook> => {
      const served = routeServing(target.routes, path);
      let lastDelivery: LastDelivery;
      try {
        lastDelivery = await target.api.lastDelivery(target.repo, hook);
      } catch (error) {
        // One hook's history failing leaves the list useful.
        lastDelivery = { kind: 'unavailable', why: error instanceof Error ? error.message : String(error) };
      }
      return { ...summary(hook), path, route: served && describeMatch(served.match), lastDelivery };
    }),
  );
  return {
    provider: target.provider,
    repository: target.repository,
    base: target.base,
    hooks: listed,
    others: hooks.length - ours.length,
  };
}

/** The repository's hooks for `url`; none is an error naming the hooks there are for this gateway. */
export async function hooksFor(target: WebhookTarget, url: string): Promise<ForgeHook[]> {
  const hooks = await forgeCall(target.context, 'listing the webhooks', () =>
    target.api.listHooks(target.repo),
  );
  const ours = hooks.filter((hook) => sameHookUrl(hook.url, url));
  if (ours.length > 0) return ours;
  const atGateway = hooks.filter((hook) => routeOfHookUrl(target.base, hook.url) !== undefined);
  throw new GatewayError(`${target.repository} has no webhook for ${url}`, {
    why: atGateway.length
      ? `its webhooks for this gateway are: ${atGateway.map((hook) => hook.url).join(', ')}`
      : `none of its ${hooks.length} webhook(s) points at ${target.base}`,
    next: [`kubectl trigger-gateway webhook list --repo ${target.repository} --provider ${target.provider}`],
    exitCode: ExitCode.clusterState,
  });
}

export interface WebhookRemoveRequest extends WebhookTargetRequest {
  path: string;
}

export interface WebhookRemoveResult {
  provider: WebhookTarget['provider'];
  repository: string;
  url: string;
  removed: HookSummary[];
}

export async function removeWebhook(
  kube: KubeClient,
  request: WebhookRemoveRequest,
  progress: Progress,
  access: ForgeAccess = {},
): Promise<WebhookRemoveResult> {
  const target = await resolveWebhookTarget(kube, request, progress, access);
  const url = hookUrlFor(target.base, request.path);
  const ours = await hooksFor(target, url);
  for (const hook of ours) {
    progress.update(`Removing webhook ${hook.id} of ${target.repository}`);
    await forgeCall(target.context, 'removing the webhook', () => target.api.deleteHook(target.repo, hook));
  }
  return { provider: target.provider, repository: target.repository, url, removed: ours.map(summary) };
}
