/**
 * Unpacking the CLI that a single executable carries. The CLI is ESM split into chunks and oclif finds
 * commands by file path, so the executable's assets are written once per build into the user's cache
 * and run from there, exactly as the npm package runs them. Later starts only check that the folder is
 * there. Node's built-in modules only: this is bundled into the executable's entry point.
 */
import { createHash } from 'node:crypto';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';

/** What .ci/package.ts attaches as the asset `index.json`: the files of the CLI and one digest of them all. */
export interface AppIndex {
  version: string;
  /** sha256 over every file's path and content: a new build never reuses an old build's folder. */
  digest: string;
  files: { path: string; mode: number }[];
}

/** Reads one attached file: node:sea's getRawAsset in the executable, a plain file in tests. */
export type AssetReader = (path: string) => ArrayBuffer;

const APP = 'kubectl-trigger-gateway';
/** Unpacked builds not started for this long are removed when another build unpacks. */
const UNUSED_BUILD_MS = 7 * 24 * 3600_000;

/** The per-user cache folder, as XDG (Linux) and Apple (macOS) name it. */
export function userCacheRoot(env: NodeJS.ProcessEnv = process.env, platform = process.platform): string {
  if (env.XDG_CACHE_HOME && env.XDG_CACHE_HOME.startsWith('/')) return env.XDG_CACHE_HOME;
  const home = env.HOME || homedir();
  return platform === 'darwin' ? join(home, 'Library', 'Caches') : join(home, '.cache');
}

/** Where one build unpacks under a cache root. */
export function buildFolder(root: string, index: AppIndex): string {
  return join(root, APP, `${index.version}-${index.digest.slice(0, 16)}`);
}

/** The fallback in a shared temporary folder: ours only if we own it and nobody else may write to it. */
export function privateTempRoot(): string {
  const root = join(tmpdir(), `${APP}-${process.getuid?.() ?? 'user'}`);
  mkdirSync(root, { recursive: true, mode: 0o700 });
  const stat = lstatSync(root);
  const uid = process.getuid?.();
  if (!stat.isDirectory() || (uid !== undefined && stat.uid !== uid) || (stat.mode & 0o022) !== 0)
    throw new Error(`${root} is not a private folder of this user`);
  return root;
}

/** Writes every asset into a fresh folder, then renames it into place: a folder that exists is complete. */
function unpackInto(target: string, index: AppIndex, readAsset: AssetReader): void {
  const parent = dirname(target);
  mkdirSync(parent, { recursive: true });
  const staging = mkdtempSync(join(parent, '.unpacking-'));
  try {
    for (const file of index.files) {
      const path = resolve(staging, file.path);
      if (relative(staging, path).startsWith('..'))
        throw new Error(`asset path ${file.path} leaves the folder`);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, new Uint8Array(readAsset(file.path)), { mode: file.mode });
    }
    renameSync(staging, target);
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    // Another start of the same build may have won the race: its folder is as good as ours.
    if (!existsSync(join(target, 'package.json'))) throw error;
  }
  removeUnusedBuilds(parent, target);
}

function removeUnusedBuilds(parent: string, keep: string): void {
  const now = Date.now();
  for (const name of readdirSync(parent)) {
    const path = join(parent, name);
    if (path === keep) continue;
    try {
      if (now - statSync(path).mtimeMs > UNUSED_BUILD_MS) rmSync(path, { recursive: true, force: true });
    } catch {
      // Removed meanwhile by another start: nothing to do.
    }
  }
}

/** The folder the CLI runs from, unpacking it first if this build has not run for this user yet. */
export function unpackedCli(
  index: AppIndex,
  readAsset: AssetReader,
  roots: (() => string)[] = [() => userCacheRoot(), privateTempRoot],
): string {
  const errors: string[] = [];
  for (const root of roots) {
    let target: string | undefined;
    try {
      target = buildFolder(root(), index);
      if (!existsSync(join(target, 'package.json'))) unpackInto(target, index, readAsset);
      // Marks the build as in use, so removeUnusedBuilds keeps it.
      const now = new Date();
      utimesSync(target, now, now);
      return target;
    } catch (error) {
      errors.push(`${target ?? 'cache'}: ${(error as Error).message}`);
    }
  }
  throw new Error(
    `cannot unpack ${APP} into a cache folder (${errors.join('; ')}).\n` +
      '  Set XDG_CACHE_HOME to a folder you can write to, then run the command again.',
  );
}

/** One digest over every file's path and content: the name of a build's folder. */
export function digestOf(files: { path: string; content: Uint8Array }[]): string {
  const hash = createHash('sha256');
  for (const file of [...files].sort((a, b) => a.path.localeCompare(b.path))) {
    hash.update(`${file.path}\0${file.content.byteLength}\0`);
    hash.update(file.content);
  }
  return hash.digest('hex');
}
