/**
 * `webhook add|list|remove` on the local control plane, against local GitHub and GitLab servers that
 * answer as their published REST documentation says (test/support/forges/): registered once, kept up
 * to date, listed, removed (ours only); every refusal explained, with the cluster and the repository
 * left as they were; and the secret never printed.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import Install from '../../src/commands/install.ts';
import RouteAdd from '../../src/commands/route/add.ts';
import WebhookAdd from '../../src/commands/webhook/add.ts';
import WebhookList from '../../src/commands/webhook/list.ts';
import WebhookRemove from '../../src/commands/webhook/remove.ts';
import { type CommandResult, runCommand, runExecutable } from '../support/cli.ts';
import { type ControlPlane, type KubeObject, startControlPlane } from '../support/control-plane/index.ts';
import { environmentRestorer, setForgeTokens } from '../support/forges/environment.ts';
import { type LocalGitHub, startLocalGitHub } from '../support/forges/github.ts';
import { type LocalGitLab, startLocalGitLab } from '../support/forges/gitlab.ts';
import { recordedObject, type TektonFixture } from '../support/tekton-fixtures.ts';

let plane: ControlPlane;
let kubeconfig: string;
let github: LocalGitHub;
let gitlab: LocalGitLab;

const TOKENS = { GITHUB_TOKEN: 'ghp-admin-token', GITLAB_TOKEN: 'glpat-maintainer' };
const restoreEnvironment = environmentRestorer();

function run(
  command: Parameters<typeof runCommand>[0],
  env: Record<string, string | undefined>,
  ...args: string[]
) {
  setForgeTokens(env);
  return runCommand(command, ['--kubeconfig', kubeconfig, ...args]);
}

const onGitHub = (...args: string[]) => [
  ...(args.includes('--repo') ? [] : ['--repo', 'octo-org/app']),
  ...(args.includes('--api-url') ? [] : ['--api-url', github.serverUrl]),
  ...args,
];

const onGitLab = (...args: string[]) => [
  '--provider',
  'gitlab',
  '--repo',
  'team/backend/app',
  '--api-url',
  gitlab.serverUrl,
  ...args,
];

function secretValue(namespace: string, name: string, key = 'secretToken'): string | undefined {
  const secret = plane.get('secrets', name, namespace) as
    (KubeObject & { data: Record<string, string> }) | undefined;
  const data = secret?.data[key];
  return data === undefined ? undefined : Buffer.from(data, 'base64').toString('utf8');
}

/** The objects a refused command must leave as they were. */
function secretNames(namespace: string): string[] {
  return plane
    .list('secrets', namespace)
    .map((secret) => secret.metadata.name)
    .sort();
}

function expectNoLeak(result: CommandResult, ...values: string[]) {
  for (const value of values) {
    expect(result.stdout).not.toContain(value);
    expect(result.stderr).not.toContain(value);
  }
}

beforeAll(async () => {
  github = await startLocalGitHub({
    tokens: {
      'ghp-admin-token': { user: 'mona', scopes: ['admin:repo_hook'] },
      'ghp-narrow': { user: 'mona', scopes: ['gist'] },
      github_pat_read: { user: 'mona', webhooks: 'read' },
    },
    repos: [{ name: 'octo-org/app', admins: ['mona'] }],
  });
  gitlab = await startLocalGitLab({
    tokens: { 'glpat-maintainer': { user: 'alice', scopes: ['api'] } },
    projects: [{ path: 'team/backend/app', members: { alice: 40 } }],
  });
  plane = await startControlPlane();
  kubeconfig = plane.writeKubeconfig(join(mkdtempSync(join(tmpdir(), 'tg-webhook-')), 'kubeconfig'));
  const installed = await run(Install, {}, '--host', 'hooks.example.com');
  expect(installed.exitCode, installed.stderr).toBe(0);
  for (const [path, backend] of [
    ['/github', 'el-github.ci:8080'],
    ['/gitlab', 'el-gitlab.ci:8080'],
  ] as const) {
    const added = await run(RouteAdd, {}, path, backend);
    expect(added.exitCode, added.stderr).toBe(0);
  }
  plane.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ci' } });
});

afterEach(restoreEnvironment);

afterAll(async () => {
  await plane?.stop();
  await github?.close();
  await gitlab?.close();
});

describe('webhook add on GitHub', () => {
  it("registers the Ingress's URL plus the route, JSON, TLS verified, with a new secret it keeps in a Secret and never prints", async () => {
    const result = await run(
      WebhookAdd,
      TOKENS,
      '/github',
      ...onGitHub('--events', 'push,pull_request', '--secret-from', 'github-webhook', '-o', 'json'),
    );
    expect(result.exitCode, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({
      provider: 'github',
      repository: 'octo-org/app',
      apiUrl: `${github.serverUrl}/api/v3`,
      route: '/github',
      backend: 'el-github.ci:8080',
      url: 'http://hooks.example.com/github',
      urlFrom: 'ingress',
      action: 'created',
      hook: { events: ['push', 'pull_request'], active: true, contentType: 'json', verifiesTls: true },
      secret: { from: 'generated', namespace: 'ci', name: 'github-webhook', key: 'secretToken' },
      token: 'GITHUB_TOKEN',
    });
    // No controller gives the Ingress an address here: said, not refused.
    expect(result.stderr).toContain('has no address yet');
    const secret = secretValue('ci', 'github-webhook');
    expect(secret).toMatch(/^[0-9a-f]{64}$/);
    const [hook] = github.hooks('octo-org/app');
    expect(hook?.config).toMatchObject({
      url: 'http://hooks.example.com/github',
      content_type: 'json',
      insecure_ssl: '0',
      secret,
    });
    expectNoLeak(result, secret ?? '-', TOKENS.GITHUB_TOKEN);
  });

  it('never registers a second hook: with the Secret it updates the one there is, without it leaves it unchanged', async () => {
    const again = await run(
      WebhookAdd,
      TOKENS,
      '/github',
      ...onGitHub('--events', 'push,pull_request', '--secret-from', 'github-webhook', '-o', 'yaml'),
    );
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.stdout).toContain('action: updated');
    expect(again.stdout).toContain('from: secret');
    const plain = await run(WebhookAdd, TOKENS, '/github', ...onGitHub('--events', 'pull_request,push'));
    expect(plain.exitCode, plain.stderr).toBe(0);
    expect(plain.stdout).toContain(
      'Already registered, unchanged: http://hooks.example.com/github on octo-org/app (GitHub)',
    );
    expect(github.hooks('octo-org/app')).toHaveLength(1);
    const secret = secretValue('ci', 'github-webhook') ?? '-';
    expect(github.hooks('octo-org/app')[0]?.config.secret).toBe(secret);
    expectNoLeak(again, secret);
    expectNoLeak(plain, secret);
  });

  it('--url overrides the address; a hook for another route is another hook', async () => {
    const result = await run(
      WebhookAdd,
      TOKENS,
      '/gitlab',
      ...onGitHub('--url', 'https://hooks.example.org/'),
    );
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain('Registered https://hooks.example.org/gitlab on octo-org/app (GitHub)');
    expect(result.stdout).toMatch(/secret\s+none set by this command/);
    expect(result.stderr).toContain(
      'the hook has no secret: anyone who knows https://hooks.example.org/gitlab can send to it; pass --secret-from',
    );
    expect(github.hooks('octo-org/app').map((hook) => hook.config.url)).toEqual([
      'http://hooks.example.com/github',
      'https://hooks.example.org/gitlab',
    ]);
  });
});

describe('webhook list and remove on GitHub', () => {
  it("lists the hooks under the gateway's address with route, events and GitHub's last delivery; others are counted", async () => {
    const api = `${github.serverUrl}/api/v3/repos/octo-org/app/hooks`;
    const foreign = await fetch(api, {
      method: 'POST',
      headers: { Authorization: `Bearer ${TOKENS.GITHUB_TOKEN}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({
        config: { url: 'https://ci.example.net/hook', content_type: 'json' },
        events: ['push'],
      }),
    });
    expect(foreign.status).toBe(201);
    const ours = github.hooks('octo-org/app')[0];
    github.recordDelivery('octo-org/app', ours?.id ?? 0, {
      status_code: 202,
      status: 'Accepted',
      event: 'push',
    });

    const result = await run(WebhookList, TOKENS, ...onGitHub());
    expect(result.exitCode, result.stderr).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toMatch(/^ID\s+PATH\s+ROUTE\s+EVENTS\s+ACTIVE\s+LAST DELIVERY$/);
    expect(lines[1]).toMatch(
      /^\d+\s+\/github\s+\/github\s+push,pull_request\s+yes\s+202 Accepted, \d{4}-\d\d-\d\dT/,
    );
    expect(result.stdout).toContain('2 other webhook(s) of octo-org/app point elsewhere.');

    const json = JSON.parse(
      (await run(WebhookList, TOKENS, ...onGitHub('--url', 'https://hooks.example.org', '-o', 'json')))
        .stdout,
    );
    expect(json).toMatchObject({
      base: 'https://hooks.example.org',
      others: 2,
      hooks: [{ path: '/gitlab', route: '/gitlab', lastDelivery: { kind: 'none' } }],
    });
  });

  it('removes our hook for the route and no other; a second remove says there is none', async () => {
    const result = await run(WebhookRemove, TOKENS, '/github', ...onGitHub());
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toMatch(
      /^Removed webhook \d+ \(http:\/\/hooks\.example\.com\/github\) from octo-org\/app \(GitHub\)/,
    );
    expect(github.hooks('octo-org/app').map((hook) => hook.config.url)).toEqual([
      'https://hooks.example.org/gitlab',
      'https://ci.example.net/hook',
    ]);
    // The listener may still read it.
    expect(secretValue('ci', 'github-webhook')).toBeDefined();
    const again = await run(WebhookRemove, TOKENS, '/github', ...onGitHub());
    expect(again.exitCode).toBe(7);
    expect(again.stderr).toContain('error: octo-org/app has no webhook for http://hooks.example.com/github');
  });
});

describe('webhook add refusals leave the cluster and the repository as they were', () => {
  const before = () => ({
    secrets: secretNames('ci'),
    hooks: github.hooks('octo-org/app').map((hook) => hook.id),
  });

  it.each([
    [
      'no token',
      {},
      [],
      3,
      /error: no GitHub token: GITHUB_TOKEN or GH_TOKEN is not set\n[\s\S]*gh auth login --hostname 127\.0\.0\.1 --scopes admin:repo_hook/,
    ],
    [
      'a bad token',
      { GITHUB_TOKEN: 'wrong' },
      [],
      5,
      /error: GitHub refused the token from GITHUB_TOKEN \(401 Bad credentials\)/,
    ],
    [
      'a token without a hook scope',
      { GITHUB_TOKEN: 'ghp-narrow' },
      [],
      6,
      /may not manage the webhooks of octo-org\/app \(404 Not Found\)\n {2}why: managing webhooks takes admin:repo_hook \(a classic token; repo includes it for hooks\), or the Webhooks repository permission, read and write \(a fine-grained token\); the token has gist/,
    ],
    [
      'a fine-grained token that may only read hooks',
      { GH_TOKEN: 'github_pat_read' },
      [],
      6,
      /the token from GH_TOKEN may not manage the webhooks of octo-org\/app \(403 Resource not accessible by personal access token\)/,
    ],
    [
      'a repository that does not exist',
      TOKENS,
      ['--repo', 'octo-org/nope'],
      7,
      /GitHub has no repository octo-org\/nope that the token can see \(404 Not Found\)/,
    ],
    [
      'a URL GitHub refuses',
      TOKENS,
      ['--url', 'http://10.1.2.3:8080'],
      7,
      /GitHub refused the hook URL http:\/\/10\.1\.2\.3:8080\/github \(422 Validation Failed: url Sorry, the URL host 10\.1\.2\.3 is not supported/,
    ],
    [
      'an API nothing answers at',
      TOKENS,
      ['--api-url', 'http://127.0.0.1:9'],
      4,
      /error: cannot reach GitHub's API at http:\/\/127\.0\.0\.1:9\n {2}why: connect ECONNREFUSED 127\.0\.0\.1:9 \(ECONNREFUSED\)/,
    ],
    [
      'a path without a route',
      TOKENS,
      ['/nowhere'],
      7,
      /no route for \/nowhere in the gateway in namespace trigger-gateway\n {2}why: a webhook for a path without a route gets the gateway's 404; the routes are: \/github, \/gitlab/,
    ],
    [
      'an event GitHub spells otherwise',
      TOKENS,
      ['--events', 'Push'],
      2,
      /--events: "Push" is not a github webhook event/,
    ],
    ['a repository that is not OWNER/REPO', TOKENS, ['--repo', 'app'], 2, /--repo app is not OWNER\/REPO/],
  ] as const)('%s', async (_, env, extra, exitCode, message) => {
    const was = before();
    const path = extra[0]?.startsWith('/') ? extra[0] : '/github';
    const flags = extra[0]?.startsWith('/') ? extra.slice(1) : extra;
    const result = await run(WebhookAdd, env, path, ...onGitHub('--secret-from', 'refused-secret', ...flags));
    expect(result.exitCode, result.stderr).toBe(exitCode);
    expect(result.stderr).toMatch(message);
    // A Secret generated for a hook that could not be registered is gone again.
    expect(before()).toEqual(was);
  });

  it('exits 2 for a provider it does not know', async () => {
    const result = await run(WebhookAdd, TOKENS, '/github', ...onGitHub('--provider', 'bitbucket'));
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('Expected --provider=bitbucket to be one of: github, gitlab, gitea');
  });
});

describe('webhook add on GitLab', () => {
  it("registers the events as GitLab's flags and the Secret's value as its token", async () => {
    const result = await run(
      WebhookAdd,
      TOKENS,
      '/gitlab',
      ...onGitLab('--events', 'Push Hook,merge_request', '--secret-from', 'gitlab-webhook:token'),
    );
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toMatch(
      /hook\s+id \d+, events Push Hook, Merge Request Hook; content JSON, TLS verified, executable/,
    );
    const token = secretValue('ci', 'gitlab-webhook', 'token');
    expect(gitlab.hooks('team/backend/app')[0]).toMatchObject({
      url: 'http://hooks.example.com/gitlab',
      push_events: true,
      merge_requests_events: true,
      tag_push_events: false,
      enable_ssl_verification: true,
      token,
    });
    expectNoLeak(result, token ?? '-', TOKENS.GITLAB_TOKEN);
    gitlab.recordEvent('team/backend/app', gitlab.hooks('team/backend/app')[0]?.id ?? 0, 500);
    const listed = await run(WebhookList, TOKENS, ...onGitLab());
    expect(listed.stdout).toMatch(/\/gitlab\s+\/gitlab\s+Push Hook,Merge Request Hook\s+yes\s+500$/m);
  });

  it('a local-network URL is refused by GitLab: exit 7, and the Secret made for it is gone', async () => {
    const secrets = secretNames('ci');
    const result = await run(
      WebhookAdd,
      TOKENS,
      '/gitlab',
      ...onGitLab('--url', 'http://192.168.7.7', '--secret-from', 'never-kept'),
    );
    expect(result.exitCode).toBe(7);
    expect(result.stderr).toContain(
      'GitLab refused the hook URL http://192.168.7.7/gitlab (400 url is blocked: Requests to the local network are not allowed)',
    );
    expect(secretNames('ci')).toEqual(secrets);
  });
});

describe('through kubectl', () => {
  it('kubectl finds the webhook commands: list, with the token only in the environment', async () => {
    const result = await runExecutable(
      'kubectl',
      [
        'trigger-gateway',
        'webhook',
        'list',
        '--repo',
        'octo-org/app',
        '--api-url',
        github.serverUrl,
        '-o',
        'json',
      ],
      { KUBECONFIG: kubeconfig, GITHUB_TOKEN: TOKENS.GITHUB_TOKEN },
    );
    expect(result.exitCode, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      provider: 'github',
      base: 'http://hooks.example.com/',
      others: 2,
    });
  });
});

describe('webhook add for a route to an EventListener (objects recorded from the real controller)', () => {
  /** A recorded object as a user would apply it: its spec and status, none of the server's fields. */
  const recorded = (fixture: TektonFixture, kind: string): KubeObject => {
    const { metadata, ...rest } = recordedObject(fixture, kind);
    return { ...rest, metadata: { name: metadata.name, namespace: metadata.namespace } } as KubeObject;
  };

  beforeAll(async () => {
    for (const [fixture, namespace, path] of [
      ['github-listener', 'fx-ci', '/listener'],
      ['gitlab-listener', 'fx-gitlab', '/gitlab-listener'],
    ] as const) {
      plane.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } });
      plane.put(recorded(fixture, 'Service'));
      plane.put(recorded(fixture, 'EventListener'));
      const added = await run(RouteAdd, {}, path, `el-${fixture}.${namespace}:8080`);
      expect(added.exitCode, added.stderr).toBe(0);
    }
  });

  it('registers what its interceptor checks: the event types it accepts and the Secret it reads, generated as it names it', async () => {
    const result = await run(WebhookAdd, TOKENS, '/listener', ...onGitHub('-o', 'json'));
    expect(result.exitCode, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({
      backend: 'el-github-listener.fx-ci:8080',
      listener: {
        name: 'github-listener',
        namespace: 'fx-ci',
        checks: [{ trigger: 'github-push', interceptor: 'verify-github' }],
      },
      events: { list: ['push', 'pull_request'], from: 'listener' },
      secret: {
        from: 'generated',
        namedBy: 'listener',
        namespace: 'fx-ci',
        name: 'github-webhook',
        key: 'secretToken',
      },
    });
    const secret = secretValue('fx-ci', 'github-webhook') ?? '-';
    const hook = github.hooks('octo-org/app').find((candidate) => candidate.config.url.endsWith('/listener'));
    expect(hook).toMatchObject({ events: ['push', 'pull_request'], config: { secret } });
    expectNoLeak(result, secret);

    // Again, in text: the Secret is there now, and its value is what is registered.
    const again = await run(WebhookAdd, TOKENS, '/listener', ...onGitHub());
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.stdout).toMatch(
      /listener\s+eventlistener fx-ci\/github-listener: trigger github-push's verify-github interceptor/,
    );
    expect(again.stdout).toMatch(/events\s+push, pull_request \(what the listener's interceptor accepts\)/);
    expect(again.stdout).toMatch(
      /secret\s+from Secret fx-ci\/github-webhook \(key secretToken\), which the listener's interceptor checks/,
    );
    expect(
      github.hooks('octo-org/app').filter((candidate) => candidate.config.url.endsWith('/listener')),
    ).toEqual([expect.objectContaining({ config: expect.objectContaining({ secret }) })]);
    expectNoLeak(again, secret);
  });

  it('--events and --secret-from still decide, and a Secret the interceptor does not read is said', async () => {
    const result = await run(
      WebhookAdd,
      TOKENS,
      '/listener',
      ...onGitHub('--events', 'push', '--secret-from', 'another-secret', '-o', 'json'),
    );
    expect(result.exitCode, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      events: { list: ['push'], from: 'flag' },
      secret: { from: 'generated', namedBy: 'flag', namespace: 'fx-ci', name: 'another-secret' },
    });
    expect(result.stderr).toContain(
      "trigger github-push's verify-github interceptor (eventlistener fx-ci/github-listener) reads secret fx-ci/github-webhook (key secretToken): it refuses the hook's deliveries unless that holds the same value as fx-ci/another-secret",
    );
  });

  it('GitLab: the hook flags of its X-Gitlab-Event types, and the Secret as its token', async () => {
    const result = await run(WebhookAdd, TOKENS, '/gitlab-listener', ...onGitLab('-o', 'json'));
    expect(result.exitCode, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      events: { list: ['Push Hook'], from: 'listener' },
      secret: { from: 'generated', namedBy: 'listener', namespace: 'fx-gitlab', name: 'gitlab-webhook' },
    });
    const hook = gitlab
      .hooks('team/backend/app')
      .find((candidate) => candidate.url.endsWith('/gitlab-listener'));
    expect(hook).toMatchObject({
      push_events: true,
      merge_requests_events: false,
      token: secretValue('fx-gitlab', 'gitlab-webhook'),
    });
  });

  it('a provider whose interceptor the listener lacks: exit 2 naming the one it checks, nothing registered or created', async () => {
    const hooks = gitlab.hooks('team/backend/app').length;
    const secrets = secretNames('fx-ci');
    const result = await run(WebhookAdd, TOKENS, '/listener', ...onGitLab());
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(
      'error: eventlistener fx-ci/github-listener checks github deliveries only: it would drop every one of a GitLab webhook',
    );
    expect(result.stderr).toContain('try: register the provider it checks: --provider github or gitea');
    expect(gitlab.hooks('team/backend/app')).toHaveLength(hooks);
    expect(secretNames('fx-ci')).toEqual(secrets);
  });
});
