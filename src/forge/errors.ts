/**
 * A provider's refusal, classified: each provider's module reads its own error bodies and headers into
 * one of these kinds; the webhook service turns them into errors that name the fix. Pure.
 */
import type { ForgeProvider } from './types.ts';

export type ForgeErrorKind =
  /** 401: no valid token. */
  | 'unauthorized'
  /** The token lacks the scope (or permission) to manage hooks. */
  | 'missing-scope'
  /** The token is fine, the user may not manage this repository's hooks. */
  | 'forbidden'
  /** No such repository (or hook), or one the token cannot see. */
  | 'not-found'
  /** The provider will not send to the hook's URL. */
  | 'url-refused'
  /** Another refusal of what was sent. */
  | 'invalid'
  | 'rate-limited'
  /** 5xx, or an answer that is not the provider's API. */
  | 'server';

export interface ForgeErrorDetails {
  /** Scopes the token has and scopes the endpoint accepts, where the provider says (GitHub's X-OAuth-Scopes). */
  scopes?: { held: string[]; accepted: string[] };
}

export class ForgeError extends Error {
  constructor(
    readonly provider: ForgeProvider,
    readonly kind: ForgeErrorKind,
    readonly status: number,
    /** What the request was, e.g. "GET /repos/o/r/hooks". */
    readonly request: string,
    /** The provider's own message, as it gave it. */
    readonly providerMessage: string,
    readonly details: ForgeErrorDetails = {},
  ) {
    super(`${request}: ${status} ${providerMessage}`.trim());
    this.name = 'ForgeError';
  }
}

/** The kind a status means when the body says nothing more specific. */
export function kindOfStatus(status: number): ForgeErrorKind {
  if (status === 401) return 'unauthorized';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'not-found';
  if (status === 429) return 'rate-limited';
  if (status >= 500) return 'server';
  return 'invalid';
}

/** Whether a provider's validation message is about the hook's URL. */
export const aboutUrl = (text: string) => /\burl\b|\bhost\b|local network|public internet/i.test(text);
