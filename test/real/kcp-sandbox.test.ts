/**
 * `npm run sandbox -- --real --kcp`: a real kcp of its own, the user's organization and the compute
 * provider prepared, the --bind and KUBECONFIG printed work as printed, and nothing is left once it
 * is stopped.
 */
import { existsSync } from 'node:fs';
import { expect, it } from 'vitest';
import { runExecutable } from '../support/cli.ts';
import { running } from '../support/process-tree.ts';
import { sandboxUp } from '../support/sandbox-process.ts';

it('starts a real kcp, prints the --bind and KUBECONFIG that work, and stops everything on SIGHUP', async () => {
  const sandbox = await sandboxUp(['--real', '--kcp'], { timeoutMs: 240_000 });
  const output = sandbox.output();
  expect(output).toMatch(/Real kcp v0\.26\.0 at https:\/\/127\.0\.0\.1:\d+, its state in (\S+)/);
  const state = /its state in (\S+)/.exec(output)?.[1] ?? '';
  expect(output).toContain('\nroot:org\n');
  const bind = /--bind (\S+)\n/.exec(output)?.[1];
  expect(bind).toBe('root:compute:kubernetes');
  const kubeconfig = /export KUBECONFIG=(\S+)/.exec(output)?.[1] ?? '';

  // What the sandbox tells the user to run, run as printed.
  const install = await runExecutable(
    'kubectl',
    ['trigger-gateway', 'install', '--workspace', 'gateway', '--bind', bind ?? '', '--no-wait'],
    { KUBECONFIG: kubeconfig },
  );
  expect(install.stderr).not.toMatch(/^error/m);
  expect(install.exitCode).toBe(0);
  const deployment = await runExecutable(
    'kubectl',
    ['get', 'deployments.apps', '-n', 'trigger-gateway', '-o', 'name'],
    {
      KUBECONFIG: kubeconfig,
    },
  );
  expect(deployment.stdout).toBe('deployment.apps/trigger-gateway\n');

  const { started } = sandbox;
  expect(started.some((p) => p.command.includes('kcp start'))).toBe(true);
  sandbox.child.kill('SIGHUP');
  expect(await sandbox.exited, sandbox.output()).toBe(0);
  expect(started.filter((p) => running(p.pid))).toEqual([]);
  expect(existsSync(state)).toBe(false);
});
