/**
 * A local GitLab REST API (/api/v4) for project webhooks, answering as GitLab's documentation says
 * (doc/api/project_webhooks.md, doc/api/rest/troubleshooting.md, doc/api/rest/authentication.md):
 * projects by ID or URL-encoded path, hooks with one flag per event and the secret as `token` (never
 * returned), page/per_page pagination with Link and X-Total headers, webhook events (17.3+), 401
 * {"message":"401 Unauthorized"}, 403 insufficient_scope or "403 Forbidden" below Maintainer, 404
 * "404 Project Not Found", and 400 validation errors per field: a hook URL on the local network is
 * refused, as GitLab does unless its administrator allows it. Its test endpoint (/test/:trigger)
 * sends the push before it answers, with the hook's token, and records it as a webhook event: 201
 * when the receiver answered 2xx, else 422 with the receiver's body (or the connection's error).
 */
import { buildDelivery, headersToSend } from '../../../src/webhook/index.ts';
import {
  type ForgeAnswer,
  type ForgeRequest,
  type HookAddress,
  isPrivateHost,
  now,
  paginate,
  type RunningForge,
  sendDelivery,
  startForgeServer,
} from './server.ts';

export interface GitLabTokenSpec {
  user: string;
  scopes: string[];
}

export interface GitLabProjectSpec {
  /** GROUP/…/PROJECT */
  path: string;
  /** User name to access level: 30 Developer, 40 Maintainer, 50 Owner. */
  members: Record<string, number>;
}

/** The event flags a project hook has, as documented. */
export const GITLAB_HOOK_FLAGS = [
  'push_events',
  'tag_push_events',
  'merge_requests_events',
  'note_events',
  'confidential_note_events',
  'issues_events',
  'confidential_issues_events',
  'pipeline_events',
  'job_events',
  'wiki_page_events',
  'deployment_events',
  'releases_events',
  'feature_flag_events',
  'repository_update_events',
  'resource_access_token_events',
] as const;

export type StoredGitLabHook = Record<(typeof GITLAB_HOOK_FLAGS)[number], boolean> & {
  id: number;
  url: string;
  name: string;
  description: string;
  project_id: number;
  push_events_branch_filter: string;
  enable_ssl_verification: boolean;
  alert_status: 'executable' | 'temporarily_disabled' | 'disabled';
  disabled_until: string | null;
  url_variables: unknown[];
  created_at: string;
  /** Never shown: GitLab does not return it. */
  token?: string;
  events: Array<{
    id: number;
    response_status: string;
    trigger: string;
    request_headers?: Record<string, string>;
    request_data?: string;
    response_headers?: Record<string, string>;
    response_body?: string;
  }>;
};

/** The :trigger values of the test endpoint (ProjectHook.triggers), and the event trigger each records. */
const TEST_TRIGGERS: Record<string, string> = {
  push_events: 'push_hooks',
  tag_push_events: 'tag_push_hooks',
  issues_events: 'issue_hooks',
  confidential_issues_events: 'confidential_issue_hooks',
  note_events: 'note_hooks',
  merge_requests_events: 'merge_request_hooks',
  job_events: 'job_hooks',
  pipeline_events: 'pipeline_hooks',
  wiki_page_events: 'wiki_page_hooks',
  releases_events: 'release_hooks',
  emoji_events: 'emoji_hooks',
  resource_access_token_events: 'resource_access_token_hooks',
};

export interface LocalGitLab extends RunningForge {
  serverUrl: string;
  hooks(project: string): StoredGitLabHook[];
  recordEvent(project: string, hookId: number, status: number): void;
}

const MAINTAINER = 40;

export async function startLocalGitLab(options: {
  tokens: Record<string, GitLabTokenSpec>;
  projects: GitLabProjectSpec[];
  /** A GitLab before 17.3, without the webhook events API. */
  withoutEventsApi?: boolean;
  /** Where hook URLs' hosts resolve (the tests' gateway has a public name it is not reached at). */
  hookAddress?: HookAddress;
}): Promise<LocalGitLab> {
  const projects = options.projects.map((project, index) => ({
    ...project,
    id: index + 1,
    hooks: [] as StoredGitLabHook[],
  }));
  let nextId = 1;
  let nextEvent = 1;
  const find = (idOrPath: string) =>
    projects.find(
      (project) => String(project.id) === idOrPath || project.path.toLowerCase() === idOrPath.toLowerCase(),
    );

  const view = (hook: StoredGitLabHook) => {
    const { token: _token, events: _events, ...shown } = hook;
    return shown;
  };

  /** The hook's attributes from a request body, or the 400 GitLab answers. */
  const attributes = (
    body: Record<string, unknown>,
    requireUrl: boolean,
  ): Partial<StoredGitLabHook> | ForgeAnswer => {
    if (requireUrl && (typeof body.url !== 'string' || body.url === ''))
      return { status: 400, body: { error: 'url is missing' } };
    const changes: Partial<StoredGitLabHook> = {};
    if (typeof body.url === 'string') {
      let parsed: URL | undefined;
      try {
        parsed = new URL(body.url);
      } catch {
        parsed = undefined;
      }
      if (!parsed || !['http:', 'https:'].includes(parsed.protocol))
        return {
          status: 400,
          body: { message: { url: ['is blocked: Only allowed schemes are http, https'] } },
        };
      if (isPrivateHost(parsed.hostname))
        return {
          status: 400,
          body: { message: { url: ['is blocked: Requests to the local network are not allowed'] } },
        };
      changes.url = body.url;
    }
    for (const flag of GITLAB_HOOK_FLAGS) {
      if (body[flag] === undefined) continue;
      if (typeof body[flag] !== 'boolean') return { status: 400, body: { error: `${flag} is invalid` } };
      changes[flag] = body[flag];
    }
    if (typeof body.enable_ssl_verification === 'boolean')
      changes.enable_ssl_verification = body.enable_ssl_verification;
    if (typeof body.token === 'string') changes.token = body.token;
    return changes;
  };

  const handle = async (request: ForgeRequest, origin: string): Promise<ForgeAnswer> => {
    const route = /^\/api\/v4\/projects\/([^/]+)\/hooks(?:\/(\d+)(\/events|\/test\/([a-z_]+))?)?$/.exec(
      request.path,
    );
    if (!route) return { status: 404, body: { error: '404 Not Found' } };
    const bearer = /^Bearer (.+)$/i.exec(String(request.headers.authorization ?? ''))?.[1];
    const token = options.tokens[String(request.headers['private-token'] ?? bearer ?? '')];
    if (!token) return { status: 401, body: { message: '401 Unauthorized' } };
    const writes = request.method !== 'GET';
    if (!token.scopes.includes('api') && (writes || !token.scopes.includes('read_api')))
      return {
        status: 403,
        body: {
          error: 'insufficient_scope',
          error_description: 'The request requires higher privileges than provided by the access token.',
          scope: writes ? 'api' : 'api read_api',
        },
      };
    const project = find(decodeURIComponent(route[1] ?? ''));
    const level = project?.members[token.user];
    if (!project || level === undefined) return { status: 404, body: { message: '404 Project Not Found' } };
    if (level < MAINTAINER) return { status: 403, body: { message: '403 Forbidden' } };

    const body = (request.body ?? {}) as Record<string, unknown>;
    if (route[2] === undefined && request.method === 'GET') {
      const { page, link, pageNumber, perPage, totalPages } = paginate(project.hooks, request, origin, {
        default: 20,
        max: 100,
      });
      return {
        status: 200,
        body: page.map(view),
        headers: {
          Link: link,
          'X-Page': String(pageNumber),
          'X-Per-Page': String(perPage),
          'X-Total': String(project.hooks.length),
          'X-Total-Pages': String(totalPages),
          'X-Next-Page': pageNumber < totalPages ? String(pageNumber + 1) : '',
          'X-Prev-Page': pageNumber > 1 ? String(pageNumber - 1) : '',
        },
      };
    }
    if (route[2] === undefined && request.method === 'POST') {
      const changes = attributes(body, true);
      if ('status' in changes) return changes as ForgeAnswer;
      const hook: StoredGitLabHook = {
        id: nextId++,
        url: '',
        name: '',
        description: '',
        project_id: project.id,
        ...Object.fromEntries(GITLAB_HOOK_FLAGS.map((flag) => [flag, false])),
        // GitLab turns push events on unless told otherwise.
        push_events: true,
        push_events_branch_filter: '',
        enable_ssl_verification: true,
        alert_status: 'executable',
        disabled_until: null,
        url_variables: [],
        created_at: now(),
        events: [],
        ...(changes as Partial<StoredGitLabHook>),
      } as StoredGitLabHook;
      project.hooks.push(hook);
      return { status: 201, body: view(hook) };
    }
    const hook = project.hooks.find((candidate) => candidate.id === Number(route[2]));
    if (!hook) return { status: 404, body: { message: '404 Not found' } };
    if (route[4] !== undefined) {
      if (request.method !== 'POST') return { status: 405, body: { message: '405 Method Not Allowed' } };
      const trigger = TEST_TRIGGERS[route[4]];
      if (!trigger) return { status: 400, body: { error: 'trigger does not have a valid value' } };
      return testHook(project.path, hook, trigger);
    }
    if (route[3] === '/events') {
      if (options.withoutEventsApi || request.method !== 'GET')
        return { status: 404, body: { error: '404 Not Found' } };
      const { page } = paginate(hook.events, request, origin, { default: 20, max: 100 });
      return {
        status: 200,
        body: page.map((event) => ({
          request_headers: {},
          request_data: '',
          response_headers: {},
          response_body: '',
          ...event,
          url: hook.url,
          execution_duration: 0.1,
        })),
      };
    }
    if (request.method === 'GET') return { status: 200, body: view(hook) };
    if (request.method === 'DELETE') {
      project.hooks.splice(project.hooks.indexOf(hook), 1);
      return { status: 204 };
    }
    if (request.method === 'PUT') {
      const changes = attributes(body, true);
      if ('status' in changes) return changes as ForgeAnswer;
      const urlChanged = (changes as Partial<StoredGitLabHook>).url !== hook.url;
      // A new URL resets the secret token unless a new one comes with it.
      if (urlChanged && (changes as Partial<StoredGitLabHook>).token === undefined) delete hook.token;
      Object.assign(hook, changes);
      return { status: 200, body: view(hook) };
    }
    return { status: 405, body: { message: '405 Method Not Allowed' } };
  };

  /** A push with the hook's token, sent before answering, as TestHooks::ProjectService does it. */
  const testHook = async (path: string, hook: StoredGitLabHook, trigger: string): Promise<ForgeAnswer> => {
    const delivery = buildDelivery({
      provider: 'gitlab',
      event: 'push',
      secret: hook.token,
      sample: { repositoryUrl: `https://gitlab.com/${path}.git` },
    });
    const headers = headersToSend(delivery);
    const response = await sendDelivery(hook.url, headers, delivery.body, options.hookAddress);
    hook.events.unshift({
      id: nextEvent++,
      trigger,
      // GitLab records every request header but the token.
      request_headers: Object.fromEntries(
        Object.entries(headers).filter(([name]) => name.toLowerCase() !== 'x-gitlab-token'),
      ),
      request_data: delivery.body.toString('utf8'),
      response_headers: response.headers,
      response_body: response.body,
      response_status: response.status === undefined ? 'internal error' : String(response.status),
    });
    if (response.status !== undefined && response.status >= 200 && response.status < 300)
      return { status: 201, body: { message: '201 Created' } };
    return { status: 422, body: { message: response.error ?? response.body } };
  };

  const server = await startForgeServer(handle);
  return {
    ...server,
    serverUrl: server.url,
    hooks: (path) => find(path)?.hooks ?? [],
    recordEvent(path, hookId, status) {
      const hook = find(path)?.hooks.find((candidate) => candidate.id === hookId);
      if (!hook) throw new Error(`no hook ${hookId} on ${path}`);
      hook.events.unshift({ id: nextEvent++, response_status: String(status), trigger: 'push_hooks' });
    },
  };
}
