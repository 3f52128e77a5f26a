/**
 * The token for a provider's API, as each ecosystem keeps it: GITHUB_TOKEN or GH_TOKEN (else what
 * `gh auth token` prints, when the GitHub CLI is installed and logged in), GITLAB_TOKEN, GITEA_TOKEN.
 * The token is never printed: only where it came from is.
 */
import { execFileSync } from 'node:child_process';
import { ExitCode, GatewayError } from '../errors.ts';
import { FORGE_HELP } from './help.ts';
import { FORGE_NAMES, type ForgeProvider } from './types.ts';

export interface ForgeToken {
  value: string;
  /** Where it was found: GITHUB_TOKEN, gh auth token, … */
  source: string;
}

export interface TokenSources {
  env: Record<string, string | undefined>;
  /** `gh auth token --hostname HOST`; undefined when gh is missing or not logged in there. */
  ghAuthToken: (host: string) => string | undefined;
}

function ghAuthToken(host: string): string | undefined {
  try {
    const token = execFileSync('gh', ['auth', 'token', '--hostname', host], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 10_000,
    }).trim();
    return token || undefined;
  } catch {
    return undefined;
  }
}

export const DEFAULT_TOKEN_SOURCES: TokenSources = {
  // Read when asked: the environment is the one the command runs in.
  get env() {
    return process.env;
  },
  ghAuthToken,
};

/** The host gh knows a GitHub API by: github.com for api.github.com, else the API's own host. */
export function githubHost(apiUrl: string): string {
  const host = new URL(apiUrl).hostname;
  return host === 'api.github.com' ? 'github.com' : host;
}

export function forgeToken(
  provider: ForgeProvider,
  apiUrl: string,
  sources: TokenSources = DEFAULT_TOKEN_SOURCES,
): ForgeToken {
  const help = FORGE_HELP[provider];
  for (const name of help.tokenVariables) {
    const value = sources.env[name]?.trim();
    if (value) return { value, source: name };
  }
  if (provider === 'github') {
    const value = sources.ghAuthToken(githubHost(apiUrl));
    if (value) return { value, source: 'gh auth token' };
  }
  const variables = help.tokenVariables.join(' or ');
  throw new GatewayError(`no ${FORGE_NAMES[provider]} token: ${variables} is not set`, {
    why: `webhook commands call ${apiUrl} with a token that may manage the repository's hooks (${help.scope})`,
    next: [
      `export ${help.tokenVariables[0]}=… (${help.scopeFix})`,
      ...(provider === 'github'
        ? [
            `or log in with the GitHub CLI: gh auth login --hostname ${githubHost(apiUrl)} --scopes admin:repo_hook`,
          ]
        : []),
    ],
    exitCode: ExitCode.environment,
  });
}
