/**
 * The GitHub client against a local server that answers as GitHub's published REST description
 * says: hooks created, listed across pages, updated without losing their secret, deleted, their
 * deliveries read, and every refusal classified.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { githubApi } from '../../src/forge/github.ts';
import type { ForgeApi } from '../../src/forge/types.ts';
import { type LocalGitHub, startLocalGitHub } from '../support/forges/github.ts';
import { refusal } from '../support/forges/refusal.ts';
import { startProxy } from '../support/proxy.ts';

let github: LocalGitHub;
const repo = { owner: 'octo-org', name: 'app' };

function client(token: string): ForgeApi {
  return githubApi({ apiUrl: `${github.serverUrl}/api/v3`, token, timeoutMs: 10_000 });
}

beforeAll(async () => {
  github = await startLocalGitHub({
    tokens: {
      admin: { user: 'mona', scopes: ['admin:repo_hook', 'read:org'] },
      repo: { user: 'mona', scopes: ['repo'] },
      narrow: { user: 'mona', scopes: ['read:org', 'gist'] },
      reader: { user: 'hubot', scopes: ['admin:repo_hook'] },
      'fine-grained-none': { user: 'mona', webhooks: 'none' },
      'fine-grained-read': { user: 'mona', webhooks: 'read' },
    },
    repos: [
      { name: 'octo-org/app', admins: ['mona'], readers: ['hubot'] },
      { name: 'octo-org/many', admins: ['mona'] },
    ],
  });
});

afterAll(async () => {
  await github?.close();
});

describe('the GitHub client', () => {
  it('creates a JSON hook with TLS verification and the secret, which GitHub then shows masked', async () => {
    const api = client('admin');
    const created = await api.createHook(repo, {
      url: 'https://hooks.example.com/github',
      events: ['push', 'pull_request'],
      secret: 'the-secret',
    });
    expect(created).toMatchObject({
      url: 'https://hooks.example.com/github',
      events: ['push', 'pull_request'],
      active: true,
      contentType: 'json',
      verifiesTls: true,
      hasSecret: true,
    });
    const sent = github.requests.findLast((request) => request.method === 'POST');
    expect(sent?.body).toEqual({
      name: 'web',
      active: true,
      events: ['push', 'pull_request'],
      config: {
        url: 'https://hooks.example.com/github',
        content_type: 'json',
        insecure_ssl: '0',
        secret: 'the-secret',
      },
    });
    expect(sent?.headers['x-github-api-version']).toBe('2022-11-28');
    expect(sent?.headers.authorization).toBe('Bearer admin');
    expect((await api.listHooks(repo)).map((hook) => hook.id)).toContain(created.id);
  });

  it('updates events without a secret and keeps the secret GitHub has; with a secret, sets it', async () => {
    const api = client('repo');
    const [hook] = (await api.listHooks(repo)).filter((candidate) => candidate.url.endsWith('/github'));
    if (!hook) throw new Error('no hook');
    await api.updateHook(repo, hook, { url: hook.url, events: ['push'], secret: undefined });
    let stored = github.hooks('octo-org/app').find((candidate) => candidate.id === Number(hook.id));
    expect(stored).toMatchObject({
      events: ['push'],
      config: { secret: 'the-secret', content_type: 'json' },
    });
    await api.updateHook(repo, hook, { url: hook.url, events: ['push'], secret: 'another' });
    stored = github.hooks('octo-org/app').find((candidate) => candidate.id === Number(hook.id));
    expect(stored?.config.secret).toBe('another');
  });

  it('brings a form hook to JSON without touching its secret, through /config', async () => {
    const api = client('admin');
    const form = await api.createHook(repo, {
      url: 'https://hooks.example.com/form',
      events: ['push'],
      secret: 's',
    });
    const stored = github.hooks('octo-org/app').find((candidate) => candidate.id === Number(form.id));
    if (!stored) throw new Error('not stored');
    stored.config.content_type = 'form';
    stored.config.insecure_ssl = '1';
    const [listed] = (await api.listHooks(repo)).filter((hook) => hook.id === form.id);
    if (!listed) throw new Error('not listed');
    expect(listed).toMatchObject({ contentType: 'form', verifiesTls: false });
    const updated = await api.updateHook(repo, listed, {
      url: listed.url,
      events: ['push'],
      secret: undefined,
    });
    expect(updated).toMatchObject({ contentType: 'json', verifiesTls: true, hasSecret: true });
    expect(stored.config.secret).toBe('s');
  });

  it('follows Link headers through every page of hooks', async () => {
    const api = client('admin');
    for (let index = 0; index < 105; index++)
      await api.createHook(
        { owner: 'octo-org', name: 'many' },
        { url: `https://hooks.example.com/h${index}`, events: ['push'], secret: undefined },
      );
    const listed = await api.listHooks({ owner: 'octo-org', name: 'many' });
    expect(listed).toHaveLength(105);
    expect(new Set(listed.map((hook) => hook.url)).size).toBe(105);
    const pages = github.requests.filter(
      (request) => request.method === 'GET' && request.path.endsWith('/many/hooks'),
    );
    expect(pages.at(-1)?.query.get('page')).toBe('2');
  });

  it("reads the newest delivery's status and time, and says when there is none", async () => {
    const api = client('admin');
    const hook = await api.createHook(repo, {
      url: 'https://hooks.example.com/deliveries',
      events: ['push'],
      secret: undefined,
    });
    expect(await api.lastDelivery(repo, hook)).toEqual({ kind: 'none' });
    github.recordDelivery('octo-org/app', Number(hook.id), { status_code: 200, status: 'OK', event: 'push' });
    github.recordDelivery('octo-org/app', Number(hook.id), {
      status_code: 503,
      status: 'Invalid HTTP Response: 503',
      event: 'push',
    });
    expect(await api.lastDelivery(repo, hook)).toMatchObject({
      kind: 'delivered',
      ok: false,
      code: 503,
      status: 'Invalid HTTP Response: 503',
      at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
  });

  it('deletes a hook', async () => {
    const api = client('admin');
    const hook = await api.createHook(repo, {
      url: 'https://hooks.example.com/gone',
      events: ['push'],
      secret: undefined,
    });
    await api.deleteHook(repo, hook);
    expect((await api.listHooks(repo)).some((candidate) => candidate.id === hook.id)).toBe(false);
  });
});

describe("the GitHub client's refusals", () => {
  it('a bad token is unauthorized', async () => {
    expect(await refusal(client('nope').listHooks(repo))).toMatchObject({
      kind: 'unauthorized',
      status: 401,
      providerMessage: 'Bad credentials',
    });
  });

  it('a classic token without a hook scope is missing-scope, with the scopes it has and those accepted', async () => {
    const error = await refusal(client('narrow').listHooks(repo));
    expect(error).toMatchObject({ kind: 'missing-scope', status: 404 });
    expect(error.details.scopes).toEqual({
      held: ['read:org', 'gist'],
      accepted: ['admin:repo_hook', 'read:repo_hook', 'repo', 'write:repo_hook'],
    });
  });

  it('a fine-grained token without the Webhooks permission is missing-scope (403)', async () => {
    expect(await refusal(client('fine-grained-none').listHooks(repo))).toMatchObject({
      kind: 'missing-scope',
      status: 403,
    });
    const api = client('fine-grained-read');
    expect(await api.listHooks(repo)).toBeInstanceOf(Array);
    const error = await refusal(
      api.createHook(repo, { url: 'https://hooks.example.com/x', events: ['push'], secret: undefined }),
    );
    expect(error).toMatchObject({
      kind: 'missing-scope',
      providerMessage: 'Resource not accessible by personal access token',
    });
  });

  it('a repository that does not exist, or that the user does not administer, is not-found', async () => {
    expect(await refusal(client('admin').listHooks({ owner: 'octo-org', name: 'nope' }))).toMatchObject({
      kind: 'not-found',
      status: 404,
    });
    expect(await refusal(client('reader').listHooks(repo))).toMatchObject({ kind: 'not-found' });
  });

  it("a URL GitHub will not send to is url-refused, with GitHub's validation message", async () => {
    const error = await refusal(
      client('admin').createHook(repo, {
        url: 'http://10.245.0.7:8080/github',
        events: ['push'],
        secret: undefined,
      }),
    );
    expect(error).toMatchObject({ kind: 'url-refused', status: 422 });
    expect(error.providerMessage).toContain("isn't reachable over the public Internet");
  });

  it('an event GitHub does not know is invalid', async () => {
    expect(
      await refusal(
        client('admin').createHook(repo, {
          url: 'https://hooks.example.com/ev',
          events: ['pushed'],
          secret: undefined,
        }),
      ),
    ).toMatchObject({ kind: 'invalid', status: 422 });
  });
});

describe('the way to GitHub', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });

  it('goes through HTTP_PROXY as every request of the plugin does, and past it for NO_PROXY hosts', async () => {
    // Only the proxy resolves this name: what reaches the server went through it.
    const proxy = await startProxy({ hosts: { 'github.test': '127.0.0.1' } });
    try {
      for (const name of ['NO_PROXY', 'no_proxy', 'https_proxy', 'http_proxy', 'HTTPS_PROXY'])
        vi.stubEnv(name, '');
      vi.stubEnv('HTTP_PROXY', proxy.url);
      const apiUrl = `http://github.test:${new URL(github.serverUrl).port}/api/v3`;
      const api = githubApi({ apiUrl, token: 'admin', timeoutMs: 10_000 });
      expect(await api.listHooks(repo)).toBeInstanceOf(Array);
      expect(proxy.requests.map((request) => request.target)).toContain(
        `${apiUrl}/repos/octo-org/app/hooks?per_page=100`,
      );
      // The token went to the server through the proxy, never to the proxy as its own credentials.
      expect(proxy.requests.every((request) => request.authorization === undefined)).toBe(true);

      vi.stubEnv('NO_PROXY', 'github.test');
      await expect(api.listHooks(repo)).rejects.toMatchObject({
        code: expect.stringMatching(/ENOTFOUND|EAI_AGAIN/),
      });
    } finally {
      await proxy.stop();
    }
  });
});
