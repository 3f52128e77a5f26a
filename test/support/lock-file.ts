/**
 * Lock files naming their holder (the data plane's address blocks, the real control planes' indexes):
 * created with O_EXCL, holding JSON whose `pid` is the holder. A dead holder's lock is taken over;
 * the caller first cleans up whatever the dead holder recorded in it.
 */
import {
  closeSync,
  linkSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';

export interface LockRecord {
  pid: number;
  [key: string]: unknown;
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The lock's record; undefined when it is missing or still being written. */
export function readLock(path: string): LockRecord | undefined {
  try {
    const record = JSON.parse(readFileSync(path, 'utf8')) as LockRecord;
    return Number.isInteger(record.pid) ? record : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Creates the lock for this process, or takes it over from a dead holder after `cleanDead` ran on
 * that holder's record. False when a live process holds it (or is writing it right now).
 */
export function tryLock(path: string, cleanDead: (record: LockRecord) => void = () => undefined): boolean {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, JSON.stringify({ pid: process.pid }));
      closeSync(fd);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const record = readLock(path);
    if (record ? alive(record.pid) : !abandoned(path)) return false;
    if (!takeOverDead(path, cleanDead)) return false;
  }
  return false;
}

/** A lock that has stayed unreadable for a while: its holder died while writing it. */
function abandoned(path: string): boolean {
  try {
    return Date.now() - statSync(path).mtimeMs > 10_000;
  } catch {
    return false;
  }
}

/**
 * Moves a dead holder's lock aside under a name of our own (rename is atomic, so only one process
 * wins), cleans up after it and deletes it. Whoever lost the race and moved a live lock puts it back.
 */
function takeOverDead(path: string, cleanDead: (record: LockRecord) => void): boolean {
  const aside = `${path}.dead-${process.pid}`;
  try {
    renameSync(path, aside);
  } catch {
    return false;
  }
  const record = readLock(aside);
  if (record && alive(record.pid)) {
    try {
      linkSync(aside, path);
    } catch {
      // Someone created a new lock meanwhile; theirs stands.
    }
    rmSync(aside, { force: true });
    return false;
  }
  try {
    if (record) cleanDead(record);
  } finally {
    rmSync(aside, { force: true });
  }
  return true;
}

/** Rewrites this process's lock with more details (what a taker-over must clean up). */
export function updateLock(path: string, details: Record<string, unknown>): void {
  writeFileSync(path, JSON.stringify({ ...details, pid: process.pid }));
}

export function releaseLock(path: string): void {
  if (readLock(path)?.pid === process.pid) rmSync(path, { force: true });
}
