/**
 * A local GitHub REST API for repository webhooks, answering as GitHub's published OpenAPI description
 * (github/rest-api-description, API version 2022-11-28) describes it, served under /api/v3 as GitHub
 * Enterprise Server serves it: list (per_page, page, Link), create, get, update (PATCH replaces the
 * config: a secret not sent again is removed), update config, delete, the hook's deliveries (a list,
 * and one with its request and response), and the test endpoint, which sends a push signed with the
 * hook's secret to its URL when the hook is subscribed to push (and nothing, with the same 204, when not).
 * Errors are basic-error and validation-error bodies; classic tokens get X-OAuth-Scopes and
 * X-Accepted-OAuth-Scopes, and a 404 where their scopes do not reach; fine-grained tokens without the
 * Webhooks permission get 403 "Resource not accessible by personal access token".
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

export interface GitHubTokenSpec {
  user: string;
  /** A classic token's scopes; absent for a fine-grained token. */
  scopes?: string[];
  /** A fine-grained token's Webhooks repository permission. */
  webhooks?: 'none' | 'read' | 'write';
}

export interface GitHubRepoSpec {
  /** OWNER/REPO */
  name: string;
  admins: string[];
  readers?: string[];
}

export interface StoredGitHubHook {
  type: 'Repository';
  id: number;
  name: 'web';
  active: boolean;
  events: string[];
  config: { url: string; content_type: string; insecure_ssl: string; secret?: string };
  created_at: string;
  updated_at: string;
  deliveries: Array<{
    id: number;
    guid: string;
    delivered_at: string;
    status: string;
    status_code: number;
    event: string;
    /** What was sent and answered, for the delivery's own endpoint. */
    request?: { headers: Record<string, string>; payload: unknown };
    response?: { headers: Record<string, string>; payload: string | null };
  }>;
}

export interface LocalGitHub extends RunningForge {
  /** What --api-url names: the server's root (the plugin adds /api/v3). */
  serverUrl: string;
  hooks(repo: string): StoredGitHubHook[];
  /** Records a delivery of a hook, as GitHub's Recent Deliveries would show it. */
  recordDelivery(
    repo: string,
    hookId: number,
    delivery: { status_code: number; status: string; event: string },
  ): void;
}

const DOCS = 'https://docs.github.com/rest/repos/webhooks';
const READ_SCOPES = ['admin:repo_hook', 'read:repo_hook', 'repo', 'write:repo_hook'];
const WRITE_SCOPES = ['admin:repo_hook', 'repo', 'write:repo_hook'];
/** A few of GitHub's webhook events; enough to tell a real one from a typo. */
const KNOWN_EVENTS = new Set([
  '*',
  'push',
  'pull_request',
  'pull_request_review',
  'pull_request_review_comment',
  'issues',
  'issue_comment',
  'create',
  'delete',
  'release',
  'workflow_run',
  'check_suite',
  'check_run',
  'status',
  'ping',
]);

const notFound = (documentation = 'https://docs.github.com/rest'): ForgeAnswer => ({
  status: 404,
  body: { message: 'Not Found', documentation_url: documentation, status: '404' },
});

const validationFailed = (documentation: string, errors: object[]): ForgeAnswer => ({
  status: 422,
  body: { message: 'Validation Failed', errors, documentation_url: documentation, status: '422' },
});

export async function startLocalGitHub(options: {
  tokens: Record<string, GitHubTokenSpec>;
  repos: GitHubRepoSpec[];
  /** Where hook URLs' hosts resolve (the tests' gateway has a public name it is not reached at). */
  hookAddress?: HookAddress;
}): Promise<LocalGitHub> {
  const store = new Map<string, StoredGitHubHook[]>(
    options.repos.map((repo) => [repo.name.toLowerCase(), []]),
  );
  let nextId = 1000;
  let nextDelivery = 9000;

  const view = (hook: StoredGitHubHook, origin: string, repo: string) => {
    const { deliveries, ...rest } = hook;
    const base = `${origin}/api/v3/repos/${repo}/hooks/${hook.id}`;
    const last = deliveries[0];
    return {
      ...rest,
      config: { ...rest.config, ...(rest.config.secret ? { secret: '********' } : {}) },
      url: base,
      test_url: `${base}/test`,
      ping_url: `${base}/pings`,
      deliveries_url: `${base}/deliveries`,
      last_response: last
        ? {
            code: last.status_code,
            status: last.status_code < 300 ? 'active' : 'failed',
            message: last.status,
          }
        : { code: null, status: 'unused', message: null },
    };
  };

  /** The refusals of a hook's config and events, as validation-error items. */
  const refusals = (config: Record<string, unknown> | undefined, events: unknown): object[] => {
    const errors: object[] = [];
    const url = config?.url;
    if (typeof url !== 'string' || url === '') {
      errors.push({ resource: 'Hook', code: 'custom', message: 'Config must contain URL for webhooks' });
    } else {
      let parsed: URL | undefined;
      try {
        parsed = new URL(url);
      } catch {
        parsed = undefined;
      }
      if (!parsed || !['http:', 'https:'].includes(parsed.protocol))
        errors.push({
          resource: 'Hook',
          code: 'custom',
          field: 'url',
          message: `Url is not a valid URL: ${url}`,
        });
      else if (isPrivateHost(parsed.hostname))
        errors.push({
          resource: 'Hook',
          code: 'custom',
          field: 'url',
          message: `Sorry, the URL host ${parsed.hostname} is not supported because it isn't reachable over the public Internet`,
        });
    }
    if (config?.content_type !== undefined && !['json', 'form'].includes(String(config.content_type)))
      errors.push({ resource: 'Hook', code: 'invalid', field: 'content_type' });
    if (events !== undefined) {
      if (!Array.isArray(events)) errors.push({ resource: 'Hook', code: 'invalid', field: 'events' });
      else
        for (const event of events)
          if (!KNOWN_EVENTS.has(String(event)))
            errors.push({ resource: 'Hook', code: 'invalid', field: 'events', value: event });
    }
    return errors;
  };

  const handle = (request: ForgeRequest, origin: string): ForgeAnswer => {
    const route =
      /^\/api\/v3\/repos\/([^/]+)\/([^/]+)\/hooks(?:\/(\d+)(\/config|\/deliveries|\/tests)?(?:\/(\d+))?)?$/.exec(
        request.path,
      );
    if (!route) return notFound();
    const auth = /^(?:Bearer|token) (.+)$/i.exec(String(request.headers.authorization ?? ''));
    const token = auth ? options.tokens[auth[1] ?? ''] : undefined;
    if (!token)
      return {
        status: 401,
        body: {
          message: 'Bad credentials',
          documentation_url: 'https://docs.github.com/rest',
          status: '401',
        },
      };
    const repoName = `${decodeURIComponent(route[1] ?? '')}/${decodeURIComponent(route[2] ?? '')}`;
    const repo = options.repos.find((candidate) => candidate.name.toLowerCase() === repoName.toLowerCase());
    const hooks = store.get(repoName.toLowerCase());
    const writes = request.method !== 'GET';
    const accepted = writes ? WRITE_SCOPES : READ_SCOPES;
    const scopeHeaders: Record<string, string> = token.scopes
      ? { 'X-OAuth-Scopes': token.scopes.join(', '), 'X-Accepted-OAuth-Scopes': accepted.join(', ') }
      : {};
    const answer = (result: ForgeAnswer): ForgeAnswer => ({
      ...result,
      headers: { ...scopeHeaders, ...result.headers },
    });
    const sees = repo && [...repo.admins, ...(repo.readers ?? [])].includes(token.user);
    if (!repo || !hooks || !sees) return answer(notFound(`${DOCS}#list-repository-webhooks`));
    if (token.scopes ? !token.scopes.some((scope) => accepted.includes(scope)) : false)
      return answer(notFound(`${DOCS}#list-repository-webhooks`));
    if (
      (!token.scopes && (token.webhooks ?? 'none') === 'none') ||
      (!token.scopes && writes && token.webhooks !== 'write')
    )
      return answer({
        status: 403,
        body: {
          message: 'Resource not accessible by personal access token',
          documentation_url: DOCS,
          status: '403',
        },
      });
    // Hooks are an admin's: anyone else is told there is nothing there.
    if (!repo.admins.includes(token.user)) return answer(notFound(`${DOCS}#list-repository-webhooks`));

    const id = route[3] === undefined ? undefined : Number(route[3]);
    const hook = id === undefined ? undefined : hooks.find((candidate) => candidate.id === id);
    const body = (request.body ?? {}) as Record<string, unknown>;
    if (id === undefined && request.method === 'GET') {
      const { page, link } = paginate(hooks, request, origin, { default: 30, max: 100 });
      return answer({
        status: 200,
        body: page.map((item) => view(item, origin, repoName)),
        headers: { Link: link },
      });
    }
    if (id === undefined && request.method === 'POST') {
      const documentation = `${DOCS}#create-a-repository-webhook`;
      const config = body.config as Record<string, unknown> | undefined;
      const events = (body.events as string[] | undefined) ?? ['push'];
      const errors = refusals(config, events);
      if (body.name !== undefined && body.name !== 'web')
        errors.push({ resource: 'Hook', code: 'custom', message: 'Name must be "web"' });
      if (errors.length) return answer(validationFailed(documentation, errors));
      const overlapping = hooks.some(
        (other) => other.config.url === config?.url && other.events.some((event) => events.includes(event)),
      );
      if (overlapping)
        return answer(
          validationFailed(documentation, [
            { resource: 'Hook', code: 'custom', message: 'Hook already exists on this repository' },
          ]),
        );
      const created: StoredGitHubHook = {
        type: 'Repository',
        id: nextId++,
        name: 'web',
        active: body.active === undefined ? true : Boolean(body.active),
        events,
        config: {
          url: String(config?.url),
          content_type: String(config?.content_type ?? 'form'),
          insecure_ssl: String(config?.insecure_ssl ?? '0'),
          ...(config?.secret ? { secret: String(config.secret) } : {}),
        },
        created_at: now(),
        updated_at: now(),
        deliveries: [],
      };
      hooks.push(created);
      return answer({
        status: 201,
        body: view(created, origin, repoName),
        headers: { Location: `${origin}/api/v3/repos/${repoName}/hooks/${created.id}` },
      });
    }
    if (!hook) return answer(notFound(`${DOCS}#get-a-repository-webhook`));
    const listed = ({
      request: _request,
      response: _response,
      ...delivery
    }: StoredGitHubHook['deliveries'][0]) => ({
      ...delivery,
      redelivery: false,
      duration: 0.1,
      action: null,
      installation_id: null,
      repository_id: 1,
      throttled_at: null,
    });
    if (route[4] === '/deliveries' && route[5] !== undefined && request.method === 'GET') {
      const delivery = hook.deliveries.find((candidate) => candidate.id === Number(route[5]));
      if (!delivery) return answer(notFound(`${DOCS}#get-a-delivery-for-a-repository-webhook`));
      return answer({
        status: 200,
        body: {
          ...listed(delivery),
          url: hook.config.url,
          request: delivery.request ?? { headers: {}, payload: null },
          response: delivery.response ?? { headers: {}, payload: null },
        },
      });
    }
    if (route[5] !== undefined) return answer(notFound());
    if (route[4] === '/deliveries' && request.method === 'GET') {
      const perPage = Math.min(Number(request.query.get('per_page') ?? 30) || 30, 100);
      return answer({ status: 200, body: hook.deliveries.slice(0, perPage).map(listed) });
    }
    if (route[4] === '/tests' && request.method === 'POST') {
      // Sent after the answer, as GitHub queues it; a hook without push gets nothing.
      if (hook.events.includes('push') || hook.events.includes('*'))
        setImmediate(() => void testPush(hook, repoName));
      return answer({ status: 204 });
    }
    if (route[4] === '/config' && request.method === 'PATCH') {
      const errors = refusals({ url: hook.config.url, ...body }, undefined);
      if (errors.length)
        return answer(validationFailed(`${DOCS}#update-a-webhook-configuration-for-a-repository`, errors));
      for (const key of ['url', 'content_type', 'insecure_ssl', 'secret'] as const)
        if (body[key] !== undefined) hook.config[key] = String(body[key]);
      hook.updated_at = now();
      const { secret, ...shown } = hook.config;
      return answer({ status: 200, body: { ...shown, ...(secret ? { secret: '********' } : {}) } });
    }
    if (route[4] !== undefined) return answer(notFound());
    if (request.method === 'GET') return answer({ status: 200, body: view(hook, origin, repoName) });
    if (request.method === 'DELETE') {
      hooks.splice(hooks.indexOf(hook), 1);
      return answer({ status: 204 });
    }
    if (request.method === 'PATCH') {
      const config = body.config as Record<string, unknown> | undefined;
      const errors = refusals(config ?? { url: hook.config.url }, body.events);
      if (errors.length) return answer(validationFailed(`${DOCS}#update-a-repository-webhook`, errors));
      if (config) {
        // The whole config is replaced: a secret not sent again is gone.
        hook.config = {
          url: String(config.url),
          content_type: String(config.content_type ?? 'form'),
          insecure_ssl: String(config.insecure_ssl ?? '0'),
          ...(config.secret ? { secret: String(config.secret) } : {}),
        };
      }
      if (Array.isArray(body.events)) hook.events = body.events.map(String);
      if (Array.isArray(body.add_events))
        hook.events = [...new Set([...hook.events, ...body.add_events.map(String)])];
      if (Array.isArray(body.remove_events))
        hook.events = hook.events.filter((event) => !(body.remove_events as string[]).includes(event));
      if (body.active !== undefined) hook.active = Boolean(body.active);
      hook.updated_at = now();
      return answer({ status: 200, body: view(hook, origin, repoName) });
    }
    return answer(notFound());
  };

  /** The repository's latest push, signed with the hook's secret, sent to its URL and recorded. */
  const testPush = async (hook: StoredGitHubHook, repoName: string) => {
    const delivery = buildDelivery({
      provider: 'github',
      event: 'push',
      secret: hook.config.secret,
      sample: { repositoryUrl: `https://github.com/${repoName}.git` },
    });
    const headers = { ...headersToSend(delivery), 'X-GitHub-Hook-ID': String(hook.id) };
    const response = await sendDelivery(hook.config.url, headers, delivery.body, options.hookAddress);
    hook.deliveries.unshift({
      id: nextDelivery++,
      guid: delivery.id,
      delivered_at: now(),
      status: response.error ?? response.statusText,
      status_code: response.status ?? 0,
      event: 'push',
      request: { headers, payload: JSON.parse(delivery.body.toString('utf8')) },
      response: { headers: response.headers, payload: response.error ? null : response.body },
    });
  };

  const server = await startForgeServer(handle);
  return {
    ...server,
    serverUrl: server.url,
    hooks: (repo) => store.get(repo.toLowerCase()) ?? [],
    recordDelivery(repo, hookId, delivery) {
      const hook = store.get(repo.toLowerCase())?.find((candidate) => candidate.id === hookId);
      if (!hook) throw new Error(`no hook ${hookId} on ${repo}`);
      hook.deliveries.unshift({
        id: nextDelivery++,
        guid: crypto.randomUUID(),
        delivered_at: now(),
        ...delivery,
      });
    },
  };
}
