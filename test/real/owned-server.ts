/**
 * A server of the real suites that runs outside the control plane's own processes (kcp, Gitea): one
 * process, a folder of its own and a lease file recording both, stopped and cleaned up on stop() and
 * on every way out of this process (see stopOnExit); a lease whose holder was SIGKILLed is swept by
 * the next start.
 */
import { rmSync } from 'node:fs';
import { releaseLock } from '../support/lock-file.ts';
import { forgetOnExit, stopOnExit } from './environment.ts';
import type { ManagedProcess } from './processes.ts';

const STOP_GRACE_MS = 15_000;

export abstract class OwnedServer {
  protected process: ManagedProcess | undefined;
  private stopping: Promise<void> | undefined;

  constructor(
    readonly dir: string,
    /** The lease file, released once the process and the folder are gone. */
    protected readonly lease: string,
  ) {
    stopOnExit(this);
  }

  abstract start(): Promise<void>;

  stop(options: { keepDir?: boolean } = {}): Promise<void> {
    this.stopping ??= (async () => {
      try {
        await this.process?.stop(STOP_GRACE_MS);
        if (!options.keepDir) rmSync(this.dir, { recursive: true, force: true, maxRetries: 3 });
      } finally {
        releaseLock(this.lease);
        forgetOnExit(this);
      }
    })();
    return this.stopping;
  }

  /** For process exit: no waiting possible. */
  killNow(): void {
    this.process?.killNow();
    rmSync(this.dir, { recursive: true, force: true, maxRetries: 3 });
    releaseLock(this.lease);
    forgetOnExit(this);
  }
}

/** Starts `server`; when that fails, stops it, keeps its folder for a look, and says where it is. */
export async function startOwned<T extends OwnedServer>(server: T, name: string): Promise<T> {
  try {
    await server.start();
  } catch (error) {
    await server.stop({ keepDir: true });
    throw new Error(`${(error as Error).message}\n(${name}'s log and state are in ${server.dir})`, {
      cause: error,
    });
  }
  return server;
}
