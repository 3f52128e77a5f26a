/** What each provider wants of a token that manages repository webhooks, for errors that name the fix. */
import type { ForgeProvider } from './types.ts';

export interface ForgeHelp {
  /** The environment variables the token is read from, first found wins. */
  tokenVariables: readonly string[];
  /** The scope (or permission) a token needs. */
  scope: string;
  /** How to get a token with it. */
  scopeFix: string;
  /** The role on the repository that may manage its hooks. */
  role: string;
}

export const FORGE_HELP: Readonly<Record<ForgeProvider, ForgeHelp>> = {
  github: {
    tokenVariables: ['GITHUB_TOKEN', 'GH_TOKEN'],
    scope:
      'admin:repo_hook (a classic token; repo includes it for hooks), or the Webhooks repository permission, read and write (a fine-grained token)',
    scopeFix:
      'gh auth refresh --scopes admin:repo_hook, or a token from https://github.com/settings/tokens with admin:repo_hook',
    role: 'an admin of the repository',
  },
  gitlab: {
    tokenVariables: ['GITLAB_TOKEN'],
    scope: 'api',
    scopeFix: 'a personal, project or group access token with the api scope (User settings, Access tokens)',
    role: 'a Maintainer or Owner of the project',
  },
  gitea: {
    tokenVariables: ['GITEA_TOKEN'],
    scope: 'write:repository',
    scopeFix: 'a token with the write:repository scope (Settings, Applications, Generate New Token)',
    role: 'an admin of the repository',
  },
};
