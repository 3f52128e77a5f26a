/**
 * Gitea's repository webhooks API (/api/v1), as Gitea v1.26.0 serves it (routers/api/v1/repo/hook.go):
 * /repos/{owner}/{repo}/hooks of type "gitea", paginated with page/limit and Link headers; errors as
 * {"message": …, "url": …}. Its edit endpoint keeps a hook's secret whatever it is sent, so a hook whose
 * secret must change is replaced. Its API has no delivery history; /hooks/{id}/tests sends a push.
 */
import type { Answer } from '../kube/transport.ts';
import {
  type ConfigHook,
  errorBody,
  ForgeClient,
  type ForgeApiOptions,
  fromConfigHook,
  repositoryPath as repoPath,
} from './client.ts';
import { aboutUrl, ForgeError, kindOfStatus } from './errors.ts';
import type { ForgeApi, ForgeHook, HookSpec, LastDelivery, RepositoryRef } from './types.ts';

/** Gitea's scope refusal: "token does not have at least one of required scope(s), required=[write:repository], token scope=read:user". */
const SCOPE_REFUSAL = /required scope\(s\), required=\[([^\]]*)\], token scope=(.*)$/;

export function explainGitea(answer: Answer, request: string): ForgeError {
  const body = errorBody(answer);
  const message = typeof body?.message === 'string' && body.message ? body.message : `HTTP ${answer.status}`;
  const fail = (kind: ForgeError['kind'], details?: ForgeError['details']) =>
    new ForgeError('gitea', kind, answer.status, request, message, details);
  const scopes = SCOPE_REFUSAL.exec(message);
  if (answer.status === 403 && scopes) {
    const list = (text: string) => text.split(/[\s,]+/).filter(Boolean);
    return fail('missing-scope', {
      scopes: { held: list(scopes[2] ?? ''), accepted: list(scopes[1] ?? '') },
    });
  }
  if (answer.status === 422) return fail(aboutUrl(message) ? 'url-refused' : 'invalid');
  return fail(kindOfStatus(answer.status));
}

// Gitea checks certificates unless its administrator set [webhook] SKIP_TLS_VERIFY; it never shows a secret.
const toHook = (hook: ConfigHook): ForgeHook =>
  fromConfigHook(hook, { verifiesTls: undefined, hasSecret: undefined });

export function giteaApi(options: ForgeApiOptions): ForgeApi {
  const client = new ForgeClient({
    provider: 'gitea',
    apiUrl: options.apiUrl,
    headers: { Authorization: `token ${options.token}` },
    timeoutMs: options.timeoutMs,
    explain: explainGitea,
    send: options.send,
  });
  const config = (spec: HookSpec) => ({
    url: spec.url,
    content_type: 'json',
    ...(spec.secret === undefined ? {} : { secret: spec.secret }),
  });
  const create = async (repo: RepositoryRef, spec: HookSpec) => {
    const body = { type: 'gitea', active: true, events: spec.events, config: config(spec) };
    return toHook((await client.request<ConfigHook>('POST', `${repoPath(repo)}/hooks`, body)).data);
  };
  const remove = async (repo: RepositoryRef, hook: ForgeHook) => {
    await client.request('DELETE', `${repoPath(repo)}/hooks/${hook.id}`);
  };
  return {
    provider: 'gitea',
    apiUrl: options.apiUrl,
    async listHooks(repo) {
      return (await client.list<ConfigHook>(`${repoPath(repo)}/hooks?limit=50`)).map(toHook);
    },
    createHook: create,
    async updateHook(repo, hook, spec) {
      if (spec.secret === undefined) {
        const body = { active: true, events: spec.events, config: config(spec) };
        return toHook(
          (await client.request<ConfigHook>('PATCH', `${repoPath(repo)}/hooks/${hook.id}`, body)).data,
        );
      }
      // The new hook first, so that no push goes unsent; the old one must then go, or the new one does.
      const replacement = await create(repo, spec);
      try {
        await remove(repo, hook);
      } catch (error) {
        await remove(repo, replacement).catch(() => undefined);
        throw error;
      }
      return replacement;
    },
    deleteHook: remove,
    async testHook(repo, hook) {
      // Gitea sends the default branch's latest commit as a push, and nothing for an empty repository.
      await client.request('POST', `${repoPath(repo)}/hooks/${hook.id}/tests`);
    },
    // Its API names no delivery: the gateway's own record is where to find one.
    recentDeliveries: async () => undefined,
    deliveryResponse: async () => undefined,
    async lastDelivery(): Promise<LastDelivery> {
      return {
        kind: 'unavailable',
        why: "Gitea's API has no delivery history (its web UI shows it under the repository's Settings, Webhooks)",
      };
    },
  };
}
