/**
 * Reading and rewriting kubeconfig files safely: under the same `<file>.lock` kubectl takes, written
 * to a temporary file and renamed over the original (a crash never leaves half a kubeconfig), with
 * the original's permissions. Entries copied from another file keep working (relative paths made absolute).
 */
import {
  closeSync,
  existsSync,
  openSync,
  readFileSync,
  realpathSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { dump, load } from 'js-yaml';
import { ExitCode, GatewayError } from '../errors.ts';
import { absoluteFileReferences } from '../kube/kubeconfig-files.ts';
import type { RawKubeconfig } from './kubeconfig-contexts.ts';

const LOCK_WAIT_MS = 3000;
const LOCK_POLL_MS = 50;

function parse(text: string, file: string): RawKubeconfig {
  let parsed: unknown;
  try {
    parsed = load(text);
  } catch (error) {
    throw new GatewayError(`the kubeconfig ${file} is not valid YAML`, {
      why: error instanceof Error ? error.message.split('\n')[0] : String(error),
      next: [`kubectl --kubeconfig ${file} config view`],
      exitCode: ExitCode.environment,
    });
  }
  if (parsed === undefined || parsed === null) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new GatewayError(`the kubeconfig ${file} is not a kubeconfig`, {
      why: 'its top level is not a mapping of clusters, users and contexts',
      next: [`kubectl --kubeconfig ${file} config view`],
      exitCode: ExitCode.environment,
    });
  }
  return parsed as RawKubeconfig;
}

/** Cluster entries with absolute file references, so that they can be copied into another file. */
function absolutePaths(document: RawKubeconfig, file: string): RawKubeconfig {
  const dir = dirname(resolve(file));
  const clusters = document.clusters?.map((item) => ({
    ...item,
    ...(item.cluster ? { cluster: absoluteFileReferences(item.cluster, dir) } : {}),
  }));
  return { ...document, ...(clusters ? { clusters } : {}) };
}

/** Every kubeconfig file in use, parsed, for lookups (not for writing). */
export function readKubeconfigs(files: string[], writtenFile: string): RawKubeconfig[] {
  return files.map((file) => {
    const document = parse(readFileSync(file, 'utf8'), file);
    return resolve(file) === resolve(writtenFile) ? document : absolutePaths(document, file);
  });
}

async function acquireLock(lockFile: string, file: string): Promise<number> {
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      return openSync(lockFile, 'wx', 0o600);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new GatewayError(`cannot lock the kubeconfig ${file} for writing`, {
          why: error instanceof Error ? error.message : String(error),
          next: [`check that the directory of ${file} is writable`],
          exitCode: ExitCode.environment,
        });
      }
      if (Date.now() >= deadline) {
        throw new GatewayError(`the kubeconfig ${file} is locked by another program`, {
          why: `${lockFile} exists: kubectl or another tool is writing the file, or one stopped while writing it`,
          next: [
            'run the command again',
            `if nothing else is running, remove the stale lock: rm ${lockFile}`,
          ],
          exitCode: ExitCode.environment,
        });
      }
      await sleep(LOCK_POLL_MS);
    }
  }
}

/** Writes beside the file and renames over it, keeping its permissions. */
function write(real: string, file: string, text: string): void {
  try {
    const mode = existsSync(real) ? statSync(real).mode & 0o777 : 0o600;
    const temporary = `${real}.tmp-${process.pid}`;
    writeFileSync(temporary, text, { mode });
    renameSync(temporary, real);
  } catch (error) {
    throw new GatewayError(`cannot write the kubeconfig ${file}`, {
      why: error instanceof Error ? error.message : String(error),
      next: [`check the permissions of ${file} and its directory`],
      exitCode: ExitCode.environment,
      cause: error,
    });
  }
}

/**
 * Runs `edit` on the kubeconfig `file` as it is on disk once locked, and writes the result back.
 * Everything `edit` does not touch is written back unchanged (comments aside, as with kubectl).
 */
export async function editKubeconfig<R>(file: string, edit: (document: RawKubeconfig) => R): Promise<R> {
  const real = existsSync(file) ? realpathSync(file) : resolve(file);
  const lockFile = `${real}.lock`;
  const lock = await acquireLock(lockFile, file);
  try {
    const document = parse(existsSync(real) ? readFileSync(real, 'utf8') : '', file);
    const result = edit(document);
    write(real, file, dump(document, { lineWidth: -1, noRefs: true }));
    return result;
  } finally {
    closeSync(lock);
    unlinkSync(lockFile);
  }
}
