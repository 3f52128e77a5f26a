/**
 * vitest's global setup: one temporary folder for the whole run, made TMPDIR for the test workers
 * and every program they start, and removed when the run ends. Each test's mkdtemp lands inside it,
 * so a run leaves nothing in /tmp (the release tests alone unpack about 1 GB a run, the real suites
 * a few hundred folders). A run that was killed before its teardown leaves its folder, named with
 * its process ID, for the next run to remove. What must be shared by every run on the machine (the
 * data planes' loopback leases) goes by machineTempDir().
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { alive } from './lock-file.ts';

/** Names the machine's temporary folder while TMPDIR is the run's own. */
const MACHINE_TMPDIR = 'TG_MACHINE_TMPDIR';
const RUN_DIR = /^tg-test-run-(\d+)-/;

export function machineTempDir(): string {
  return process.env[MACHINE_TMPDIR] ?? tmpdir();
}

/** Removes the folders of runs whose vitest is gone. */
export function sweepDeadRuns(machine: string): string[] {
  const removed: string[] = [];
  for (const name of readdirSync(machine)) {
    const owner = RUN_DIR.exec(name)?.[1];
    if (owner === undefined || alive(Number(owner))) continue;
    rmSync(join(machine, name), { recursive: true, force: true, maxRetries: 3 });
    removed.push(name);
  }
  return removed;
}

export default function setup(): () => void {
  const before = { TMPDIR: process.env.TMPDIR, [MACHINE_TMPDIR]: process.env[MACHINE_TMPDIR] };
  const machine = machineTempDir();
  sweepDeadRuns(machine);
  const dir = mkdtempSync(join(machine, `tg-test-run-${process.pid}-`));
  process.env[MACHINE_TMPDIR] = machine;
  process.env.TMPDIR = dir;
  return () => {
    rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    for (const [name, value] of Object.entries(before)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
}
