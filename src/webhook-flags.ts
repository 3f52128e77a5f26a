/** The flags every `webhook` command shares: which provider, which repository, which gateway address. */
import { Flags } from '@oclif/core';
import { FORGE_PROVIDERS } from './forge/types.ts';

export const webhookFlags = {
  repo: Flags.string({
    summary: 'The repository: OWNER/REPO (GitLab: GROUP/…/PROJECT).',
    required: true,
    helpGroup: 'PROVIDER',
  }),
  provider: Flags.option({
    options: FORGE_PROVIDERS,
    summary: 'The provider.',
    default: 'github' as const,
    helpGroup: 'PROVIDER',
  })(),
  'api-url': Flags.string({
    summary:
      "The provider's API: GitHub Enterprise, self-managed GitLab, any Gitea (e.g. https://gitea.example.com; default api.github.com or gitlab.com).",
    helpGroup: 'PROVIDER',
  }),
  url: Flags.string({
    summary:
      "The gateway's public base URL, instead of the address status reports (its Ingress, HTTPRoute or Route).",
  }),
};

/** The shared flags as the service's target request. */
export function webhookTarget(flags: {
  repo: string;
  provider: string;
  'api-url'?: string | undefined;
  url?: string | undefined;
}) {
  return { repo: flags.repo, provider: flags.provider, apiUrl: flags['api-url'], url: flags.url };
}
