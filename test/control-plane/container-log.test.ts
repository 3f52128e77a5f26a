/**
 * A container's log on the local data plane, as a runtime keeps it: past the kubelet's default
 * 10 MiB the oldest lines go, a block at a time as a log file rotates, and the newest stay whole.
 */
import { expect, it } from 'vitest';
import { ContainerProcess } from '../support/control-plane/data-plane/process.ts';

const MiB = 1024 * 1024;

it('keeps the newest lines of a container that prints more than 10 MiB, and drops the oldest', async () => {
  // 1.2 million lines of 14 bytes: about 16 MiB.
  const container = new ContainerProcess(
    'seq',
    ['-f', 'line %08.0f', '1', '1200000'],
    { PATH: process.env.PATH ?? '' },
    process.cwd(),
  );
  await container.exited;

  const lines = container.lines();
  const bytes = lines.reduce((sum, line) => sum + line.text.length + 1, 0);
  expect(bytes).toBeLessThanOrEqual(10 * MiB);
  expect(bytes).toBeGreaterThan(7 * MiB);
  expect(lines.at(-1)?.text).toBe('line 01200000');
  const first = Number(lines[0]?.text.slice('line '.length));
  expect(first).toBeGreaterThan(1);
  // No line lost or reordered in what is kept.
  expect(lines.length).toBe(1200000 - first + 1);
  expect(lines.every((line, at) => line.text === `line ${String(first + at).padStart(8, '0')}`)).toBe(true);

  const text = container.log();
  expect(text.startsWith(`${lines[0]?.text}\n`)).toBe(true);
  expect(text.endsWith('line 01200000\n')).toBe(true);
});
