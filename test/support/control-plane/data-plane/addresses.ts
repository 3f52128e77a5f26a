/**
 * Loopback addresses for one data plane. Each data plane leases a whole 127.B.0.0/16 block through a
 * lock file, so pods and Services of control planes running in parallel (vitest runs test files in
 * separate processes) never bind the same address:port. Pods get 127.B.0.1 … 127.B.199.254, Services
 * 127.B.200.1 … 127.B.254.254; both are handed out in order and never reused within a data plane.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { releaseLock, tryLock } from '../../lock-file.ts';
import { machineTempDir } from '../../run-temp-dir.ts';

/** The machine's, not a test run's own: every run and sandbox leases from the same blocks. */
const LOCK_DIR = join(machineTempDir(), 'control-plane-loopback-leases');
const FIRST_BLOCK = 16;
const LAST_BLOCK = 254;
const SERVICE_FIRST_ROW = 200;

/** Takes the lock file of a free block (or of one whose holder died); throws when all are taken. */
function leaseBlock(): { block: number; release: () => void } {
  mkdirSync(LOCK_DIR, { recursive: true });
  const count = LAST_BLOCK - FIRST_BLOCK + 1;
  const start = Math.floor(Math.random() * count);
  for (let i = 0; i < count; i++) {
    const block = FIRST_BLOCK + ((start + i) % count);
    const path = join(LOCK_DIR, `127.${block}.lock`);
    if (tryLock(path)) return { block, release: () => releaseLock(path) };
  }
  throw new Error(`no free 127.x.0.0/16 block left under ${LOCK_DIR}`);
}

/** Hands out pod IPs and the fixed address each Service listens on. */
export interface Addresses {
  /** A fresh pod IP. */
  pod(): string;
  /** The Service's address: the same for a namespace/name for the data plane's lifetime. */
  service(namespace: string, name: string): string;
  close(): void;
}

export class AddressPlan implements Addresses {
  readonly block: number;
  private readonly release: () => void;
  private nextPod = 0;
  private nextService = 0;
  private readonly services = new Map<string, string>();

  constructor() {
    const lease = leaseBlock();
    this.block = lease.block;
    this.release = lease.release;
  }

  /** A fresh pod IP. */
  pod(): string {
    const n = this.nextPod++;
    const row = Math.floor(n / 254);
    if (row >= SERVICE_FIRST_ROW) throw new Error('the data plane ran out of pod addresses');
    return `127.${this.block}.${row}.${(n % 254) + 1}`;
  }

  /** The Service's address: the same for a namespace/name for the data plane's lifetime. */
  service(namespace: string, name: string): string {
    const key = `${namespace}/${name}`;
    let address = this.services.get(key);
    if (!address) {
      const n = this.nextService++;
      const row = SERVICE_FIRST_ROW + Math.floor(n / 254);
      if (row > 254) throw new Error('the data plane ran out of Service addresses');
      address = `127.${this.block}.${row}.${(n % 254) + 1}`;
      this.services.set(key, address);
    }
    return address;
  }

  close(): void {
    this.release();
  }
}
