/**
 * GitHub's repository webhooks REST API (api.github.com, or GitHub Enterprise Server's /api/v3), as its
 * published OpenAPI description (github/rest-api-description, version 2022-11-28) describes it:
 * /repos/{owner}/{repo}/hooks, /hooks/{id}, /hooks/{id}/config and /hooks/{id}/deliveries; errors as
 * basic-error and validation-error bodies, scopes in X-OAuth-Scopes and X-Accepted-OAuth-Scopes.
 */
import type { Answer } from '../kube/transport.ts';
import {
  type ConfigHook,
  errorBody,
  ForgeClient,
  type ForgeApiOptions,
  fromConfigHook,
  headerText,
  repositoryPath as repoPath,
} from './client.ts';
import { aboutUrl, ForgeError, kindOfStatus } from './errors.ts';
import type { ForgeApi, ForgeHook, HookSpec, LastDelivery, SentDelivery } from './types.ts';

export const GITHUB_API_URL = 'https://api.github.com';
const API_VERSION = '2022-11-28';

interface GitHubHook extends ConfigHook {
  config: ConfigHook['config'] & { insecure_ssl?: string | number; secret?: string };
}

interface GitHubDelivery {
  id: number;
  guid: string;
  delivered_at: string;
  status: string;
  status_code: number;
  event: string;
}

/** Classic token scopes that include others (GitHub's scope hierarchy for hooks). */
const SCOPE_PARENTS: Readonly<Record<string, string[]>> = {
  'read:repo_hook': ['write:repo_hook', 'admin:repo_hook'],
  'write:repo_hook': ['admin:repo_hook'],
};

const scopeList = (value: string | string[] | undefined) =>
  headerText(value)
    .split(',')
    .map((scope) => scope.trim())
    .filter(Boolean);

function holdsOneOf(held: string[], accepted: string[]): boolean {
  return accepted.some(
    (scope) => held.includes(scope) || (SCOPE_PARENTS[scope] ?? []).some((parent) => held.includes(parent)),
  );
}

/** GitHub's refusal, classified: a 404 or 403 for a classic token without the scope is missing-scope. */
export function explainGitHub(answer: Answer, request: string): ForgeError {
  const body = errorBody(answer);
  const errors = Array.isArray(body?.errors) ? (body.errors as Array<Record<string, unknown>>) : [];
  const detail = errors
    .map((error) => [error.field, error.message ?? error.code].filter(Boolean).join(' '))
    .filter(Boolean)
    .join('; ');
  const message = [typeof body?.message === 'string' ? body.message : `HTTP ${answer.status}`, detail]
    .filter(Boolean)
    .join(': ');
  const fail = (kind: ForgeError['kind'], details?: ForgeError['details']) =>
    new ForgeError('github', kind, answer.status, request, message, details);
  if (answer.status === 401) return fail('unauthorized');
  const accepted = scopeList(answer.headers['x-accepted-oauth-scopes']);
  // A classic token says which scopes it has; one without an accepted scope gets a 404 or a 403.
  if (
    (answer.status === 403 || answer.status === 404) &&
    answer.headers['x-oauth-scopes'] !== undefined &&
    accepted.length > 0
  ) {
    const held = scopeList(answer.headers['x-oauth-scopes']);
    if (!holdsOneOf(held, accepted)) return fail('missing-scope', { scopes: { held, accepted } });
  }
  if (answer.status === 403 || answer.status === 429) {
    if (headerText(answer.headers['x-ratelimit-remaining']) === '0' || /rate limit/i.test(message))
      return fail('rate-limited');
    // Fine-grained tokens and GitHub Apps without the Webhooks permission.
    if (/not accessible by/i.test(message)) return fail('missing-scope');
  }
  if (answer.status === 422) return fail(aboutUrl(detail || message) ? 'url-refused' : 'invalid');
  return fail(kindOfStatus(answer.status));
}

const toHook = (hook: GitHubHook): ForgeHook =>
  fromConfigHook(hook, {
    verifiesTls: String(hook.config.insecure_ssl ?? '0') === '0',
    // GitHub shows a set secret as "********".
    hasSecret: Boolean(hook.config.secret),
  });

export function githubApi(options: ForgeApiOptions): ForgeApi {
  const client = new ForgeClient({
    provider: 'github',
    apiUrl: options.apiUrl,
    headers: {
      Authorization: `Bearer ${options.token}`,
      Accept: 'application/vnd.github+json',
      'X-GitHub-Api-Version': API_VERSION,
    },
    timeoutMs: options.timeoutMs,
    explain: explainGitHub,
    send: options.send,
  });
  const config = (spec: HookSpec) => ({
    url: spec.url,
    content_type: 'json',
    insecure_ssl: '0',
    ...(spec.secret === undefined ? {} : { secret: spec.secret }),
  });
  return {
    provider: 'github',
    apiUrl: options.apiUrl,
    async listHooks(repo) {
      return (await client.list<GitHubHook>(`${repoPath(repo)}/hooks?per_page=100`)).map(toHook);
    },
    async createHook(repo, spec) {
      const body = { name: 'web', active: true, events: spec.events, config: config(spec) };
      return toHook((await client.request<GitHubHook>('POST', `${repoPath(repo)}/hooks`, body)).data);
    },
    async updateHook(repo, hook, spec) {
      const path = `${repoPath(repo)}/hooks/${hook.id}`;
      // A PATCH with a config but no secret removes the secret: without one to set, the config is
      // changed through /config, which changes only what it is given.
      if (spec.secret !== undefined) {
        const body = { active: true, events: spec.events, config: config(spec) };
        return toHook((await client.request<GitHubHook>('PATCH', path, body)).data);
      }
      if (hook.contentType !== 'json' || hook.verifiesTls !== true)
        await client.request('PATCH', `${path}/config`, { content_type: 'json', insecure_ssl: '0' });
      return toHook(
        (await client.request<GitHubHook>('PATCH', path, { active: true, events: spec.events })).data,
      );
    },
    async deleteHook(repo, hook) {
      await client.request('DELETE', `${repoPath(repo)}/hooks/${hook.id}`);
    },
    async testHook(repo, hook) {
      // GitHub sends the repository's latest push, and nothing when the hook is not subscribed to push.
      await client.request('POST', `${repoPath(repo)}/hooks/${hook.id}/tests`);
    },
    async recentDeliveries(repo, hook): Promise<SentDelivery[]> {
      const path = `${repoPath(repo)}/hooks/${hook.id}/deliveries?per_page=30`;
      return (await client.request<GitHubDelivery[]>('GET', path)).data.map((delivery) => ({
        key: String(delivery.id),
        id: delivery.guid,
        event: delivery.event,
        // 0: no answer (GitHub could not connect, or gave up waiting).
        status: delivery.status_code || undefined,
      }));
    },
    async deliveryResponse(repo, hook, delivery) {
      const path = `${repoPath(repo)}/hooks/${hook.id}/deliveries/${encodeURIComponent(delivery.key)}`;
      const detail = await client.request<{ response?: { payload?: string | null } }>('GET', path);
      return detail.data.response?.payload ?? undefined;
    },
    async lastDelivery(repo, hook): Promise<LastDelivery> {
      const path = `${repoPath(repo)}/hooks/${hook.id}/deliveries?per_page=1`;
      const newest = (await client.request<GitHubDelivery[]>('GET', path)).data[0];
      if (!newest) return { kind: 'none' };
      return {
        kind: 'delivered',
        ok: newest.status_code >= 200 && newest.status_code < 300,
        code: newest.status_code || undefined,
        status: newest.status,
        at: newest.delivered_at,
      };
    },
  };
}
