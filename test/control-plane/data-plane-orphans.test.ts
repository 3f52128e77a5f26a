/**
 * A test worker or sandbox killed without its clean-up (SIGKILL) takes the local data plane's
 * processes with it: nothing of a dead run keeps serving or holding ports.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { expect, it, vi } from 'vitest';
import { REPO_ROOT } from '../support/cli.ts';

/** Alive, and not a zombie waiting for whoever adopted it to reap it. */
function running(pid: number): boolean {
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

const OWNER = `
import { ContainerProcess } from './test/support/control-plane/data-plane/process.ts';
const container = new ContainerProcess('sleep', ['300'], { PATH: process.env.PATH ?? '' }, process.cwd());
console.log(container.pid);
setInterval(() => {}, 1000);
`;

it.runIf(existsSync('/usr/bin/setpriv') || existsSync('/bin/setpriv'))(
  'a container process ends when its owner is killed with SIGKILL',
  async () => {
    const owner = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', OWNER], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const [line] = (await once(createInterface({ input: owner.stdout }), 'line')) as [string];
    const pid = Number(line);
    expect(running(pid)).toBe(true);

    owner.kill('SIGKILL');
    await vi.waitFor(() => expect(running(pid)).toBe(false), { timeout: 10_000, interval: 50 });
  },
);
