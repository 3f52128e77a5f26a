/**
 * A provider's refusal, or a failure to reach it, as an error that says what happened, why and what
 * fixes it: the token's scope, the repository's name, the hook's URL. Never the token itself.
 */
import { ExitCode, GatewayError } from '../errors.ts';
import { FORGE_HELP, FORGE_NAMES, ForgeError, type ForgeProvider } from '../forge/index.ts';
import { explainProxyError, explainTimeout } from '../kube/errors.ts';
import { RequestTimeoutError } from '../kube/transport.ts';
import { ProxyError } from '../kube/tunnel.ts';

export interface ForgeContext {
  provider: ForgeProvider;
  apiUrl: string;
  repository: string;
  /** Where the token came from (GITHUB_TOKEN, gh auth token, …). */
  tokenSource: string;
  /** The hook URL being registered, for a refusal of it. */
  hookUrl?: string;
}

function explainRefusal(error: ForgeError, context: ForgeContext): GatewayError {
  const name = FORGE_NAMES[context.provider];
  const help = FORGE_HELP[context.provider];
  const answer = `${error.status} ${error.providerMessage}`;
  const details = (message: string, why: string, next: string[], exitCode: GatewayError['exitCode']) =>
    new GatewayError(message, { why, next, exitCode, cause: error });
  switch (error.kind) {
    case 'unauthorized':
      return details(
        `${name} refused the token from ${context.tokenSource} (${answer})`,
        'the token is wrong, expired or revoked, or belongs to another server than --api-url',
        [`set ${help.tokenVariables[0]} to a valid token: ${help.scopeFix}`],
        ExitCode.unauthorized,
      );
    case 'missing-scope': {
      const scopes = error.details.scopes;
      const held = scopes?.held.length ? `; the token has ${scopes.held.join(', ')}` : '';
      return details(
        `the token from ${context.tokenSource} may not manage the webhooks of ${context.repository} (${answer})`,
        `managing webhooks takes ${help.scope}${held}`,
        [help.scopeFix],
        ExitCode.forbidden,
      );
    }
    case 'forbidden':
      return details(
        `${name} does not let the token's user manage the webhooks of ${context.repository} (${answer})`,
        `managing a repository's webhooks takes ${help.role}`,
        [`ask an admin of ${context.repository} for that role, or use their token`],
        ExitCode.forbidden,
      );
    case 'not-found':
      return details(
        `${name} has no repository ${context.repository} that the token can see (${answer})`,
        context.provider === 'github'
          ? 'GitHub answers 404 both for a repository that does not exist and for one the token may not read or administer'
          : `no such repository at ${context.apiUrl}, or the token's user cannot see it`,
        [
          'check --repo OWNER/REPO',
          `check --api-url (now ${context.apiUrl})${context.provider === 'github' ? ': GitHub Enterprise Server is https://HOST/api/v3' : ''}`,
        ],
        ExitCode.clusterState,
      );
    case 'url-refused':
      return details(
        `${name} refused the hook URL ${context.hookUrl ?? ''} (${answer})`,
        `${name} must be able to reach the URL; it may refuse plain http, and private or loopback addresses unless its administrator allows them`,
        [
          'give the address the provider reaches the gateway at: --url https://hooks.example.com',
          'or expose the gateway with a public https host: kubectl trigger-gateway install --host hooks.example.com --tls-secret hooks-tls',
        ],
        ExitCode.clusterState,
      );
    case 'invalid':
      return details(
        `${name} refused the webhook for ${context.repository} (${answer})`,
        'the provider did not accept what was sent; its message says why',
        ['check --events and --url'],
        ExitCode.clusterState,
      );
    case 'rate-limited':
      return details(
        `${name}'s API rate limit stopped the request (${answer})`,
        'too many requests with this token for now',
        ['wait a minute, then run the command again'],
        ExitCode.unreachable,
      );
    case 'server':
      return details(
        `${name}'s API at ${context.apiUrl} failed (${answer})`,
        'the provider answered with an error of its own, or something else answered at --api-url',
        [`check --api-url (now ${context.apiUrl}), then run the command again`],
        ExitCode.unreachable,
      );
  }
}

/** Any error a provider call threw, as a GatewayError. */
export function explainForgeError(error: unknown, context: ForgeContext, doing: string): GatewayError {
  if (error instanceof GatewayError) return error;
  if (error instanceof ForgeError) return explainRefusal(error, context);
  const where = `${FORGE_NAMES[context.provider]}'s API at ${new URL(context.apiUrl).origin}`;
  if (error instanceof ProxyError) return explainProxyError(error, where);
  if (error instanceof RequestTimeoutError)
    return explainTimeout(error, where, doing, [`check --api-url (now ${context.apiUrl})`]);
  const code = (error as { code?: unknown }).code;
  return new GatewayError(`cannot reach ${where}`, {
    why: `${error instanceof Error ? error.message : String(error)}${typeof code === 'string' ? ` (${code})` : ''}`,
    next: [
      `check --api-url (now ${context.apiUrl})`,
      'a proxy is taken from HTTPS_PROXY and NO_PROXY, as for the cluster',
    ],
    exitCode: ExitCode.unreachable,
    cause: error,
  });
}

/** Runs one provider call, its failure explained. */
export async function forgeCall<T>(context: ForgeContext, doing: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw explainForgeError(error, context, doing);
  }
}
