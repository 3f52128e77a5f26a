/**
 * A real kcp leases an instance index as the Kubernetes control plane does: its owner killed with
 * SIGKILL (no exit hook runs) leaves kcp running with its folder, and the next start of a control
 * plane takes the lease over and removes both.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { REPO_ROOT } from '../support/cli.ts';
import { running } from '../support/process-tree.ts';
import { leasePath, sweepDeadLeases } from './environment.ts';
import { waitFor } from './wait.ts';

/** A process that starts a kcp, prints its index and folder, and stays up until killed. */
const OWNER = `
const { startRealKcp } = await import(${JSON.stringify(join(REPO_ROOT, 'test/real/kcp-server.ts'))});
const kcp = await startRealKcp();
process.stdout.write(JSON.stringify({ index: kcp.index, dir: kcp.dir }) + '\\n');
setInterval(() => undefined, 60_000);
`;

it('a kcp whose owner was killed with SIGKILL is stopped and its folder removed by the next start', async () => {
  const owner = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', OWNER], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  owner.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const started = await waitFor(
    'the owner to start its kcp',
    async () => (output.includes('\n') ? (JSON.parse(output) as { index: number; dir: string }) : undefined),
    { timeoutMs: 240_000 },
  );
  const lease = JSON.parse(readFileSync(leasePath(started.index), 'utf8')) as { pids: number[] };
  const [kcp] = lease.pids;
  expect(kcp).toBeDefined();
  expect(running(kcp ?? 0)).toBe(true);

  owner.kill('SIGKILL');
  await new Promise((resolve) => owner.once('exit', resolve));
  // Nothing of the owner's ran on the way out: kcp and its folder are still there.
  expect(running(kcp ?? 0)).toBe(true);
  expect(existsSync(started.dir)).toBe(true);

  // What every start does first (leaseIndex).
  sweepDeadLeases();
  await waitFor('the orphaned kcp to be gone', async () => (running(kcp ?? 0) ? undefined : true), {
    timeoutMs: 10_000,
  });
  expect(existsSync(started.dir)).toBe(false);
  expect(existsSync(leasePath(started.index))).toBe(false);
});
