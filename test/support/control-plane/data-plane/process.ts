/**
 * A container's local process: its log (stdout and stderr, interleaved), its exit, and stopping it.
 * The log is also kept as lines stamped with the time each was completed, like the container
 * runtime's log file, so the API can filter them (sinceSeconds, tailLines) and follow new ones.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import type { LogLine, LogSource } from '../pod-logs.ts';

/**
 * util-linux's setpriv, where there is one: it execs the container's program with a parent-death
 * signal, so that a test worker or sandbox killed without its clean-up (SIGKILL, SIGTERM to a
 * vitest worker) takes its HAProxy and echo processes with it instead of leaving them running.
 */
const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((path) => existsSync(path));

/** What a container's log keeps, as the kubelet's default containerLogMaxSize (10Mi) before it rotates. */
const LOG_LIMIT = 10 * 1024 * 1024;

/** Nanoseconds since the epoch, never going backwards within this process. */
let lastNanos = 0n;
export function nowNanos(): bigint {
  // Summed as integers: epoch nanoseconds are beyond a double's exact range.
  const now =
    BigInt(Math.round(performance.timeOrigin * 1e3)) * 1000n + BigInt(Math.round(performance.now() * 1e6));
  lastNanos = now > lastNanos ? now : lastNanos + 1n;
  return lastNanos;
}

export class ContainerProcess implements LogSource {
  readonly child: ChildProcess;
  readonly pid: number;
  private logLines: LogLine[] = [];
  private logBytes = 0;
  private readonly partial = { stdout: '', stderr: '' };
  private readonly followers = new Set<{ line: (line: LogLine) => void; end: () => void }>();
  exitCode: number | null = null;
  signal: NodeJS.Signals | null = null;
  running = true;
  readonly exited: Promise<void>;

  /** `keepStdin`: hand the process a pipe it reads end-of-file from only when we are gone. */
  constructor(command: string, args: string[], env: Record<string, string>, cwd: string, keepStdin = false) {
    const argv = SETPRIV ? ['--pdeathsig', 'KILL', '--', command, ...args] : args;
    this.child = spawn(SETPRIV ?? command, argv, {
      cwd,
      env,
      stdio: [keepStdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    });
    this.pid = this.child.pid ?? -1;
    const append = (stream: 'stdout' | 'stderr') => (chunk: Buffer) =>
      this.addLines(stream, chunk.toString('utf8'));
    this.child.stdout?.on('data', append('stdout'));
    this.child.stderr?.on('data', append('stderr'));
    this.exited = new Promise((resolve) => {
      this.child.once('error', (error) => {
        this.addLines('stderr', `${error.message}\n`);
        this.finish();
        resolve();
      });
      // 'close' rather than 'exit': the whole log has been read by then.
      this.child.once('close', (code, signal) => {
        this.exitCode = code;
        this.signal = signal;
        this.finish();
        resolve();
      });
    });
  }

  /** The whole log as text, for error messages: its lines, then what is still unterminated. */
  log(): string {
    const lines = this.logLines.map((line) => (line.newline ? `${line.text}\n` : line.text));
    return lines.join('') + this.partial.stdout + this.partial.stderr;
  }

  lines(): readonly LogLine[] {
    return this.logLines;
  }

  follow(line: (line: LogLine) => void, end: () => void): () => void {
    if (!this.running) {
      end();
      return () => undefined;
    }
    const follower = { line, end };
    this.followers.add(follower);
    return () => this.followers.delete(follower);
  }

  private addLines(stream: 'stdout' | 'stderr', text: string): void {
    const parts = (this.partial[stream] + text).split('\n');
    this.partial[stream] = parts.pop() ?? '';
    for (const part of parts) this.push({ time: nowNanos(), stream, text: part, newline: true });
  }

  private push(line: LogLine): void {
    this.logLines.push(line);
    this.logBytes += line.text.length + 1;
    if (this.logBytes > LOG_LIMIT) this.rotate();
    for (const follower of this.followers) follower.line(line);
  }

  /**
   * Over the limit, the oldest quarter goes at once, as a runtime rotates its log file: dropping
   * line by line would copy the whole log for every line a busy container prints.
   */
  private rotate(): void {
    let dropped = 0;
    let bytes = this.logBytes;
    while (bytes > (LOG_LIMIT * 3) / 4 && dropped < this.logLines.length - 1) {
      bytes -= (this.logLines[dropped]?.text.length ?? 0) + 1;
      dropped++;
    }
    this.logLines = this.logLines.slice(dropped);
    this.logBytes = bytes;
  }

  /** The process is gone: its unterminated last lines become lines, and followers are done. */
  private finish(): void {
    if (!this.running) return;
    this.running = false;
    for (const stream of ['stdout', 'stderr'] as const) {
      if (this.partial[stream] === '') continue;
      this.push({ time: nowNanos(), stream, text: this.partial[stream], newline: false });
      this.partial[stream] = '';
    }
    const followers = [...this.followers];
    this.followers.clear();
    for (const follower of followers) follower.end();
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
