/**
 * `npm run sandbox -- --real`: the README's main job on a real control plane of its own, and every
 * process and the network namespace gone once it is stopped.
 */
import { execFileSync } from 'node:child_process';
import { expect, it } from 'vitest';
import { running } from '../support/process-tree.ts';
import { sandboxUp } from '../support/sandbox-process.ts';

const namespaces = () => execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });

it('runs the main job on the real control plane and stops everything on SIGHUP', async () => {
  const sandbox = await sandboxUp(['--real'], { timeoutMs: 240_000 });
  const output = sandbox.output();
  expect(output).toMatch(
    /Real control plane \(Kubernetes v1\.37\.2\) at https:\/\/127\.0\.0\.1:\d+, its node in network namespace tgr-\d+/,
  );
  expect(output).toContain('Ready: deployment trigger-gateway/trigger-gateway 2/2 pods.');
  expect(output).toContain('Ready: deployment trigger/httpecho 1/1 pods.');
  expect(output).toContain('POST /trigger/push through the gateway (real HAProxy): 200');
  expect(output).toMatch(/POST \/github\/push through the gateway \(real HAProxy\): 200\n\{"path":"\/push"/);
  expect(output).toContain('POST /unknown through the gateway (real HAProxy): 404');
  const netns = /network namespace (tgr-\d+)/.exec(output)?.[1] ?? '';
  expect(namespaces()).toContain(netns);

  const { started } = sandbox;
  for (const program of ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'haproxy'])
    expect(
      started.some((p) => p.command.includes(program)),
      program,
    ).toBe(true);
  sandbox.child.kill('SIGHUP');
  expect(await sandbox.exited, sandbox.output()).toBe(0);
  expect(started.filter((p) => running(p.pid))).toEqual([]);
  expect(namespaces()).not.toContain(netns);
});
