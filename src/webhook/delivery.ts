/**
 * A test delivery: the bytes and headers a provider would send for one event, signed with the webhook
 * secret; and the safe ways to show it, find it in logs, and check what a backend received.
 */
import { randomUUID } from 'node:crypto';
import { InvalidSampleError } from './errors.ts';
import { checkEvent, formatOf } from './formats.ts';
import { checkedPayload } from './payload.ts';
import type { Provider } from './provider-format.ts';
import { hasSampleOptions, resolveSample, type SampleOptions } from './sample.ts';
import { proofHeaders, proofHolds } from './signing.ts';

export interface Delivery {
  readonly provider: Provider;
  readonly event: string;
  /** The ID to look for in the backend's logs (see deliveryIdOf). */
  readonly id: string;
  /**
   * The provider's headers. A GitLab token is a non-enumerable entry, so printing or serializing a delivery
   * never shows it: send `headersToSend(delivery)`, which includes it.
   */
  readonly headers: Readonly<Record<string, string>>;
  /** The exact bytes to send; signatures cover these. */
  readonly body: Buffer;
}

export interface DeliveryInput {
  provider: Provider;
  /** Defaults to the provider's first event (push, or repo:push). */
  event?: string;
  /** The user's own body, sent byte for byte instead of a sample. */
  payload?: Buffer;
  /** How to name the payload in errors, e.g. its file path. */
  payloadName?: string;
  secret?: string;
  /** Shapes the sample body; not allowed with a payload, which is sent as is. */
  sample?: SampleOptions;
  /** Makes delivery IDs; tests inject a fixed one. */
  newId?: () => string;
}

export interface DeliveryDescription {
  provider: Provider;
  event: string;
  id: string;
  /** Every header sent, with signatures and tokens redacted. */
  headers: Record<string, string>;
  bytes: number;
}

const REDACTED = '…(redacted)';

export function buildDelivery(input: DeliveryInput): Delivery {
  const format = formatOf(input.provider);
  const event = checkEvent(format, input.event);
  if (input.payload !== undefined && hasSampleOptions(input.sample)) {
    throw new InvalidSampleError(
      'the sample options (repository URL, ref, sha, sender) do not apply to a payload file',
      'a payload is sent byte for byte; edit the file instead, or drop the payload to use the sample',
    );
  }
  const sample = resolveSample(input.sample ?? {}, {
    repositoryUrl: format.defaultRepositoryUrl,
    ref: format.defaultRef(event),
  });
  const body =
    input.payload === undefined
      ? Buffer.from(JSON.stringify(format.sampleBody(event, sample)), 'utf8')
      : checkedPayload(input.payload, input.payloadName);
  const newId = input.newId ?? randomUUID;
  const id = newId();
  const headers = format.headers(event, { id, sample, newId });
  if (input.secret !== undefined) {
    const proof = proofHeaders(format.signing, input.secret, body);
    // A token is the secret itself: keep it out of every enumeration (JSON, inspect, spread).
    const enumerable = format.signing.kind === 'hmac';
    for (const [name, value] of Object.entries(proof)) {
      Object.defineProperty(headers, name, { value, enumerable, writable: false, configurable: false });
    }
  }
  return Object.freeze({ provider: format.provider, event, id, headers: Object.freeze(headers), body });
}

/** The headers to put on the request, the GitLab token included. Hand it straight to the HTTP client. */
export function headersToSend(delivery: Delivery): Record<string, string> {
  return Object.fromEntries(
    Object.getOwnPropertyNames(delivery.headers).map((name) => [name, delivery.headers[name] as string]),
  );
}

/** What to show a user: every header name, with signature and token values redacted. */
export function describeDelivery(delivery: Delivery): DeliveryDescription {
  const proofNames = proofHeaderNames(delivery);
  const headers = Object.fromEntries(
    Object.entries(headersToSend(delivery)).map(([name, value]) => [
      name,
      // Even a signature is redacted: with the body it allows guessing a weak secret offline.
      proofNames.has(lower(name)) ? redact(value) : value,
    ]),
  );
  return {
    provider: delivery.provider,
    event: delivery.event,
    id: delivery.id,
    headers,
    bytes: delivery.body.length,
  };
}

/**
 * Hides the secret and the delivery's proof headers in text others wrote about it (a listener's debug
 * log prints every header it received): as sent, and as a JSON string escapes them.
 */
export function proofRedactor(delivery: Delivery, secret: string | undefined): (text: string) => string {
  const proofNames = proofHeaderNames(delivery);
  const proofs = Object.entries(headersToSend(delivery))
    .filter(([name]) => proofNames.has(lower(name)))
    .map(([, value]) => value);
  const hidden = [...new Set([...proofs, ...(secret ? [secret] : [])].flatMap(withJsonEscaped))]
    .filter((value) => value !== '')
    // The longest first: a signature's hex must go before a secret that happens to be part of it.
    .sort((a, b) => b.length - a.length);
  return (text) => hidden.reduce((redacted, value) => redacted.split(value).join(REDACTED), text);
}

const withJsonEscaped = (value: string) => [value, JSON.stringify(value).slice(1, -1)];

/** Lower-cased names of the headers that carry the proof (signatures, or GitLab's token). */
function proofHeaderNames(delivery: Delivery): Set<string> {
  const signing = formatOf(delivery.provider).signing;
  return new Set(
    (signing.kind === 'token' ? [signing.header] : signing.headers.map((h) => h.name)).map(lower),
  );
}

/** The ID a backend logs for this delivery: X-GitHub-Delivery, X-Gitlab-Event-UUID, X-Request-UUID, X-Delivery-ID. */
export function deliveryIdOf(delivery: Delivery): string {
  return headerValue(delivery.headers, formatOf(delivery.provider).idHeader) ?? delivery.id;
}

/**
 * Whether `headers` and `body`, as a backend received them, carry a valid proof of `secret` for `provider`:
 * the provider's signature header must be there once and match, and so must any extra one it sends
 * (GitHub's X-Hub-Signature) when present; for GitLab the token must equal the secret. Header names match
 * in any case.
 */
export function verifySignature(
  provider: Provider,
  headers: Readonly<Record<string, string | undefined>>,
  body: Buffer,
  secret: string,
): boolean {
  return proofHolds(formatOf(provider).signing, (name) => headerValue(headers, name), body, secret);
}

/** The value of header `name` in any case; undefined when absent or given twice in different cases. */
function headerValue(
  headers: Readonly<Record<string, string | undefined>>,
  name: string,
): string | undefined {
  const matches = Object.getOwnPropertyNames(headers).filter((key) => lower(key) === lower(name));
  return matches.length === 1 ? headers[matches[0] as string] : undefined;
}

function redact(value: string): string {
  const prefix = /^(sha1|sha256)=/.exec(value);
  return prefix ? `${prefix[0]}${REDACTED}` : REDACTED;
}

function lower(name: string): string {
  return name.toLowerCase();
}
