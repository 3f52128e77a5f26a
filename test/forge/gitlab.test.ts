/**
 * The GitLab client against a local server that answers as GitLab's REST documentation says: one
 * flag per event, the secret as `token`, pages, the events API of 17.3 and later, and the refusals.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gitlabApi } from '../../src/forge/gitlab.ts';
import type { ForgeApi } from '../../src/forge/types.ts';
import { type LocalGitLab, startLocalGitLab } from '../support/forges/gitlab.ts';
import { refusal } from '../support/forges/refusal.ts';

let gitlab: LocalGitLab;
let old: LocalGitLab;
const project = { owner: 'team/backend', name: 'app' };

const client = (token: string, server = gitlab): ForgeApi =>
  gitlabApi({ apiUrl: `${server.serverUrl}/api/v4`, token, timeoutMs: 10_000 });

beforeAll(async () => {
  const options = {
    tokens: {
      maintainer: { user: 'alice', scopes: ['api'] },
      readonly: { user: 'alice', scopes: ['read_api'] },
      developer: { user: 'bob', scopes: ['api'] },
    },
    projects: [{ path: 'team/backend/app', members: { alice: 40, bob: 30 } }],
  };
  gitlab = await startLocalGitLab(options);
  old = await startLocalGitLab({ ...options, withoutEventsApi: true });
});

afterAll(async () => {
  await gitlab?.close();
  await old?.close();
});

describe('the GitLab client', () => {
  it('creates a hook with exactly the flags of its events, TLS verification and the token', async () => {
    const hook = await client('maintainer').createHook(project, {
      url: 'https://hooks.example.com/gitlab',
      events: ['Merge Request Hook', 'Tag Push Hook'],
      secret: 'the-token',
    });
    expect(hook).toMatchObject({
      events: ['Tag Push Hook', 'Merge Request Hook'],
      contentType: 'json',
      verifiesTls: true,
      health: 'executable',
    });
    const [stored] = gitlab.hooks('team/backend/app');
    // GitLab turns push events on unless told: ours says false.
    expect(stored).toMatchObject({
      push_events: false,
      merge_requests_events: true,
      tag_push_events: true,
      token: 'the-token',
    });
    const sent = gitlab.requests.findLast((request) => request.method === 'POST');
    expect(sent?.path).toBe('/api/v4/projects/team%2Fbackend%2Fapp/hooks');
  });

  it('updates events and keeps the token when none is given, and lists across pages', async () => {
    const api = client('maintainer');
    const [hook] = await api.listHooks(project);
    if (!hook) throw new Error('no hook');
    const updated = await api.updateHook(project, hook, {
      url: hook.url,
      events: ['Push Hook'],
      secret: undefined,
    });
    expect(updated.events).toEqual(['Push Hook']);
    expect(gitlab.hooks('team/backend/app')[0]?.token).toBe('the-token');
    for (let index = 0; index < 120; index++)
      await api.createHook(project, {
        url: `https://hooks.example.com/p${index}`,
        events: ['Push Hook'],
        secret: undefined,
      });
    expect(await api.listHooks(project)).toHaveLength(121);
  });

  it("reads the newest event's status (no time: GitLab gives none), and says when the API is older than 17.3", async () => {
    const api = client('maintainer');
    const [hook] = await api.listHooks(project);
    if (!hook) throw new Error('no hook');
    expect(await api.lastDelivery(project, hook)).toEqual({ kind: 'none' });
    gitlab.recordEvent('team/backend/app', Number(hook.id), 500);
    gitlab.recordEvent('team/backend/app', Number(hook.id), 200);
    expect(await api.lastDelivery(project, hook)).toEqual({
      kind: 'delivered',
      ok: true,
      code: 200,
      status: '200',
      at: undefined,
    });

    const before = client('maintainer', old);
    const created = await before.createHook(project, {
      url: 'https://hooks.example.com/old',
      events: ['Push Hook'],
      secret: undefined,
    });
    expect(await before.lastDelivery(project, created)).toEqual({
      kind: 'unavailable',
      why: 'GitLab before 17.3 has no webhook events API',
    });
  });
});

describe("the GitLab client's refusals", () => {
  it('401, insufficient_scope, below Maintainer, and no such project', async () => {
    expect(await refusal(client('nope').listHooks(project))).toMatchObject({
      kind: 'unauthorized',
      providerMessage: '401 Unauthorized',
    });
    const scope = await refusal(
      client('readonly').createHook(project, {
        url: 'https://hooks.example.com/x',
        events: ['Push Hook'],
        secret: undefined,
      }),
    );
    expect(scope).toMatchObject({ kind: 'missing-scope', status: 403 });
    expect(scope.details.scopes?.accepted).toEqual(['api']);
    expect(await refusal(client('developer').listHooks(project))).toMatchObject({
      kind: 'forbidden',
      providerMessage: '403 Forbidden',
    });
    expect(await refusal(client('maintainer').listHooks({ owner: 'team', name: 'nope' }))).toMatchObject({
      kind: 'not-found',
      providerMessage: '404 Project Not Found',
    });
  });

  it('a hook URL on the local network is url-refused, with the field GitLab names', async () => {
    const error = await refusal(
      client('maintainer').createHook(project, {
        url: 'http://192.168.1.20/gitlab',
        events: ['Push Hook'],
        secret: undefined,
      }),
    );
    expect(error).toMatchObject({
      kind: 'url-refused',
      status: 400,
      providerMessage: 'url is blocked: Requests to the local network are not allowed',
    });
  });
});
