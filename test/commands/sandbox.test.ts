import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { expect, it, vi } from 'vitest';
import { REPO_ROOT, runExecutable } from '../support/cli.ts';
import { findHaproxy } from '../support/haproxy.ts';
import { descendants, running } from '../support/process-tree.ts';

const SANDBOX = join(REPO_ROOT, 'test', 'support', 'sandbox.ts');

it('the README main job installs the gateway, routes to the echo backend and sends webhooks through it', async () => {
  const tsx = join(REPO_ROOT, 'node_modules', '.bin', 'tsx');
  const result = await runExecutable(tsx, [SANDBOX, '--once']);
  expect(result.exitCode, result.stderr).toBe(0);
  expect(result.stdout).toContain('$ kubectl trigger-gateway install --with-echo');
  expect(result.stdout).toContain('Ready: deployment trigger-gateway/trigger-gateway 2/2 pods.');
  expect(result.stdout).toContain('Ready: deployment trigger/httpecho 1/1 pods.');
  expect(result.stdout).toMatch(/deployment\.apps\/trigger-gateway\s+2\/2\s+2\s+2/);
  expect(result.stdout).toMatch(/pod\/httpecho-[a-z0-9]+-[a-z0-9]+\s+1\/1\s+Running/);
  expect(result.stdout).toMatch(/^\/github\s+httpecho\.trigger:80 \(prefix stripped\)\s+tool\s+exists$/m);
  if (findHaproxy() || process.env.CI) {
    expect(result.stdout).toContain('POST /trigger/push through the gateway (real HAProxy): 200');
    expect(result.stdout).toMatch(
      /POST \/github\/push through the gateway \(real HAProxy\): 200\n\{"path":"\/push"/,
    );
    expect(result.stdout).toContain('POST /unknown through the gateway (real HAProxy): 404');
  }
});

/**
 * Starts the sandbox as a terminal would (its own process group), waits until it stays up, and
 * returns it with every process it started by then.
 */
async function sandboxUp(args: string[] = [], viaShell = false) {
  const command = [process.execPath, '--import', 'tsx', SANDBOX, ...args];
  // `; :` keeps the shell as the sandbox's parent (it would otherwise exec the command).
  const child = viaShell
    ? spawn('sh', ['-c', `${command.map((part) => `'${part}'`).join(' ')}; :`], {
        cwd: REPO_ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      })
    : spawn(command[0] ?? '', command.slice(1), { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await vi.waitFor(() => expect(output).toContain('The sandbox stays up.'), {
    timeout: 120_000,
    interval: 100,
  });
  return { child, exited, started: descendants(child.pid ?? 0), output: () => output };
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  it(`${signal} stops the sandbox and every process it started`, async () => {
    const sandbox = await sandboxUp();
    if (findHaproxy() || process.env.CI) {
      // The gateway pods' HAProxy (which ignores SIGHUP) and the echo server run as its processes.
      expect(sandbox.started.filter((p) => /haproxy/.test(p.command)).length).toBe(2);
      expect(sandbox.started.some((p) => p.command.includes('echo-server.mjs'))).toBe(true);
    }
    sandbox.child.kill(signal);
    expect(await sandbox.exited, sandbox.output()).toBe(0);
    expect(sandbox.started.filter((p) => running(p.pid))).toEqual([]);
  });
}

it('stops every process it started when whatever started it is killed (npm, a shell)', async () => {
  const sandbox = await sandboxUp([], true);
  const sandboxProcess = sandbox.started.find((p) => p.command.includes('sandbox.ts'));
  expect(sandboxProcess).toBeDefined();
  sandbox.child.kill('SIGKILL');
  await vi.waitFor(() => expect(sandbox.started.filter((p) => running(p.pid))).toEqual([]), {
    timeout: 30_000,
    interval: 100,
  });
});
