/**
 * `webhook test` on the local control plane with real HAProxy pods and the echo backend: local GitHub
 * and GitLab servers that answer as their published REST documentation says send the test push
 * themselves (signed with the hook's secret, to the hook's URL, whose public host resolves to the
 * gateway here), and the command follows it by the delivery ID their API names to the gateway's
 * record; what they refuse or cannot deliver is explained. The path through an EventListener to its
 * PipelineRun runs on the real control plane (test/real/forge-webhook-test.test.ts, gitea-webhook).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import Install from '../../src/commands/install.ts';
import WebhookAdd from '../../src/commands/webhook/add.ts';
import WebhookTest from '../../src/commands/webhook/test.ts';
import { verifySignature } from '../../src/webhook/index.ts';
import { type CommandResult, runCommand } from '../support/cli.ts';
import {
  type ControlPlaneWithDataPlane,
  type KubeObject,
  startControlPlane,
} from '../support/control-plane/index.ts';
import { eventually } from '../support/eventually.ts';
import { environmentRestorer, forgeFlags, setForgeTokens } from '../support/forges/environment.ts';
import { type LocalGitHub, startLocalGitHub } from '../support/forges/github.ts';
import { type LocalGitLab, startLocalGitLab } from '../support/forges/gitlab.ts';
import type { HookAddress } from '../support/forges/server.ts';
import { echoRequests } from '../support/gateway-traffic.ts';
import { findHaproxy } from '../support/haproxy.ts';

const HOST = 'hooks.example.com';
const TOKENS = { GITHUB_TOKEN: 'ghp-admin-token', GITLAB_TOKEN: 'glpat-maintainer' };
const restoreEnvironment = environmentRestorer();

let plane: ControlPlaneWithDataPlane;
let kubeconfig: string;
let github: LocalGitHub;
let gitlab: LocalGitLab;
/** Where the forges' "DNS" sends the gateway's public name: its Service here; a closed port to fail. */
let gatewayAt: { host: string; port: number } | undefined;

function run(command: Parameters<typeof runCommand>[0], ...args: string[]): Promise<CommandResult> {
  setForgeTokens(TOKENS);
  return runCommand(command, ['--kubeconfig', kubeconfig, ...args]);
}

const onGitHub = forgeFlags('github', () => github.serverUrl, 'octo-org/app');
const onGitLab = forgeFlags('gitlab', () => gitlab.serverUrl, 'team/app');

function secretValue(name: string): string {
  const secret = plane.get('secrets', name, 'trigger') as KubeObject & { data: Record<string, string> };
  return Buffer.from(secret.data.secretToken ?? '', 'base64').toString('utf8');
}

describe.skipIf(!findHaproxy() && !process.env.CI)('webhook test', () => {
  beforeAll(async () => {
    const hookAddress: HookAddress = (url) =>
      url.hostname === HOST && gatewayAt ? gatewayAt : { host: url.hostname, port: Number(url.port) || 80 };
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
    plane = await startControlPlane({ dataPlane: true });
    kubeconfig = plane.writeKubeconfig(join(mkdtempSync(join(tmpdir(), 'tg-webhook-test-')), 'kubeconfig'));
    const installed = await run(Install, '--with-echo', '--host', HOST);
    expect(installed.exitCode, installed.stderr).toBe(0);
    gatewayAt = plane.dataPlane.serviceAddress('trigger-gateway', 'trigger-gateway', 80);
    const { host, port } = gatewayAt;
    // About webhook test, not about how soon HAProxy resolves a brand-new Service name.
    await eventually(async () => {
      expect((await fetch(`http://${host}:${port}/trigger`, { method: 'POST', body: '{}' })).status).toBe(
        200,
      );
    });
  });

  afterEach(restoreEnvironment);

  afterAll(async () => {
    await plane?.stop();
    await github?.close();
    await gitlab?.close();
  });

  it("GitHub: its test push, signed with the hook's secret, found by its delivery ID in GitHub's deliveries and in the gateway's record", async () => {
    const added = await run(WebhookAdd, '/trigger', ...onGitHub('--secret-from', 'echo-webhook'));
    expect(added.exitCode, added.stderr).toBe(0);
    const result = await run(WebhookTest, '/trigger', ...onGitHub('-o', 'json'));
    expect(result.exitCode, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout);
    const [delivery] = github.hooks('octo-org/app')[0]?.deliveries ?? [];
    expect(report).toMatchObject({
      provider: 'github',
      url: `http://${HOST}/trigger`,
      route: '/trigger',
      backend: 'httpecho.trigger:80',
      delivery: { id: delivery?.guid, foundBy: 'provider', status: 200 },
      gateway: { route: '/trigger', status: 200, termination: '----' },
      token: 'GITHUB_TOKEN',
    });
    expect(report.listener).toBeUndefined();
    // What reached the backend is GitHub's push, signed with the Secret webhook add made.
    const arrived = echoRequests(plane).find(
      (request) => request.headers['x-github-delivery'] === delivery?.guid,
    );
    expect(arrived?.headers['x-github-event']).toBe('push');
    const secret = secretValue('echo-webhook');
    expect(verifySignature('github', arrived?.headers ?? {}, Buffer.from(arrived?.body ?? ''), secret)).toBe(
      true,
    );
    expect(`${result.stdout}${result.stderr}`).not.toContain(secret);

    const text = await run(WebhookTest, '/trigger', ...onGitHub());
    expect(text.exitCode, text.stderr).toBe(0);
    expect(text.stdout).toMatch(
      new RegExp(
        `^GitHub delivered a test push to http://${HOST}/trigger → httpecho\\.trigger:80 \\(webhook \\d+ of octo-org/app\\)$`,
        'm',
      ),
    );
    expect(text.stdout).toMatch(/delivery\s+[0-9a-f-]{36} \(named by the provider's record of the hook\)/);
    expect(text.stdout).toMatch(
      /gateway\s+the gateway recorded it: pod trigger-gateway-\S+, route \/trigger, HTTP 200/,
    );
  });

  it('GitLab: its test push, sent before it answers, found by X-Gitlab-Event-UUID in its hook events', async () => {
    const added = await run(WebhookAdd, '/trigger', ...onGitLab('--secret-from', 'echo-token'));
    expect(added.exitCode, added.stderr).toBe(0);
    const result = await run(WebhookTest, '/trigger', ...onGitLab('-o', 'json'));
    expect(result.exitCode, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout);
    const [event] = gitlab.hooks('team/app')[0]?.events ?? [];
    const uuid = event?.request_headers?.['X-Gitlab-Event-UUID'];
    expect(uuid).toMatch(/^[0-9a-f-]{36}$/);
    expect(report).toMatchObject({
      provider: 'gitlab',
      delivery: { id: uuid, foundBy: 'provider', status: 200 },
      gateway: { route: '/trigger', status: 200 },
    });
    const arrived = echoRequests(plane).find((request) => request.headers['x-gitlab-event-uuid'] === uuid);
    expect(arrived?.headers['x-gitlab-token']).toBe(secretValue('echo-token'));
  });

  it('a hook GitHub sends no test to (not subscribed to push): exit 7 before asking, naming the fix', async () => {
    await run(WebhookAdd, '/trigger', ...onGitHub('--events', 'pull_request'));
    const asked = github.requests.length;
    const result = await run(WebhookTest, '/trigger', ...onGitHub());
    expect(result.exitCode).toBe(7);
    expect(result.stderr).toContain('is not subscribed to push');
    expect(result.stderr).toContain(
      'GitHub tests a webhook with a push only, and sends nothing to one without it (its events: pull_request)',
    );
    expect(github.requests.slice(asked).some((request) => request.path.endsWith('/tests'))).toBe(false);
    await run(WebhookAdd, '/trigger', ...onGitHub('--events', 'push'));
  });

  it('no hook for the route: exit 7, naming the hooks there are', async () => {
    const result = await run(WebhookTest, '/trigger', ...onGitHub('--url', 'https://elsewhere.example.com'));
    expect(result.exitCode).toBe(7);
    expect(result.stderr).toContain(
      'error: octo-org/app has no webhook for https://elsewhere.example.com/trigger',
    );
  });

  it('a push the provider cannot deliver: exit 7, with what the provider recorded', async () => {
    const reachable = gatewayAt;
    gatewayAt = { host: '127.0.0.1', port: 9 };
    try {
      const gitlabFailed = await run(WebhookTest, '/trigger', ...onGitLab());
      expect(gitlabFailed.exitCode).toBe(7);
      expect(gitlabFailed.stderr).toContain(`GitLab's test push to http://${HOST}/trigger was not taken`);
      expect(gitlabFailed.stderr).toMatch(/GitLab said: connect ECONNREFUSED 127\.0\.0\.1:9/);
      const githubFailed = await run(WebhookTest, '/trigger', ...onGitHub());
      expect(githubFailed.exitCode).toBe(7);
      expect(githubFailed.stderr).toContain('the gateway has no record of delivery');
    } finally {
      gatewayAt = reachable;
    }
  });
});
