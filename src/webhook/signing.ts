/**
 * Proving a delivery comes from someone who knows the secret, and checking that proof on what a backend
 * received. Comparisons are timing-safe; nothing here returns or throws the secret.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { InvalidSecretError } from './errors.ts';
import type { HmacAlgorithm, SigningScheme } from './provider-format.ts';

/** `sha256=<hex HMAC of the body bytes>`, the form GitHub, Bitbucket Cloud and the generic provider send. */
export function hmacSignature(algorithm: HmacAlgorithm, secret: string, body: Buffer): string {
  return `${algorithm}=${createHmac(algorithm, secret).update(body).digest('hex')}`;
}

/** The headers that carry the proof, by name; a token scheme's header holds the (cleaned) secret itself. */
export function proofHeaders(scheme: SigningScheme, secret: string, body: Buffer): Record<string, string> {
  if (secret === '') {
    throw new InvalidSecretError(
      'the webhook secret is empty',
      'an empty secret proves nothing; providers treat it as no secret at all',
    );
  }
  if (scheme.kind === 'token') return { [scheme.header]: tokenOf(secret) };
  return Object.fromEntries(
    scheme.headers.map(({ name, algorithm }) => [name, hmacSignature(algorithm, secret, body)]),
  );
}

/** True when the scheme's proof headers match `body` under `secret`; `headerOf` finds a received header. */
export function proofHolds(
  scheme: SigningScheme,
  headerOf: (name: string) => string | undefined,
  body: Buffer,
  secret: string,
): boolean {
  if (secret === '') return false;
  if (scheme.kind === 'token') {
    const received = headerOf(scheme.header);
    return received !== undefined && sameSecretly(received, secret.replace(/\r?\n/g, ''));
  }
  // The first header is required; the others (GitHub's SHA-1 form) must match when a proxy kept them.
  return scheme.headers.every(({ name, algorithm }, index) => {
    const received = headerOf(name);
    if (received === undefined) return index > 0;
    return sameSecretly(received, hmacSignature(algorithm, secret, body));
  });
}

/** Timing-safe equality that also hides the length: both sides are hashed to the same size first. */
export function sameSecretly(a: string, b: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();
  return timingSafeEqual(digest(a), digest(b));
}

/**
 * The token as GitLab sends it: line breaks removed (as GitLab does), and only characters a header value
 * carries unchanged, so what arrives is what the backend compares with its Secret.
 */
function tokenOf(secret: string): string {
  const token = secret.replace(/\r?\n/g, '');
  if (!/^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/.test(token)) {
    throw new InvalidSecretError(
      'the GitLab secret token cannot be sent as a header',
      'it is sent as is in X-Gitlab-Token, so it must be printable ASCII without leading or trailing spaces',
    );
  }
  return token;
}
