/**
 * The test run's own temporary folder: everything a run writes under TMPDIR goes when it ends, and
 * what a killed run left goes with the next run's start, while a live run's folder is left alone.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import setup from './run-temp-dir.ts';

let machine: string;
const saved = { TMPDIR: process.env.TMPDIR, TG_MACHINE_TMPDIR: process.env.TG_MACHINE_TMPDIR };

beforeEach(() => {
  machine = mkdtempSync(join(tmpdir(), 'machine-'));
  process.env.TG_MACHINE_TMPDIR = machine;
});

afterEach(() => {
  // Assigning undefined to process.env would set the string "undefined".
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  rmSync(machine, { recursive: true, force: true });
});

/** The ID of a process that has exited. */
function deadPid(): number {
  const done = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(done.stdout.toString());
}

it("makes one folder the run's TMPDIR and removes it, with all that was written in it, at the end", () => {
  const teardown = setup();
  const dir = process.env.TMPDIR ?? '';
  expect(dirname(dir)).toBe(machine);
  mkdirSync(join(dir, 'tg-home-x', 'deep'), { recursive: true });
  writeFileSync(join(dir, 'tg-home-x', 'deep', 'file'), 'kept until the end');

  teardown();
  expect(existsSync(dir)).toBe(false);
  expect(readdirSync(machine)).toEqual([]);
  expect(process.env.TMPDIR).toBe(saved.TMPDIR);
});

it('removes what a killed run left, and leaves a running one and anything else alone', () => {
  const killed = join(machine, `tg-test-run-${deadPid()}-abc123`);
  const running = join(machine, `tg-test-run-${process.pid}-def456`);
  const other = join(machine, 'someone-elses');
  for (const dir of [killed, running, other]) mkdirSync(join(dir, 'inside'), { recursive: true });

  const teardown = setup();
  expect(existsSync(killed)).toBe(false);
  expect(existsSync(running)).toBe(true);
  expect(existsSync(other)).toBe(true);
  teardown();
});
