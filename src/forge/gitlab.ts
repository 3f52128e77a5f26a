/**
 * GitLab's project webhooks REST API (/api/v4, gitlab.com or self-managed), as its documentation
 * describes it (doc/api/project_webhooks.md): /projects/:id/hooks with one flag per event, the secret
 * as `token`, /hooks/:hook_id/events (GitLab 17.3+) for recent deliveries; errors as {"message": …}
 * (a string, or per field a list for validation errors) and 403 insufficient_scope.
 */
import type { Answer } from '../kube/transport.ts';
import { errorBody, ForgeClient, type ForgeApiOptions } from './client.ts';
import { aboutUrl, ForgeError, kindOfStatus } from './errors.ts';
import { GITLAB_EVENTS } from './events.ts';
import type { ForgeApi, ForgeHook, HookSpec, LastDelivery, RepositoryRef, SentDelivery } from './types.ts';

export const GITLAB_API_URL = 'https://gitlab.com/api/v4';

type GitLabHook = {
  id: number;
  url: string;
  enable_ssl_verification?: boolean;
  alert_status?: string;
} & Record<string, unknown>;

interface GitLabHookEvent {
  id: number;
  trigger?: string;
  request_headers?: Record<string, string>;
  response_status?: string | number;
  response_body?: string;
}

/** An event's response_status as a number; undefined for "internal error" and the like (no answer). */
function statusOf(value: string | number | undefined): number | undefined {
  const code = Number(value);
  return Number.isInteger(code) && code > 0 ? code : undefined;
}

/** A header of a recorded request, whatever its case. */
const recordedHeader = (headers: Record<string, string> | undefined, name: string) =>
  Object.entries(headers ?? {}).find(([key]) => key.toLowerCase() === name)?.[1];

/** {"url": ["is blocked: …"]} as "url is blocked: …"; a string as it is. */
function messageText(message: unknown): string {
  if (typeof message === 'string') return message;
  if (typeof message !== 'object' || message === null) return '';
  return Object.entries(message as Record<string, unknown>)
    .map(([field, value]) =>
      Array.isArray(value)
        ? value.map((text) => `${field} ${String(text)}`).join('; ')
        : `${field} ${messageText(value)}`,
    )
    .join('; ');
}

export function explainGitLab(answer: Answer, request: string): ForgeError {
  const body = errorBody(answer);
  const message =
    messageText(body?.message) ||
    [body?.error, body?.error_description].filter((part) => typeof part === 'string').join(': ') ||
    `HTTP ${answer.status}`;
  const fail = (kind: ForgeError['kind'], details?: ForgeError['details']) =>
    new ForgeError('gitlab', kind, answer.status, request, message, details);
  if (answer.status === 403 && body?.error === 'insufficient_scope') {
    const accepted = typeof body.scope === 'string' ? body.scope.split(' ') : [];
    return fail('missing-scope', { scopes: { held: [], accepted } });
  }
  if (answer.status === 400 || answer.status === 422)
    return fail(aboutUrl(message) ? 'url-refused' : 'invalid');
  return fail(kindOfStatus(answer.status));
}

function toHook(hook: GitLabHook): ForgeHook {
  return {
    id: String(hook.id),
    url: hook.url,
    events: GITLAB_EVENTS.filter((event) => hook[event.field] === true).map((event) => event.header),
    active: hook.alert_status !== 'disabled',
    contentType: 'json',
    verifiesTls: hook.enable_ssl_verification === true,
    hasSecret: undefined,
    ...(hook.alert_status ? { health: hook.alert_status } : {}),
  };
}

const projectPath = (repo: RepositoryRef) => `/projects/${encodeURIComponent(`${repo.owner}/${repo.name}`)}`;

/** Every flag set explicitly: GitLab turns push_events on when it is not given. */
function hookBody(spec: HookSpec): Record<string, unknown> {
  return {
    url: spec.url,
    enable_ssl_verification: true,
    ...Object.fromEntries(GITLAB_EVENTS.map((event) => [event.field, spec.events.includes(event.header)])),
    ...(spec.secret === undefined ? {} : { token: spec.secret }),
  };
}

export function gitlabApi(options: ForgeApiOptions): ForgeApi {
  const client = new ForgeClient({
    provider: 'gitlab',
    apiUrl: options.apiUrl,
    // Personal, project, group and OAuth tokens all work as a bearer token.
    headers: { Authorization: `Bearer ${options.token}` },
    timeoutMs: options.timeoutMs,
    explain: explainGitLab,
    send: options.send,
  });
  /** The hook's newest events (GitLab 17.3+); undefined for a GitLab without the API. */
  const events = async (repo: RepositoryRef, hook: ForgeHook, perPage: number) => {
    try {
      const path = `${projectPath(repo)}/hooks/${hook.id}/events?per_page=${perPage}`;
      return (await client.request<GitLabHookEvent[]>('GET', path)).data;
    } catch (error) {
      if (error instanceof ForgeError && error.kind === 'not-found') return undefined;
      throw error;
    }
  };
  return {
    provider: 'gitlab',
    apiUrl: options.apiUrl,
    async listHooks(repo) {
      return (await client.list<GitLabHook>(`${projectPath(repo)}/hooks?per_page=100`)).map(toHook);
    },
    async createHook(repo, spec) {
      return toHook(
        (await client.request<GitLabHook>('POST', `${projectPath(repo)}/hooks`, hookBody(spec))).data,
      );
    },
    async updateHook(repo, hook, spec) {
      // The URL stays the same, so GitLab keeps the token when none is given.
      const path = `${projectPath(repo)}/hooks/${hook.id}`;
      return toHook((await client.request<GitLabHook>('PUT', path, hookBody(spec))).data);
    },
    async deleteHook(repo, hook) {
      await client.request('DELETE', `${projectPath(repo)}/hooks/${hook.id}`);
    },
    async testHook(repo, hook) {
      // GitLab sends it before answering: 201 when the receiver took it, 422 with its reason when not.
      await client.request('POST', `${projectPath(repo)}/hooks/${hook.id}/test/push_events`);
    },
    async recentDeliveries(repo, hook): Promise<SentDelivery[] | undefined> {
      return (await events(repo, hook, 20))?.map((event) => ({
        key: String(event.id),
        id: recordedHeader(event.request_headers, 'x-gitlab-event-uuid'),
        event: event.trigger ?? '',
        status: statusOf(event.response_status),
        responseBody: event.response_body,
      }));
    },
    deliveryResponse: async (_repo, _hook, delivery) => delivery.responseBody,
    async lastDelivery(repo, hook): Promise<LastDelivery> {
      const recent = await events(repo, hook, 1);
      if (!recent) return { kind: 'unavailable', why: 'GitLab before 17.3 has no webhook events API' };
      const newest = recent[0];
      if (!newest) return { kind: 'none' };
      const code = statusOf(newest.response_status);
      return {
        kind: 'delivered',
        ok: code !== undefined && code >= 200 && code < 300,
        code,
        status: String(newest.response_status ?? ''),
        // GitLab's events API gives no time.
        at: undefined,
      };
    },
  };
}
