/**
 * vitest's global setup: one temporary folder for the whole run, made TMPDIR for the test workers
 * and every program they start, and removed when the run ends. Each test's mkdtemp lands inside it,
 * so a run leaves nothing in /tmp (the release tests alone unpack about 1 GB a run). What must be
 * shared by every run on the machine (the data planes' loopback leases) goes by machineTempDir().
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Names the machine's temporary folder while TMPDIR is the run's own. */
const MACHINE_TMPDIR = 'TG_MACHINE_TMPDIR';

export function machineTempDir(): string {
  return process.env[MACHINE_TMPDIR] ?? tmpdir();
}

export default function setup(): () => void {
  const before = { TMPDIR: process.env.TMPDIR, [MACHINE_TMPDIR]: process.env[MACHINE_TMPDIR] };
  const machine = machineTempDir();
  const dir = mkdtempSync(join(machine, 'tg-test-run-'));
  process.env[MACHINE_TMPDIR] = machine;
  process.env.TMPDIR = dir;
  return () => {
    rmSync(dir, { recursive: true, force: true });
    for (const [name, value] of Object.entries(before)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
}
