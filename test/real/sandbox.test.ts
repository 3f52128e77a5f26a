/**
 * `npm run sandbox -- --real`: the README's main job on a real control plane of its own, with Tekton
 * Triggers behind the gateway (a GitHub listener whose PipelineRun `test` proves) and Traefik in front
 * (the webhooks go through it), and every process and network namespace gone once it is stopped; with
 * --gitea, a real Gitea beside it whose own push, after `webhook add`, starts a PipelineRun.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it, vi } from 'vitest';
import { REPO_ROOT } from '../support/cli.ts';
import { running } from '../support/process-tree.ts';
import { sandboxUp } from '../support/sandbox-process.ts';

// Past sandboxUp's own deadlines (up to 300 s), whose errors carry the sandbox's output.
const SANDBOX_TEST_MS = 360_000;
const namespaces = () => execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });

it(
  'runs the main job on the real control plane and stops everything on SIGHUP',
  async () => {
    const sandbox = await sandboxUp(['--real'], { timeoutMs: 240_000 });
    const output = sandbox.output();
    expect(output).toMatch(
      /Real control plane \(Kubernetes v1\.37\.2\) at https:\/\/127\.0\.0\.1:\d+, its node in network namespace tgr-\d+/,
    );
    expect(output).toContain('Ready: deployment trigger-gateway/trigger-gateway 2/2 pods.');
    expect(output).toContain('Ready: deployment trigger/httpecho 1/1 pods.');
    expect(output).toMatch(/Tekton Triggers runs in it, and Traefik in front at http:\/\/10\.246\.\d+\.\d+/);
    expect(output).toContain('eventlistener.triggers.tekton.dev/github-listener condition met');
    expect(output).toContain('Route /github → el-github-listener.ci:8080 added.');
    // test proves the pipeline started: the listener's own PipelineRun, listed next to it.
    expect(output).toMatch(/Delivered github push \S+ to \/github → el-github-listener\.ci:8080/);
    // Signed with the secret the listener's interceptor reads, found by test itself.
    expect(output).toMatch(/PipelineRun ci\/(build-\w+) \(trigger github-push\)/);
    expect(output).toMatch(/\nNAME\s+SUCCEEDED\s+REASON\s+STARTTIME\s+COMPLETIONTIME\nbuild-\w+/);
    expect(output).toContain('POST /trigger/push through the gateway (real HAProxy): 200');
    expect(output).toContain('POST /unknown through the gateway (real HAProxy): 404');
    const netns = /network namespace (tgr-\d+)/.exec(output)?.[1] ?? '';
    expect(namespaces()).toContain(netns);

    const { started } = sandbox;
    for (const program of [
      'etcd',
      'kube-apiserver',
      'kube-controller-manager',
      'kube-scheduler',
      'haproxy',
      '/ko-app/eventlistenersink',
      'traefik --entryPoints',
    ])
      expect(
        started.some((p) => p.command.includes(program)),
        program,
      ).toBe(true);
    sandbox.child.kill('SIGHUP');
    expect(await sandbox.exited, sandbox.output()).toBe(0);
    expect(started.filter((p) => running(p.pid))).toEqual([]);
    expect(namespaces()).not.toContain(netns);
  },
  SANDBOX_TEST_MS,
);

it(
  'Ctrl-C on `sandbox --real 2>&1 | tee FILE`, which kills the reader too, stops everything, network namespace included',
  async () => {
    const log = join(mkdtempSync(join(tmpdir(), 'tg-real-sandbox-tee-')), 'sandbox.log');
    const sandbox = await sandboxUp(['--real'], { teeTo: log, timeoutMs: 240_000 });
    const netns = /network namespace (tgr-\d+)/.exec(sandbox.output())?.[1] ?? '';
    expect(namespaces()).toContain(netns);
    const { started } = sandbox;
    expect(started.some((p) => p.command.startsWith('tee '))).toBe(true);
    expect(started.some((p) => p.command.includes('kube-apiserver'))).toBe(true);

    // What a terminal does on Ctrl-C: SIGINT to the whole foreground process group, tee included.
    process.kill(-(sandbox.child.pid ?? 0), 'SIGINT');
    await vi.waitFor(() => expect(started.filter((p) => running(p.pid))).toEqual([]), {
      timeout: 60_000,
      interval: 200,
    });
    expect(namespaces()).not.toContain(netns);
  },
  SANDBOX_TEST_MS,
);

it(
  '--real --gitea: Gitea beside it, webhook add, a commit, the PipelineRun its push started; only the user token printed; SIGTERM stops Gitea too',
  async () => {
    const sandbox = await sandboxUp(['--real', '--gitea'], { timeoutMs: 300_000 });
    const output = sandbox.output();
    expect(output).toMatch(
      /Gitea v1\.26\.0 at (http:\/\/127\.0\.0\.1:\d+): user developer, repository developer\/app\. Its API token, for the webhook commands:\n {2}export GITEA_TOKEN=[0-9a-f]{40}\n/,
    );
    const giteaUrl = /Gitea v1\.26\.0 at (\S+):/.exec(output)?.[1] ?? '';
    expect(output).toContain(
      `$ kubectl trigger-gateway webhook add /github --repo developer/app --provider gitea --api-url ${giteaUrl}`,
    );
    // Its address from the Ingress, its events and secret from the listener.
    expect(output).toMatch(/Registered http:\/\/10\.246\.\d+\.\d+\/github on developer\/app \(Gitea\)/);
    expect(output).toMatch(
      /events\s+push, pull_request_only, .* \(what the listener's interceptor accepts\)/,
    );
    expect(output).toMatch(
      /secret\s+from Secret ci\/github-webhook \(key secretToken\), which the listener's interceptor checks/,
    );
    expect(output).toMatch(/Committed [0-9a-f]{12} to developer\/app on main through Gitea's API/);
    const run = /Gitea's push started PipelineRun ci\/(build-[a-z0-9]{5})\./.exec(output)?.[1];
    expect(run).toBeDefined();
    expect(output).toMatch(/gitea\/push/);
    expect(output).toContain(
      `kubectl trigger-gateway webhook test /github --repo developer/app --provider gitea`,
    );
    // The listener's secret, which webhook add registered, is never shown.
    const listener = readFileSync(join(REPO_ROOT, '.sandbox', 'real', 'github-listener.yaml'), 'utf8');
    const secret = /secretToken: (\S+)/.exec(listener)?.[1] ?? '';
    expect(secret).not.toBe('');
    expect(output).not.toContain(secret);

    const { started } = sandbox;
    expect(started.some((p) => p.command.includes('gitea web'))).toBe(true);
    sandbox.child.kill('SIGTERM');
    expect(await sandbox.exited, sandbox.output()).toBe(0);
    expect(started.filter((p) => running(p.pid))).toEqual([]);
  },
  SANDBOX_TEST_MS,
);
