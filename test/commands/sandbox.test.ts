import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { expect, it, vi } from 'vitest';
import { KUBECTL, REPO_ROOT, runExecutable } from '../support/cli.ts';
import { findHaproxy } from '../support/haproxy.ts';
import { running } from '../support/process-tree.ts';
import { sandboxUp } from '../support/sandbox-process.ts';

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
  expect(result.stdout).toMatch(
    /^\/github\s+httpecho\.trigger:80 \(prefix stripped\)\s+tool\s+exists\s+body 25MiB\*$/m,
  );
  if (findHaproxy() || process.env.CI) {
    expect(result.stdout).toContain('POST /trigger/push through the gateway (real HAProxy): 200');
    expect(result.stdout).toMatch(
      /POST \/github\/push through the gateway \(real HAProxy\): 200\n\{"path":"\/push"/,
    );
    expect(result.stdout).toContain('POST /unknown through the gateway (real HAProxy): 404');
  }
});

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

it('Ctrl-C on `sandbox 2>&1 | tee FILE`, which kills the reader too, stops every process it started; its export line works with an older Node first on PATH', async () => {
  const log = join(mkdtempSync(join(tmpdir(), 'tg-sandbox-tee-')), 'sandbox.log');
  const sandbox = await sandboxUp([], { teeTo: log });
  expect(sandbox.started.some((p) => p.command.startsWith('tee '))).toBe(true);

  // The line it prints, pasted into a shell whose PATH finds this machine's own Node (20 here) first.
  const line = /^ {2}(export KUBECONFIG=.*)$/m.exec(sandbox.output())?.[1] ?? '';
  const shellPath = [
    '/usr/local/sbin',
    '/usr/local/bin',
    '/usr/sbin',
    '/usr/bin',
    '/sbin',
    '/bin',
    dirname(KUBECTL),
  ];
  const listed = await runExecutable('sh', ['-c', `${line}; kubectl trigger-gateway route list`], {
    PATH: shellPath.join(':'),
  });
  expect(listed.stderr).not.toContain('needs Node.js 22');
  expect(listed.exitCode, listed.stderr).toBe(0);
  expect(listed.stdout).toContain('/github');

  // What a terminal does on Ctrl-C: SIGINT to the whole foreground process group, tee included.
  process.kill(-(sandbox.child.pid ?? 0), 'SIGINT');
  await vi.waitFor(() => expect(sandbox.started.filter((p) => running(p.pid))).toEqual([]), {
    timeout: 30_000,
    interval: 100,
  });
});

it('stops every process it started when whatever started it is killed (npm, a shell)', async () => {
  const sandbox = await sandboxUp([], { viaShell: true });
  const sandboxProcess = sandbox.started.find((p) => p.command.includes('sandbox.ts'));
  expect(sandboxProcess).toBeDefined();
  sandbox.child.kill('SIGKILL');
  await vi.waitFor(() => expect(sandbox.started.filter((p) => running(p.pid))).toEqual([]), {
    timeout: 30_000,
    interval: 100,
  });
});

it('a failing step stops every process started before it, and exits non-zero', async () => {
  // A kubectl that fails `route add`, after noting the sandbox's children (HAProxy, the echo server).
  const dir = mkdtempSync(join(tmpdir(), 'tg-failing-kubectl-'));
  const started = join(dir, 'started');
  writeFileSync(
    join(dir, 'kubectl'),
    `#!/bin/sh
case "$*" in
  *"route add"*) ps -o pid= --ppid "$PPID" > '${started}'; echo 'route add failed on purpose' >&2; exit 1 ;;
esac
exec '${KUBECTL}' "$@"
`,
    { mode: 0o755 },
  );
  const result = await runExecutable(join(REPO_ROOT, 'node_modules', '.bin', 'tsx'), [SANDBOX, '--once'], {
    PATH: `${dir}:${process.env.PATH ?? ''}`,
  });
  expect(result.exitCode).toBe(1);
  expect(result.stderr).toContain('route add failed on purpose');
  const pids = readFileSync(started, 'utf8').split('\n').map(Number).filter(Boolean);
  if (findHaproxy() || process.env.CI) expect(pids.length).toBeGreaterThanOrEqual(3);
  expect(pids.filter(running)).toEqual([]);
});
