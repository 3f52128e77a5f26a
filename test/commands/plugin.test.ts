import { execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KUBECTL, REPO_ROOT, runExecutable } from '../support/cli.ts';
import { writeKubeconfig } from '../support/kubeconfig.ts';

const RUN_JS = join(REPO_ROOT, 'bin', 'run.js');

function systemNodeMajor(): number | undefined {
  try {
    return Number(
      execFileSync('/usr/bin/node', ['-p', 'process.versions.node.split(".")[0]']).toString().trim(),
    );
  } catch {
    return undefined;
  }
}

describe('kubectl finds and runs the plugin', () => {
  it('lists it in `kubectl plugin list`', async () => {
    const result = await runExecutable('kubectl', ['plugin', 'list']);
    expect(result.stdout).toContain(join(REPO_ROOT, 'bin', 'kubectl-trigger_gateway'));
  });

  it('prints help with usage lines as kubectl users type them', async () => {
    const result = await runExecutable('kubectl', ['trigger-gateway', '--help']);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('$ kubectl trigger-gateway [COMMAND]');
    expect(result.stdout).toMatch(/install\s+Install or upgrade the gateway/);
    expect(result.stdout).toMatch(/uninstall\s+Remove the gateway/);
  });

  it('shows the shared kubectl flags and examples in command help', async () => {
    const result = await runExecutable('kubectl', ['trigger-gateway', 'install', '--help']);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('$ kubectl trigger-gateway install');
    for (const flag of [
      '--kubeconfig',
      '--context',
      '-n, --namespace',
      '--request-timeout',
      '-o, --output',
    ]) {
      expect(result.stdout).toContain(flag);
    }
    expect(result.stdout).toContain('kubectl trigger-gateway install --with-echo');
  });

  it('stops quietly when the reader of its output has gone (`| head`, `| true`)', async () => {
    // `true` exits before the plugin has started, so every write meets a closed pipe.
    const result = await runExecutable('/bin/sh', ['-c', 'kubectl trigger-gateway install --dry-run | true']);
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
  });

  it('runs on its own as trigger-gateway', async () => {
    const result = await runExecutable(RUN_JS, ['--help']);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('$ trigger-gateway [COMMAND]');
  });

  it('rejects an unknown flag with exit code 2', async () => {
    const result = await runExecutable('kubectl', ['trigger-gateway', 'install', '--no-such-flag']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('--no-such-flag');
  });

  it('says what to do when there is no kubeconfig at all', async () => {
    const result = await runExecutable('kubectl', ['trigger-gateway', 'uninstall'], {
      KUBECONFIG: '/nonexistent/config',
    });
    expect(result.exitCode).toBe(3);
    expect(result.stderr).toContain('error: no kubeconfig found');
    expect(result.stderr).toContain('try: point KUBECONFIG');
  });

  it('exits 4 and names the server when the cluster refuses connections', async () => {
    const server = createServer();
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    const { port } = server.address() as AddressInfo;
    await new Promise((done) => server.close(done));
    const kubeconfig = writeKubeconfig({ server: `http://127.0.0.1:${port}`, context: 'lab' });
    const result = await runExecutable('kubectl', ['trigger-gateway', 'install'], { KUBECONFIG: kubeconfig });
    expect(result.exitCode).toBe(4);
    expect(result.stderr).toContain(
      `error: cannot reach the cluster at http://127.0.0.1:${port} (context "lab"): connection refused`,
    );
    expect(result.stderr).toContain('try: kubectl --context lab cluster-info');
  });

  const oldMajor = systemNodeMajor();
  it.skipIf(oldMajor === undefined || oldMajor >= 22)(
    'explains the Node.js requirement when started on an older Node',
    async () => {
      const direct = await runExecutable('/usr/bin/node', [RUN_JS, '--help']);
      // Through kubectl, the plugin's own `#!/usr/bin/env node` finds the old Node first on PATH.
      const viaKubectl = await runExecutable(KUBECTL, ['trigger-gateway', '--help'], {
        PATH: [join(REPO_ROOT, 'bin'), '/usr/bin', '/bin'].join(':'),
      });
      for (const result of [direct, viaKubectl]) {
        expect(result.exitCode).toBe(3);
        expect(result.stderr).toContain('needs Node.js 22 or later');
        expect(result.stderr).toContain(`Node.js ${oldMajor}.`);
      }
    },
  );
});
