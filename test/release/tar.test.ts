import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tar, tarGz, type TarEntry } from '../../.ci/release/tar.ts';

const ENTRIES: TarEntry[] = [
  { path: 'kubectl-trigger_gateway', content: Buffer.from('#!/bin/sh\necho hi\n'), mode: 0o755 },
  { path: 'LICENSE', content: Buffer.alloc(1024, 'L'), mode: 0o644 },
  { path: 'empty', content: Buffer.alloc(0), mode: 0o600 },
];

describe('release archives', () => {
  it('are read back by the system tar with the same names, contents, modes and date', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-tar-'));
    writeFileSync(join(dir, 'a.tar.gz'), tarGz(ENTRIES, 1_700_000_000));
    const listing = execFileSync('tar', ['-tvzf', join(dir, 'a.tar.gz')], { encoding: 'utf8' });
    expect(
      listing
        .split('\n')
        .filter(Boolean)
        .map((line) => line.split(/\s+/).at(-1)),
    ).toEqual(['kubectl-trigger_gateway', 'LICENSE', 'empty']);
    execFileSync('tar', ['-xzf', join(dir, 'a.tar.gz'), '-C', dir]);
    for (const entry of ENTRIES) {
      const path = join(dir, entry.path);
      expect(readFileSync(path)).toEqual(Buffer.from(entry.content));
      expect(statSync(path).mode & 0o777).toBe(entry.mode);
      expect(statSync(path).mtimeMs).toBe(1_700_000_000_000);
    }
  });

  it('are the same bytes for the same inputs', () => {
    expect(tarGz(ENTRIES, 0).equals(tarGz(ENTRIES, 0))).toBe(true);
    expect(tar(ENTRIES, 0).byteLength % 512).toBe(0);
  });

  it('refuse a name ustar cannot hold', () => {
    expect(() => tar([{ path: 'x'.repeat(101), content: Buffer.alloc(0), mode: 0o644 }], 0)).toThrow(
      /longer than the 100 bytes/,
    );
  });
});
