/**
 * What a provider's webhook must be for an EventListener's triggers to take its deliveries: the event
 * types their provider interceptors accept (eventTypes) and the Secret those check the signature (or
 * GitLab's token) against (secretRef). Gitea's deliveries are the GitHub interceptor's to check: they
 * carry X-GitHub-Event and X-Hub-Signature-256. Pure.
 */
import { ExitCode, GatewayError, usageError } from '../errors.ts';
import { FORGE_NAMES, type ForgeProvider } from '../forge/types.ts';
import {
  type CheckedProvider,
  type ProviderCheck,
  type SecretLocation,
  triggerChecks,
} from './interceptors.ts';
import type { EventListenerObject } from './objects.ts';
import type { ListenerTrigger } from './triggers.ts';

/** The core interceptor that checks each provider's deliveries. */
export const INTERCEPTOR_OF: Readonly<Record<ForgeProvider, CheckedProvider>> = {
  github: 'github',
  gitlab: 'gitlab',
  gitea: 'github',
};

export interface HookNeeds {
  listener: { name: string; namespace: string };
  /** The triggers whose interceptor checks the provider's deliveries, and that interceptor's name. */
  checks: Array<{ trigger: string; interceptor: string }>;
  /** The event types those accept, as the event header names them; undefined: every type passes. */
  eventTypes: string[] | undefined;
  /** The Secrets they read the secret from (one, unless triggers disagree); none: they check no secret. */
  secrets: SecretLocation[];
}

export const sameLocation = (a: SecretLocation, b: SecretLocation) =>
  a.namespace === b.namespace && a.name === b.name && a.key === b.key;

/** Whether a check of another provider lets this provider's deliveries through: only when it checks nothing. */
const checksNothing = (check: ProviderCheck) => check.eventTypes === undefined && check.secret === undefined;

/**
 * What `provider`'s hook needs for `listener`'s triggers. A listener whose triggers all check another
 * provider's deliveries would drop every one: that, and a secretRef without a name or key (its
 * interceptor refuses everything), are errors.
 */
export function hookNeeds(
  listener: EventListenerObject,
  triggers: readonly ListenerTrigger[],
  provider: ForgeProvider,
): HookNeeds {
  const { name, namespace = '' } = listener.metadata;
  const interceptor = INTERCEPTOR_OF[provider];
  const checks = triggers.flatMap((trigger) =>
    triggerChecks(trigger).flatMap((check) =>
      check.type === 'provider' && check.provider === interceptor ? [{ trigger, check }] : [],
    ),
  );
  if (checks.length === 0) {
    const checked = new Set(
      triggers.flatMap((trigger) =>
        triggerChecks(trigger).flatMap((check) =>
          check.type === 'provider' && !checksNothing(check) ? [check.provider] : [],
        ),
      ),
    );
    const takesAny = triggers.some((trigger) =>
      triggerChecks(trigger).every((check) => check.type !== 'provider' || checksNothing(check)),
    );
    if (!takesAny && checked.size > 0) {
      const others = [...checked].join(', ');
      throw usageError(
        `eventlistener ${namespace}/${name} checks ${others} deliveries only: it would drop every one of a ${FORGE_NAMES[provider]} webhook`,
        `${FORGE_NAMES[provider]}'s deliveries pass Tekton's ${interceptor} interceptor, which none of its triggers has`,
        [
          ...[...checked].flatMap((other) =>
            other === 'bitbucket'
              ? []
              : [
                  `register the provider it checks: --provider ${other === 'github' ? 'github or gitea' : other}`,
                ],
          ),
          'or register another route: kubectl trigger-gateway route list',
        ],
      );
    }
  }
  const broken = checks.find(({ check }) => check.secret && (!check.secret.name || !check.secret.key));
  if (broken) {
    throw new GatewayError(
      `trigger ${broken.trigger.name}'s ${broken.check.label} interceptor has a secretRef without secretName or secretKey`,
      {
        why: `it refuses every delivery, so no webhook can reach eventlistener ${namespace}/${name}`,
        next: [`kubectl -n ${namespace} edit eventlistener ${name}`],
        exitCode: ExitCode.clusterState,
      },
    );
  }
  const secrets: SecretLocation[] = [];
  for (const { check } of checks)
    if (check.secret && !secrets.some((known) => sameLocation(known, check.secret as SecretLocation)))
      secrets.push(check.secret);
  const acceptsAll = checks.length === 0 || checks.some(({ check }) => check.eventTypes === undefined);
  return {
    listener: { name, namespace },
    checks: checks.map(({ trigger, check }) => ({ trigger: trigger.name, interceptor: check.label })),
    eventTypes: acceptsAll ? undefined : [...new Set(checks.flatMap(({ check }) => check.eventTypes ?? []))],
    secrets,
  };
}
