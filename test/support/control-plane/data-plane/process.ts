/** A container's local process: its log (stdout and stderr, interleaved), its exit, and stopping it. */
import { type ChildProcess, spawn } from 'node:child_process';
import { request } from 'node:http';
import { connect } from 'node:net';

const LOG_LIMIT = 1024 * 1024;

export class ContainerProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  private text = '';
  exitCode: number | null = null;
  signal: NodeJS.Signals | null = null;
  running = true;
  readonly exited: Promise<void>;

  constructor(command: string, args: string[], env: Record<string, string>, cwd: string) {
    this.child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.pid = this.child.pid ?? -1;
    const append = (chunk: Buffer) => {
      this.text += chunk.toString('utf8');
      if (this.text.length > LOG_LIMIT) this.text = this.text.slice(-LOG_LIMIT);
    };
    this.child.stdout?.on('data', append);
    this.child.stderr?.on('data', append);
    this.exited = new Promise((resolve) => {
      this.child.once('error', (error) => {
        this.text += `${error.message}\n`;
        this.running = false;
        resolve();
      });
      // 'close' rather than 'exit': the whole log has been read by then.
      this.child.once('close', (code, signal) => {
        this.exitCode = code;
        this.signal = signal;
        this.running = false;
        resolve();
      });
    });
  }

  log(): string {
    return this.text;
  }

  /** Sends `signal`; SIGKILL when the process has not exited `graceMs` later. */
  async stop(signal: NodeJS.Signals, graceMs: number): Promise<void> {
    if (!this.running) return;
    this.child.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>(
      (resolve) => (timer = setTimeout(() => resolve('timeout'), graceMs)),
    );
    const outcome = await Promise.race([this.exited, timeout]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      this.child.kill('SIGKILL');
      await this.exited;
    }
  }

  /** For process exit: no waiting possible. */
  killNow(): void {
    if (this.running) this.child.kill('SIGKILL');
  }
}

/** The status of one GET, or undefined when the connection failed or timed out. */
export function httpStatus(
  host: string,
  port: number,
  path: string,
  timeoutMs = 1000,
): Promise<number | undefined> {
  return new Promise((resolve) => {
    const req = request({ host, port, path, agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
      res.on('error', () => resolve(undefined));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
    req.end();
  });
}

export function tcpAccepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
