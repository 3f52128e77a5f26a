/**
 * `webhook add` and `webhook test` for GitHub and GitLab on real Tekton Triggers: local servers that
 * answer as those providers' published REST documentation says register the hook and send the test
 * push themselves, to the gateway's public name (its Ingress host, which their resolver sends to
 * Traefik's address), through Traefik and the gateway to the real EventListener. The eventID comes
 * from the listener's answer as the provider kept it (GitHub's delivery, GitLab's hook event), and the
 * PipelineRun it labels is the proof. A hook whose secret is not the listener's starts nothing, and
 * webhook test says what to do.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import WebhookAdd from '../../src/commands/webhook/add.ts';
import WebhookTest from '../../src/commands/webhook/test.ts';
import type { WebhookTestResult } from '../../src/services/webhook-test.ts';
import { eventIdOf } from '../../src/tekton/objects.ts';
import type { CommandResult } from '../support/cli.ts';
import { freshNamespace } from '../support/clusters.ts';
import { environmentRestorer, forgeFlags, setForgeTokens } from '../support/forges/environment.ts';
import { type LocalGitHub, startLocalGitHub } from '../support/forges/github.ts';
import { type LocalGitLab, startLocalGitLab } from '../support/forges/gitlab.ts';
import type { HookAddress } from '../support/forges/server.ts';
import { pipelineRunsOf } from './listener-traffic.ts';
import {
  githubListener,
  gitlabListener,
  tektonInstalled,
  type TektonScene,
  tektonScene,
} from './tekton-scene.ts';

const TOKENS = { GITHUB_TOKEN: 'ghp-admin-token', GITLAB_TOKEN: 'glpat-maintainer' };

describe.skipIf(!tektonInstalled())('webhook test for GitHub and GitLab, to real Tekton Triggers', () => {
  const ci = freshNamespace('fw-ci');
  const host = `${freshNamespace('hooks')}.example.com`;
  let scene: TektonScene;
  let github: LocalGitHub;
  let gitlab: LocalGitLab;
  const restoreEnvironment = environmentRestorer();

  function run(command: typeof WebhookAdd | typeof WebhookTest, ...args: string[]): Promise<CommandResult> {
    setForgeTokens(TOKENS);
    return scene.run(command, ...args);
  }
  const onGitHub = forgeFlags('github', () => github.serverUrl, 'octo-org/app');
  const onGitLab = forgeFlags('gitlab', () => gitlab.serverUrl, 'team/app');

  beforeAll(async () => {
    // The gateway's public name resolves, for the providers, to Traefik's address.
    const ingress = inject('realControlPlane').ingressAddress ?? '';
    const hookAddress: HookAddress = (url) =>
      url.hostname === host ? { host: ingress, port: 80 } : { host: url.hostname, port: Number(url.port) };
    github = await startLocalGitHub({
      tokens: { 'ghp-admin-token': { user: 'mona', scopes: ['admin:repo_hook'] } },
      repos: [{ name: 'octo-org/app', admins: ['mona'] }],
      hookAddress,
    });
    gitlab = await startLocalGitLab({
      tokens: { 'glpat-maintainer': { user: 'alice', scopes: ['api'] } },
      projects: [{ path: 'team/app', members: { alice: 40 } }],
      hookAddress,
    });
    scene = await tektonScene('fw', ['--host', host]);
    await scene.addListener(githubListener(ci), undefined);
    await scene.addListener(gitlabListener(ci), undefined);
    await scene.route('/github', 'github-listener', ci);
    await scene.route('/gitlab', 'gitlab-listener', ci);
    await scene.throughIngress('/github', host);
  });

  afterAll(async () => {
    restoreEnvironment();
    await scene?.close();
    await github?.close();
    await gitlab?.close();
  });

  it("GitHub: webhook add registers the listener's events and secret at the Ingress's host; webhook test's push starts a PipelineRun", async () => {
    const added = await run(WebhookAdd, '/github', ...onGitHub('-o', 'json'));
    expect(added.exitCode, added.stderr).toBe(0);
    expect(JSON.parse(added.stdout)).toMatchObject({
      url: `http://${host}/github`,
      events: { list: ['push', 'pull_request'], from: 'listener' },
      secret: { from: 'generated', namedBy: 'listener', namespace: ci, name: 'github-webhook' },
    });
    const tested = await run(WebhookTest, '/github', ...onGitHub('--timeout', '60s', '-o', 'json'));
    expect(tested.exitCode, tested.stderr).toBe(0);
    const report = JSON.parse(tested.stdout) as WebhookTestResult;
    const [delivery] = github.hooks('octo-org/app')[0]?.deliveries ?? [];
    expect(report).toMatchObject({
      delivery: { id: delivery?.guid, foundBy: 'provider', status: 202 },
      gateway: { route: '/github', status: 202 },
      listener: { name: 'github-listener', trigger: 'github-push', eventIdFrom: 'answer' },
    });
    // The eventID is the one in the listener's answer, as GitHub recorded it.
    expect(report.listener?.eventId).toBe(eventIdOf(delivery?.response?.payload ?? ''));
    const runs = await pipelineRunsOf(scene.kube, ci, report.listener?.eventId ?? '');
    expect(runs).toHaveLength(1);
    expect(report.listener?.created).toEqual([
      {
        apiVersion: 'tekton.dev/v1',
        kind: 'PipelineRun',
        namespace: ci,
        name: runs[0]?.metadata.name,
        trigger: 'github-push',
      },
    ]);
  });

  it('GitLab: the token is the Secret the listener reads, and its test push starts a PipelineRun', async () => {
    const added = await run(WebhookAdd, '/gitlab', ...onGitLab('-o', 'json'));
    expect(added.exitCode, added.stderr).toBe(0);
    expect(JSON.parse(added.stdout)).toMatchObject({
      events: { list: ['Push Hook'], from: 'listener' },
      secret: { namedBy: 'listener', name: 'gitlab-webhook' },
    });
    const tested = await run(WebhookTest, '/gitlab', ...onGitLab('--timeout', '60s', '-o', 'json'));
    expect(tested.exitCode, tested.stderr).toBe(0);
    const report = JSON.parse(tested.stdout) as WebhookTestResult;
    const [event] = gitlab.hooks('team/app')[0]?.events ?? [];
    expect(report).toMatchObject({
      delivery: { id: event?.request_headers?.['X-Gitlab-Event-UUID'], foundBy: 'provider', status: 202 },
      listener: { name: 'gitlab-listener', trigger: 'gitlab-push', eventIdFrom: 'answer' },
    });
    expect(await pipelineRunsOf(scene.kube, ci, report.listener?.eventId ?? '')).toHaveLength(1);
  });

  it("a hook whose secret is not the listener's: nothing starts, and webhook test says to register the listener's again", async () => {
    const other = await run(WebhookAdd, '/github', ...onGitHub('--secret-from', 'not-the-listeners'));
    expect(other.exitCode, other.stderr).toBe(0);
    const tested = await run(WebhookTest, '/github', ...onGitHub('--timeout', '10s'));
    expect(tested.exitCode).toBe(8);
    expect(tested.stderr).toMatch(
      new RegExp(
        `error: eventlistener ${ci}/github-listener created nothing for event [0-9a-f-]{36} within 10s`,
      ),
    );
    expect(tested.stderr).toContain(
      `the hook's secret is not shown by GitHub: if it differs from the one in secret ${ci}/github-webhook, the interceptor drops every delivery`,
    );
    expect(tested.stderr).toContain(
      "try: register the listener's secret again: kubectl trigger-gateway webhook add /github --repo octo-org/app --provider github",
    );
    // Which it does.
    const again = await run(WebhookAdd, '/github', ...onGitHub());
    expect(again.exitCode, again.stderr).toBe(0);
    const retested = await run(WebhookTest, '/github', ...onGitHub('--timeout', '60s'));
    expect(retested.exitCode, retested.stderr).toBe(0);
  });
});
