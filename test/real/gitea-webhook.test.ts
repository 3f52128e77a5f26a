/**
 * A real forge sends the webhooks: `webhook add` registers the gateway at a real Gitea (v1.26.0), a
 * commit made through Gitea's API makes Gitea deliver a push, by its own code, through the gateway
 * running on the real control plane to the echo backend; `deliveries --id` finds it by Gitea's own
 * delivery ID, and its signature verifies with the secret `webhook add` generated and kept in a
 * Secret. Then `webhook list`, `webhook remove` (ours only), and Gitea's refusals, each leaving
 * nothing behind. Gitea sends from the host, to the gateway pod's address on the pod network, which
 * the host routes to (ALLOWED_HOST_LIST admits it).
 *
 * Then the whole journey on real Tekton Triggers: `webhook add` against a route to an EventListener
 * (events and secret found by themselves, the address from the Ingress), a commit, Gitea's delivery
 * through Traefik and the gateway to the listener and its PipelineRun, `deliveries --id`, `webhook
 * test`, `webhook remove`; and `webhook test` on an empty repository, to which Gitea sends nothing.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { hookEventsFor, storedEvents } from '../../src/forge/index.ts';
import type { WebhookTestResult } from '../../src/services/webhook-test.ts';
import { eventIdOf } from '../../src/tekton/objects.ts';
import { verifySignature } from '../../src/webhook/index.ts';
import { type CommandResult, runExecutable } from '../support/cli.ts';
import { freshNamespace } from '../support/clusters.ts';
import { eventually } from '../support/eventually.ts';
import { GiteaApi, type HookTask, hookSecret, hookTasks } from './gitea-api.ts';
import { pipelineRunsOf } from './listener-traffic.ts';
import { githubListener, tektonInstalled, type TektonScene, tektonScene } from './tekton-scene.ts';

const plane = inject('realControlPlane');
const gitea = inject('realGitea');
const admin = new GiteaApi(gitea);
const REPO = `${gitea.admin.username}/app`;

function plugin(env: Record<string, string>, ...args: string[]): Promise<CommandResult> {
  return runExecutable('kubectl', ['trigger-gateway', ...args], { KUBECONFIG: plane.kubeconfig, ...env });
}

// A namespace of its own: the default one is created and deleted by other suites on the shared plane.
const gatewayNs = freshNamespace('gt-gw');
const ownGateway = (env: Record<string, string>, ...args: string[]) => plugin(env, ...args, '-n', gatewayNs);

const onGitea = (...args: string[]) => ['--provider', 'gitea', '--api-url', gitea.url, ...args];
const asAdmin = { GITEA_TOKEN: gitea.admin.token };

async function kubectlJson<T>(...args: string[]): Promise<T> {
  const result = await runExecutable('kubectl', [...args, '-o', 'json'], { KUBECONFIG: plane.kubeconfig });
  if (result.exitCode !== 0) throw new Error(`kubectl ${args.join(' ')}: ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}

function secretValue(secret: { data?: Record<string, string> }, key = 'secretToken'): string {
  return Buffer.from(secret.data?.[key] ?? '', 'base64').toString('utf8');
}

let base = '';

beforeAll(async () => {
  // Reached at its pod's address: no Ingress, which would compete on Traefik with other suites'.
  const installed = await ownGateway({}, 'install', '--with-echo', '--expose', 'none');
  expect(installed.exitCode, installed.stderr).toBe(0);
  const pods = await kubectlJson<{ items: Array<{ status: { podIP?: string } }> }>(
    'get',
    'pods',
    '-n',
    gatewayNs,
    '-l',
    'app.kubernetes.io/name=trigger-gateway',
  );
  const ip = pods.items.map((pod) => pod.status.podIP).find(Boolean);
  if (!ip) throw new Error('no gateway pod has an address');
  // The gateway pod's own address: the host routes the pod network, and Gitea sends from the host.
  base = `http://${ip}:8080`;
  // The echo route's backend resolves on HAProxy's own clock.
  await eventually(async () => {
    expect((await fetch(`${base}/trigger`, { method: 'POST', body: '{}' })).status).toBe(200);
  });
  await admin.createRepository('app');
});

describe('webhook add with a real Gitea', () => {
  let hookId = 0;
  let secret = '';

  it('registers the gateway for /trigger with a generated secret, kept in a Secret and never printed', async () => {
    const result = await ownGateway(
      asAdmin,
      'webhook',
      'add',
      '/trigger',
      ...onGitea('--repo', REPO, '--url', base, '--secret-from', 'gitea-webhook', '-o', 'json'),
    );
    expect(result.exitCode, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({
      provider: 'gitea',
      repository: REPO,
      url: `${base}/trigger`,
      urlFrom: 'url',
      action: 'created',
      backend: 'httpecho.trigger:80',
      hook: { events: ['push'], active: true, contentType: 'json' },
      secret: { from: 'generated', namespace: 'trigger', name: 'gitea-webhook', key: 'secretToken' },
      token: 'GITEA_TOKEN',
    });
    hookId = Number(report.hook.id);
    secret = secretValue(await kubectlJson('get', 'secret', 'gitea-webhook', '-n', 'trigger'));
    expect(secret).toMatch(/^[0-9a-f]{64}$/);
    // Gitea's own record: the same secret, the same URL.
    expect(hookSecret(gitea.database, hookId)).toBe(secret);
    expect((await admin.hooks(REPO)).map((hook) => hook.config.url)).toEqual([`${base}/trigger`]);
    for (const text of [result.stdout, result.stderr]) {
      expect(text).not.toContain(secret);
      expect(text).not.toContain(gitea.admin.token);
    }
  });

  it("carries Gitea's own push, made by a commit, through the gateway; deliveries --id finds it by Gitea's delivery ID", async () => {
    await admin.commitFile(REPO, 'README-pushed.md', 'pushed through the gateway\n');
    const task = await eventually(
      () => {
        const [newest] = hookTasks(gitea.database, hookId);
        expect(newest?.delivered).toBe(true);
        return newest;
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    expect(task).toMatchObject({ eventType: 'push', succeeded: true, status: 200 });

    const found = await eventually(async () => {
      const result = await ownGateway({}, 'deliveries', '--id', task?.uuid ?? '', '-o', 'json');
      expect(result.exitCode, result.stderr).toBe(0);
      return JSON.parse(result.stdout) as Array<Record<string, unknown>>;
    });
    expect(found).toEqual([
      expect.objectContaining({
        provider: 'gitea',
        event: 'push',
        deliveryId: task?.uuid,
        route: '/trigger',
        status: 200,
      }),
    ]);
    const table = await ownGateway({}, 'deliveries', '--provider', 'gitea');
    expect(table.stdout).toContain(`gitea/push`);

    // What arrived at the backend is signed with the Secret's value, as a GitHub interceptor checks it.
    const logs = await runExecutable('kubectl', ['logs', '-n', 'trigger', 'deployment/httpecho'], {
      KUBECONFIG: plane.kubeconfig,
    });
    const arrived = logs.stdout
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { headers: Record<string, string>; body: string })
      .find((request) => request.headers['x-gitea-delivery'] === task?.uuid);
    expect(arrived?.headers['x-github-delivery']).toBe(task?.uuid);
    expect(verifySignature('github', arrived?.headers ?? {}, Buffer.from(arrived?.body ?? ''), secret)).toBe(
      true,
    );
  });

  it('never registers a second hook: again with the Secret it is replaced with the same secret, without it is unchanged', async () => {
    const again = await ownGateway(
      asAdmin,
      'webhook',
      'add',
      '/trigger',
      ...onGitea('--repo', REPO, '--url', base, '--secret-from', 'gitea-webhook', '-o', 'json'),
    );
    expect(again.exitCode, again.stderr).toBe(0);
    const report = JSON.parse(again.stdout);
    expect(report).toMatchObject({ action: 'updated', secret: { from: 'secret' } });
    hookId = Number(report.hook.id);
    expect(hookSecret(gitea.database, hookId)).toBe(secret);
    const plain = await ownGateway(
      asAdmin,
      'webhook',
      'add',
      '/trigger',
      ...onGitea('--repo', REPO, '--url', base),
    );
    expect(plain.exitCode, plain.stderr).toBe(0);
    expect(plain.stdout).toContain(`Already registered, unchanged: ${base}/trigger on ${REPO} (Gitea)`);
    expect((await admin.hooks(REPO)).map((hook) => hook.id)).toEqual([hookId]);
  });

  it('lists the hook with its route and says Gitea keeps no delivery history in its API', async () => {
    const foreign = await admin.createHook(REPO, 'http://127.0.0.1:9/elsewhere');
    const result = await ownGateway(asAdmin, 'webhook', 'list', ...onGitea('--repo', REPO, '--url', base));
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^${hookId}\\s+/trigger\\s+/trigger\\s+push\\s+yes\\s+-$`, 'm'));
    expect(result.stdout).toContain("Last delivery: Gitea's API has no delivery history");
    expect(result.stdout).toContain(`1 other webhook(s) of ${REPO} point elsewhere.`);

    const removed = await ownGateway(
      asAdmin,
      'webhook',
      'remove',
      '/trigger',
      ...onGitea('--repo', REPO, '--url', base),
    );
    expect(removed.exitCode, removed.stderr).toBe(0);
    expect(removed.stdout).toContain(`Removed webhook ${hookId} (${base}/trigger) from ${REPO} (Gitea).`);
    expect((await admin.hooks(REPO)).map((hook) => hook.id)).toEqual([foreign.id]);
  });
});

describe("Gitea's refusals, each leaving neither Secret nor hook", () => {
  async function state() {
    const secrets = await kubectlJson<{ items: Array<{ metadata: { name: string } }> }>(
      'get',
      'secrets',
      '-n',
      'trigger',
    );
    return {
      secrets: secrets.items.map((item) => item.metadata.name).sort(),
      hooks: (await admin.hooks(REPO)).map((hook) => hook.id),
    };
  }

  it('a token that may only read repositories: exit 6, naming write:repository', async () => {
    const token = await admin.createToken(gitea.admin.username, gitea.admin.password, ['read:repository']);
    const was = await state();
    const result = await ownGateway(
      { GITEA_TOKEN: token },
      'webhook',
      'add',
      '/trigger',
      ...onGitea('--repo', REPO, '--url', base, '--secret-from', 'refused-1'),
    );
    expect(result.exitCode, result.stderr).toBe(6);
    expect(result.stderr).toContain(
      `the token from GITEA_TOKEN may not manage the webhooks of ${REPO} (403 token does not have at least one of required scope(s), required=[write:repository], token scope=read:repository)`,
    );
    expect(result.stderr).toContain('the token has read:repository');
    expect(await state()).toEqual(was);
  });

  it('a user who may not administer the repository: exit 6; one who cannot see it: exit 7; a wrong token: exit 5', async () => {
    const token = await admin.createUserWithToken('dev', ['write:repository']);
    const was = await state();
    const forbidden = await ownGateway(
      { GITEA_TOKEN: token },
      'webhook',
      'add',
      '/trigger',
      ...onGitea('--repo', REPO, '--url', base),
    );
    expect(forbidden.exitCode).toBe(6);
    expect(forbidden.stderr).toContain(
      `Gitea does not let the token's user manage the webhooks of ${REPO} (403 user should be an owner or a collaborator with admin write of a repository)`,
    );
    await admin.createRepository('hidden', { private: true });
    const hidden = await ownGateway(
      { GITEA_TOKEN: token },
      'webhook',
      'list',
      ...onGitea('--repo', `${gitea.admin.username}/hidden`, '--url', base),
    );
    expect(hidden.exitCode).toBe(7);
    expect(hidden.stderr).toContain(
      `Gitea has no repository ${gitea.admin.username}/hidden that the token can see (404`,
    );
    const wrong = await ownGateway(
      { GITEA_TOKEN: 'not-a-token' },
      'webhook',
      'add',
      '/trigger',
      ...onGitea('--repo', REPO, '--url', base),
    );
    expect(wrong.exitCode).toBe(5);
    expect(wrong.stderr).toContain('Gitea refused the token from GITEA_TOKEN (401');
    expect(await state()).toEqual(was);
  });
});

describe.skipIf(!tektonInstalled() || !gitea.hookDomain)(
  "Gitea's push through Traefik and the gateway to a real EventListener's PipelineRun",
  () => {
    const ci = freshNamespace('gt-ci');
    const host = `${freshNamespace('gt')}.${gitea.hookDomain}`;
    const PIPELINES = `${gitea.admin.username}/pipelines`;
    let scene: TektonScene;
    let hookId = 0;
    const inGateway = (...args: string[]) => [...args, '-n', scene.gateway];

    /** Gitea's newest delivery of the hook, once it has made it. */
    const delivered = (after: number) =>
      eventually(
        () => {
          const tasks = hookTasks(gitea.database, hookId);
          expect(tasks.length).toBeGreaterThan(after);
          expect(tasks[0]?.delivered).toBe(true);
          return tasks[0] as HookTask;
        },
        { timeoutMs: 60_000, intervalMs: 250 },
      );

    beforeAll(async () => {
      // A host of its own: Gitea reaches it through Traefik by name, whatever other gateways take.
      scene = await tektonScene('gt', ['--host', host]);
      // No Secret: webhook add makes the one the interceptor names.
      await scene.addListener(githubListener(ci), undefined);
      await scene.route('/github', 'github-listener', ci);
      await admin.createRepository('pipelines');
      await scene.throughIngress('/github', host);
    });

    afterAll(async () => {
      await scene?.close();
    });

    it("webhook add finds the listener's events and secret and the Ingress's address by itself", async () => {
      const result = await plugin(
        asAdmin,
        ...inGateway('webhook', 'add', '/github', ...onGitea('--repo', PIPELINES, '-o', 'json')),
      );
      expect(result.exitCode, result.stderr).toBe(0);
      const report = JSON.parse(result.stdout);
      expect(report).toMatchObject({
        url: `http://${host}/github`,
        urlFrom: 'ingress',
        action: 'created',
        listener: { name: 'github-listener', namespace: ci },
        events: { from: 'listener' },
        secret: { from: 'generated', namedBy: 'listener', namespace: ci, name: 'github-webhook' },
      });
      hookId = Number(report.hook.id);
      const [hook] = (await admin.hooks(PIPELINES)).filter((candidate) => candidate.id === hookId);
      // Every Gitea event that arrives as X-GitHub-Event push or pull_request (test/forge/names.test.ts
      // lists them), and Gitea reports them back as the comparison that finds a hook unchanged expects.
      expect(report.events.list).toEqual(hookEventsFor('gitea', ['push', 'pull_request']).events);
      expect(hook?.events.sort()).toEqual(storedEvents('gitea', report.events.list).sort());
      const secret = secretValue(await kubectlJson('get', 'secret', 'github-webhook', '-n', ci));
      expect(hookSecret(gitea.database, hookId)).toBe(secret);
      expect(`${result.stdout}${result.stderr}`).not.toContain(secret);
    });

    it("a commit: Gitea's own push reaches the listener through Traefik and the gateway, and starts a PipelineRun", async () => {
      const before = hookTasks(gitea.database, hookId).length;
      await admin.commitFile(PIPELINES, 'ci/trigger.txt', 'build me\n');
      const task = await delivered(before);
      expect(task).toMatchObject({ eventType: 'push', succeeded: true, status: 202 });
      const eventId = eventIdOf(task.body ?? '') ?? '';
      const runs = await eventually(async () => {
        const found = await pipelineRunsOf(scene.kube, ci, eventId);
        expect(found).toHaveLength(1);
        return found;
      });
      expect(runs[0]?.spec).toMatchObject({
        params: expect.arrayContaining([{ name: 'repository', value: PIPELINES }]),
      });
      const found = await plugin({}, ...inGateway('deliveries', '--id', task.uuid, '-o', 'json'));
      expect(found.exitCode, found.stderr).toBe(0);
      expect(JSON.parse(found.stdout)).toEqual([
        expect.objectContaining({
          provider: 'gitea',
          event: 'push',
          deliveryId: task.uuid,
          route: '/github',
          status: 202,
        }),
      ]);
    });

    it('webhook test: Gitea sends a push, found in the gateway, followed to the PipelineRun it started', async () => {
      const before = hookTasks(gitea.database, hookId).length;
      const result = await plugin(
        asAdmin,
        ...inGateway(
          'webhook',
          'test',
          '/github',
          ...onGitea('--repo', PIPELINES, '--timeout', '60s', '-o', 'json'),
        ),
      );
      expect(result.exitCode, result.stderr).toBe(0);
      const report = JSON.parse(result.stdout) as WebhookTestResult;
      const task = await delivered(before);
      expect(report).toMatchObject({
        provider: 'gitea',
        url: `http://${host}/github`,
        delivery: { id: task.uuid, foundBy: 'gateway', status: 202 },
        gateway: { route: '/github', status: 202 },
        listener: { name: 'github-listener', namespace: ci, trigger: 'github-push', eventIdFrom: 'created' },
      });
      // The listener's first new object after the request was this delivery's: Gitea's record says so.
      expect(report.listener?.eventId).toBe(eventIdOf(task.body ?? ''));
      const runs = await pipelineRunsOf(scene.kube, ci, report.listener?.eventId ?? '');
      expect(report.listener?.created).toEqual(
        runs.map((run) => expect.objectContaining({ kind: 'PipelineRun', name: run.metadata.name })),
      );
      const text = await plugin(
        asAdmin,
        ...inGateway('webhook', 'test', '/github', ...onGitea('--repo', PIPELINES, '--timeout', '60s')),
      );
      expect(text.exitCode, text.stderr).toBe(0);
      expect(text.stdout).toMatch(
        new RegExp(`created\\s+PipelineRun ${ci}/build-[a-z0-9]{5} \\(trigger github-push\\)`),
      );
    });

    it('webhook test on a repository without a commit: Gitea refuses to send one, and exit 7 says why', async () => {
      await admin.createRepository('empty', { empty: true });
      const repo = `${gitea.admin.username}/empty`;
      const added = await plugin(
        asAdmin,
        ...inGateway('webhook', 'add', '/github', ...onGitea('--repo', repo)),
      );
      expect(added.exitCode, added.stderr).toBe(0);
      const result = await plugin(
        asAdmin,
        ...inGateway('webhook', 'test', '/github', ...onGitea('--repo', repo, '--timeout', '5s')),
      );
      expect(result.exitCode, result.stderr).toBe(7);
      expect(result.stderr).toContain(`error: Gitea sends no test push for ${repo}: it has no commit yet`);
      expect(result.stderr).toContain(
        'why: Gitea tests a webhook with the newest commit of the default branch (404 repository is empty)',
      );
    });

    it('webhook remove takes the hook away; the Secret stays for the listener', async () => {
      const removed = await plugin(
        asAdmin,
        ...inGateway('webhook', 'remove', '/github', ...onGitea('--repo', PIPELINES)),
      );
      expect(removed.exitCode, removed.stderr).toBe(0);
      expect(await admin.hooks(PIPELINES)).toEqual([]);
      expect(secretValue(await kubectlJson('get', 'secret', 'github-webhook', '-n', ci))).toMatch(
        /^[0-9a-f]{64}$/,
      );
    });
  },
);
