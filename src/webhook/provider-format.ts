/**
 * What makes a delivery look like one provider's: its events, its headers, how it proves the sender knows
 * the secret, and the sample body for each event. One ProviderFormat per file in providers/.
 */
import type { Sample } from './sample.ts';

export type Provider = 'github' | 'gitlab' | 'bitbucket' | 'generic';

export const PROVIDERS: readonly Provider[] = ['github', 'gitlab', 'bitbucket', 'generic'];

export type HmacAlgorithm = 'sha256' | 'sha1';

/**
 * How a delivery proves the sender knows the secret: an HMAC of the body bytes in one or more headers
 * (`<algorithm>=<hex>`), or the secret itself in a header (GitLab).
 */
export type SigningScheme =
  | { kind: 'hmac'; headers: readonly { name: string; algorithm: HmacAlgorithm }[] }
  | { kind: 'token'; header: string };

/** What a provider's headers are made from besides the event: the delivery ID, the sample, more IDs. */
export interface HeaderContext {
  id: string;
  sample: Sample;
  newId: () => string;
}

export interface ProviderFormat {
  provider: Provider;
  /** The first is the default. */
  events: readonly string[];
  defaultRepositoryUrl: string;
  /** The ref a sample of this event carries unless the user names one. */
  defaultRef(event: string): string;
  /** The header whose value a backend logs for this delivery. */
  idHeader: string;
  /** The header naming the event, as interceptors' eventTypes list its values; none for generic. */
  eventHeader: { name: string; value(event: string): string } | undefined;
  signing: SigningScheme;
  /** Every header but the signature or token, in the provider's spelling. */
  headers(event: string, context: HeaderContext): Record<string, string>;
  sampleBody(event: string, sample: Sample): object;
}
