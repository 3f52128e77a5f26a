import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type AppIndex, buildFolder, digestOf, unpackedCli, userCacheRoot } from '../../src/sea/unpack.ts';

const FILES = [
  { path: 'package.json', content: Buffer.from('{"name":"x"}'), mode: 0o644 },
  { path: 'dist/cli.js', content: Buffer.from('export {}'), mode: 0o644 },
  { path: 'bin/run.js', content: Buffer.from('#!/usr/bin/env node'), mode: 0o755 },
];
const INDEX: AppIndex = {
  version: '1.0.0',
  digest: digestOf(FILES),
  files: FILES.map(({ path, mode }) => ({ path, mode })),
};

/** An asset reader over FILES that counts its reads. */
function assets() {
  const reads: string[] = [];
  const read = (path: string) => {
    reads.push(path);
    const file = FILES.find((candidate) => candidate.path === path);
    if (!file) throw new Error(`no asset ${path}`);
    return new Uint8Array(file.content).buffer;
  };
  return { read, reads };
}

const scratch = () => mkdtempSync(join(tmpdir(), 'tg-unpack-'));

describe('unpacking the single executable', () => {
  it('writes every file with its mode once, and later starts reuse the folder', () => {
    const root = scratch();
    const first = assets();
    const folder = unpackedCli(INDEX, first.read, [() => root]);
    expect(folder).toBe(buildFolder(root, INDEX));
    expect(readFileSync(join(folder, 'dist/cli.js'), 'utf8')).toBe('export {}');
    expect(statSync(join(folder, 'bin/run.js')).mode & 0o777).toBe(0o755);
    expect(first.reads).toHaveLength(3);

    const again = assets();
    expect(unpackedCli(INDEX, again.read, [() => root])).toBe(folder);
    expect(again.reads).toEqual([]);
  });

  it('names the folder by version and content, so a new build never runs an old one', () => {
    const changed = [
      ...FILES.slice(1),
      { path: 'package.json', content: Buffer.from('{"name":"y"}'), mode: 0o644 },
    ];
    expect(digestOf(changed)).not.toBe(INDEX.digest);
    expect(buildFolder('/c', INDEX)).toMatch(/^\/c\/kubectl-trigger-gateway\/1\.0\.0-[0-9a-f]{16}$/);
  });

  it('falls back to the next folder when the cache cannot be written, and says what to do when none can', () => {
    const blocked = join(scratch(), 'not-a-folder');
    writeFileSync(blocked, '');
    const fallback = scratch();
    expect(unpackedCli(INDEX, assets().read, [() => blocked, () => fallback])).toBe(
      buildFolder(fallback, INDEX),
    );
    expect(() => unpackedCli(INDEX, assets().read, [() => blocked])).toThrow(
      /Set XDG_CACHE_HOME to a folder you can write to/,
    );
  });

  it('leaves nothing half-written when an asset cannot be read', () => {
    const root = scratch();
    const broken = { ...INDEX, files: [...INDEX.files, { path: 'missing.js', mode: 0o644 }] };
    expect(() => unpackedCli(broken, assets().read, [() => root])).toThrow(/no asset missing.js/);
    expect(existsSync(buildFolder(root, broken))).toBe(false);
  });

  it('refuses an asset path that leaves the folder', () => {
    const root = scratch();
    const escaping = { ...INDEX, files: [{ path: '../escaped.js', mode: 0o644 }] };
    expect(() => unpackedCli(escaping, () => new ArrayBuffer(1), [() => root])).toThrow(/leaves the folder/);
  });

  it('removes builds nobody started for a week, and keeps recent ones', () => {
    const root = scratch();
    const parent = join(root, 'kubectl-trigger-gateway');
    const stale = join(parent, '0.0.1-aaaaaaaaaaaaaaaa');
    const recent = join(parent, '0.0.2-bbbbbbbbbbbbbbbb');
    mkdirSync(stale, { recursive: true });
    mkdirSync(recent, { recursive: true });
    const eightDaysAgo = new Date(Date.now() - 8 * 24 * 3600_000);
    utimesSync(stale, eightDaysAgo, eightDaysAgo);
    unpackedCli(INDEX, assets().read, [() => root]);
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(recent)).toBe(true);
  });

  it('uses XDG_CACHE_HOME, else ~/.cache, and ~/Library/Caches on macOS', () => {
    expect(userCacheRoot({ XDG_CACHE_HOME: '/x/cache', HOME: '/h' }, 'linux')).toBe('/x/cache');
    expect(userCacheRoot({ XDG_CACHE_HOME: 'relative', HOME: '/h' }, 'linux')).toBe('/h/.cache');
    expect(userCacheRoot({ HOME: '/h' }, 'linux')).toBe('/h/.cache');
    expect(userCacheRoot({ HOME: '/h' }, 'darwin')).toBe('/h/Library/Caches');
  });

  it('does not use a shared temporary folder that another user could write to', async () => {
    const { privateTempRoot } = await import('../../src/sea/unpack.ts');
    const root = privateTempRoot();
    expect(statSync(root).mode & 0o077).toBe(0);
    chmodSync(root, 0o777);
    try {
      expect(() => privateTempRoot()).toThrow(/not a private folder/);
    } finally {
      chmodSync(root, 0o700);
    }
  });
});
