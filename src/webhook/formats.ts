/** Which ProviderFormat a provider name means; the one place that knows all of them. */
import { UnknownEventError, UnknownProviderError } from './errors.ts';
import { PROVIDERS, type Provider, type ProviderFormat } from './provider-format.ts';
import { bitbucket } from './providers/bitbucket.ts';
import { generic } from './providers/generic.ts';
import { github } from './providers/github.ts';
import { gitlab } from './providers/gitlab.ts';

const FORMATS: Readonly<Record<Provider, ProviderFormat>> = { github, gitlab, bitbucket, generic };

/** `name` as a Provider, e.g. from a flag. Throws UnknownProviderError listing the providers. */
export function parseProvider(name: string): Provider {
  if (!(PROVIDERS as readonly string[]).includes(name)) throw new UnknownProviderError(name, PROVIDERS);
  return name as Provider;
}

export function formatOf(provider: Provider): ProviderFormat {
  return FORMATS[parseProvider(provider)];
}

/** The events a sample can be built for; the first is the default. */
export function eventsOf(provider: Provider): readonly string[] {
  return formatOf(provider).events;
}

/** `event`, or the provider's default. Throws UnknownEventError listing the provider's events. */
export function checkEvent(format: ProviderFormat, event: string | undefined): string {
  const chosen = event ?? (format.events[0] as string);
  if (!format.events.includes(chosen)) throw new UnknownEventError(format.provider, chosen, format.events);
  return chosen;
}

/** What the provider's event header says for `event` (GitLab's "Push Hook" for push); undefined for generic. */
export function eventHeaderValue(provider: Provider, event: string): string | undefined {
  return formatOf(provider).eventHeader?.value(event);
}
