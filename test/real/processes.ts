/**
 * One child process of the real control plane: its output goes to a log file, it leads a process
 * group of its own (so that stopping it also stops anything it started), and stopping it has a
 * deadline after which the whole group is killed.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';

export interface ProcessOptions {
  logPath: string;
  cwd?: string;
  /** A pipe on stdin (the node agent exits when it closes); otherwise /dev/null. */
  stdinPipe?: boolean;
}

export class ManagedProcess {
  readonly pid: number;
  readonly exited: Promise<void>;
  exitCode: number | null = null;
  signal: NodeJS.Signals | null = null;
  running = true;
  private failure = '';
  private readonly child: ChildProcess;

  constructor(
    readonly name: string,
    command: string,
    args: string[],
    readonly options: ProcessOptions,
  ) {
    const log = openSync(options.logPath, 'a');
    try {
      // detached: a session and process group of its own, which stop() signals as a whole.
      this.child = spawn(command, args, {
        cwd: options.cwd,
        detached: true,
        stdio: [options.stdinPipe ? 'pipe' : 'ignore', log, log],
      });
    } finally {
      closeSync(log);
    }
    this.pid = this.child.pid ?? -1;
    this.exited = new Promise((resolve) => {
      this.child.once('error', (error) => {
        this.running = false;
        this.exitCode = -1;
        this.failure = error.message;
        resolve();
      });
      this.child.once('exit', (code, signal) => {
        this.running = false;
        this.exitCode = code;
        this.signal = signal;
        resolve();
      });
    });
  }

  /** How it ended and the last lines it wrote, for errors. */
  describeExit(lines = 25): string {
    const how =
      this.failure || (this.signal ? `was killed by ${this.signal}` : `exited with code ${this.exitCode}`);
    return `${this.name} ${how}; the last lines of ${this.options.logPath}:\n${this.tail(lines)}`;
  }

  tail(lines: number): string {
    try {
      return readFileSync(this.options.logPath, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  /**
   * Closes stdin and sends SIGTERM; when the process has not exited `graceMs` later, SIGKILL. Then
   * kills whatever is left in its process group.
   */
  async stop(graceMs: number): Promise<void> {
    this.child.stdin?.end();
    if (this.running) {
      this.signalProcess('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<'timeout'>(
        (resolve) => (timer = setTimeout(() => resolve('timeout'), graceMs)),
      );
      const outcome = await Promise.race([this.exited, timeout]);
      clearTimeout(timer);
      if (outcome === 'timeout') this.signalGroup('SIGKILL');
      await this.exited;
    }
    this.signalGroup('SIGKILL');
  }

  /** For process exit, where nothing can be awaited. */
  killNow(): void {
    this.signalGroup('SIGKILL');
  }

  private signalProcess(signal: NodeJS.Signals): void {
    try {
      process.kill(this.pid, signal);
    } catch {
      // Already gone.
    }
  }

  private signalGroup(signal: NodeJS.Signals): void {
    if (this.pid <= 0) return;
    try {
      process.kill(-this.pid, signal);
    } catch {
      // The group is empty.
    }
  }
}
