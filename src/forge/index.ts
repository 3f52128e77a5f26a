/** The forge a webhook command talks to: its API URL, the repository, and the provider's client. */
import { usageError } from '../errors.ts';
import type { ForgeApiOptions } from './client.ts';
import { giteaApi } from './gitea.ts';
import { GITHUB_API_URL, githubApi } from './github.ts';
import { GITLAB_API_URL, gitlabApi } from './gitlab.ts';
import { type ForgeApi, type ForgeProvider, FORGE_PROVIDERS, type RepositoryRef } from './types.ts';

export { ForgeError } from './errors.ts';
export { forgeToken, type ForgeToken } from './credentials.ts';
export { DEFAULT_EVENTS, hookEventsFor, parseEvents, sameEvents, storedEvents } from './events.ts';
export { FORGE_HELP } from './help.ts';
export * from './types.ts';

export function parseForgeProvider(name: string): ForgeProvider {
  if ((FORGE_PROVIDERS as readonly string[]).includes(name)) return name as ForgeProvider;
  throw usageError(
    `--provider ${name} is not a provider whose webhooks this can manage`,
    `use one of ${FORGE_PROVIDERS.join(', ')}`,
  );
}

/** The API path below a server's root: GitHub Enterprise Server /api/v3, GitLab /api/v4, Gitea /api/v1. */
const API_PATH: Readonly<Record<ForgeProvider, string>> = {
  github: '/api/v3',
  gitlab: '/api/v4',
  gitea: '/api/v1',
};

/**
 * The API's base URL: --api-url as given when it has a path, else the server's root plus the provider's
 * API path (https://gitea.example.com becomes https://gitea.example.com/api/v1); without --api-url,
 * api.github.com or gitlab.com. Gitea has no default.
 */
export function resolveApiUrl(provider: ForgeProvider, given: string | undefined): string {
  if (given === undefined) {
    if (provider === 'github') return GITHUB_API_URL;
    if (provider === 'gitlab') return GITLAB_API_URL;
    throw usageError('--api-url is needed for Gitea', 'there is no public Gitea everyone uses', [
      '--api-url https://gitea.example.com',
    ]);
  }
  let url: URL;
  try {
    url = new URL(given);
  } catch {
    throw usageError(`--api-url ${given} is not a URL`, undefined, [
      'e.g. --api-url https://gitea.example.com',
    ]);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw usageError(`--api-url ${given} is not an http(s) URL`, undefined, [
      'e.g. --api-url https://gitea.example.com',
    ]);
  if (url.search || url.hash || url.username || url.password)
    throw usageError(
      `--api-url ${given} must not carry a query, fragment or credentials`,
      'the token comes from the environment',
    );
  const path = url.pathname.replace(/\/+$/, '');
  const api = provider === 'github' && url.hostname === 'api.github.com' ? '' : API_PATH[provider];
  return `${url.origin}${path || api}`;
}

/** OWNER/REPO (GitLab: GROUP/…/PROJECT). */
export function parseRepository(provider: ForgeProvider, text: string): RepositoryRef {
  const parts = text
    .trim()
    .replace(/^\/+|\/+$/g, '')
    .split('/');
  const nested = provider === 'gitlab';
  const valid =
    parts.length >= 2 && (nested || parts.length === 2) && parts.every((part) => /^[\w.-]+$/.test(part));
  if (!valid) {
    throw usageError(
      `--repo ${text} is not OWNER/REPO`,
      nested ? 'GitLab projects are GROUP/PROJECT, or GROUP/SUBGROUP/…/PROJECT' : undefined,
      ['e.g. --repo octo-org/app'],
    );
  }
  return { owner: parts.slice(0, -1).join('/'), name: parts.at(-1) ?? '' };
}

export function forgeApi(provider: ForgeProvider, options: ForgeApiOptions): ForgeApi {
  if (provider === 'github') return githubApi(options);
  if (provider === 'gitlab') return gitlabApi(options);
  return giteaApi(options);
}
