/**
 * The real Gitea's own lifecycle: a start owns one process and one folder, answers its API with the
 * admin's token, and stop() leaves nothing; a Gitea whose owner was killed with SIGKILL is removed by
 * the next start's sweep.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { alive } from '../support/lock-file.ts';
import { REPO_ROOT } from '../support/cli.ts';
import { giteaBinaries } from './binaries.ts';
import { LEASE_DIR } from './environment.ts';
import { startRealGitea, sweepDeadGiteas } from './gitea-server.ts';
import { waitFor } from './wait.ts';

/** The Gitea leases naming `dir`. */
const leasesOf = (dir: string) =>
  readdirSync(LEASE_DIR).filter(
    (file) => file.startsWith('gitea-') && readFileSync(join(LEASE_DIR, file), 'utf8').includes(dir),
  );

describe('startRealGitea', () => {
  it('starts Gitea with an admin whose token its API takes, and stop() leaves no process, folder or lease', async () => {
    const gitea = await startRealGitea({ binaries: giteaBinaries() });
    const { pid, dir } = gitea;
    try {
      const response = await fetch(`${gitea.apiUrl}/user`, {
        headers: { Authorization: `token ${gitea.admin.token}` },
      });
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ login: 'tg-admin', is_admin: true });
      expect(readFileSync(join(dir, 'app.ini'), 'utf8')).toMatch(
        /^ALLOWED_HOST_LIST = loopback,10\.244\.0\.0\/16,10\.245\.0\.0\/16,10\.246\.0\.0\/16$/m,
      );
      expect(leasesOf(dir)).toHaveLength(1);
    } finally {
      await gitea.stop();
    }
    expect(alive(pid)).toBe(false);
    expect(existsSync(dir)).toBe(false);
    expect(leasesOf(dir)).toEqual([]);
  });

  it('removes a Gitea whose owner was killed with SIGKILL: its process and folder', async () => {
    const code = `
      import { startRealGitea } from './test/real/gitea-server.ts';
      import { giteaBinaries } from './test/real/binaries.ts';
      const gitea = await startRealGitea({ binaries: giteaBinaries() });
      process.stdout.write(JSON.stringify({ pid: gitea.pid, dir: gitea.dir }) + '\\n');
      setInterval(() => undefined, 1000);
    `;
    const owner = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    owner.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const started = await waitFor(
      'the owner to start its Gitea',
      async () => (output.includes('\n') ? (JSON.parse(output) as { pid: number; dir: string }) : undefined),
      { timeoutMs: 120_000 },
    );
    owner.kill('SIGKILL');
    await new Promise((resolve) => owner.once('exit', resolve));
    // Nothing of the owner ran on its way out: Gitea, in a process group of its own, still runs.
    expect(alive(started.pid)).toBe(true);
    expect(leasesOf(started.dir)).toHaveLength(1);

    sweepDeadGiteas();

    await waitFor('the orphaned Gitea to be killed', async () => (alive(started.pid) ? undefined : true), {
      timeoutMs: 10_000,
    });
    expect(existsSync(started.dir)).toBe(false);
    expect(leasesOf(started.dir)).toEqual([]);
  });
});
