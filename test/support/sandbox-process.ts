/** `npm run sandbox` as a child process, for the tests of its main job and of its ways out. */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { expect, vi } from 'vitest';
import { REPO_ROOT } from './cli.ts';
import { descendants } from './process-tree.ts';

const SANDBOX = join(REPO_ROOT, 'test', 'support', 'sandbox.ts');

/**
 * Starts the sandbox (from a shell of its own with `viaShell`, as npm does; with `teeTo`, as
 * `… 2>&1 | tee FILE` in a process group of its own, as a terminal runs a pipeline), waits until it
 * stays up, and returns it with every process it started by then.
 */
export async function sandboxUp(
  args: string[] = [],
  options: { viaShell?: boolean; teeTo?: string; timeoutMs?: number } = {},
) {
  const command = [process.execPath, '--import', 'tsx', SANDBOX, ...args];
  const quoted = command.map((part) => `'${part}'`).join(' ');
  // `; :` keeps the shell as the sandbox's parent (it would otherwise exec the command).
  const child = options.teeTo
    ? spawn('sh', ['-c', `${quoted} 2>&1 | tee '${options.teeTo}'`], {
        cwd: REPO_ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      })
    : options.viaShell
      ? spawn('sh', ['-c', `${quoted}; :`], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn(command[0] ?? '', command.slice(1), { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await vi.waitFor(() => expect(output).toContain('The sandbox stays up.'), {
    timeout: options.timeoutMs ?? 120_000,
    interval: 100,
  });
  return { child, exited, started: descendants(child.pid ?? 0), output: () => output };
}
