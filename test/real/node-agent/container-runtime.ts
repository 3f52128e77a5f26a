/**
 * The node's container runtime: starts a container with our `container` program inside its pod's
 * network namespace (`ip netns exec`), keeps its output as the container log, and runs commands
 * inside it (exec probes, lifecycle hooks, kubectl exec) with `container -exec` (nsenter, in all of
 * its namespaces and its root, as the user it runs as).
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { ContainerProcess } from '../../support/control-plane/data-plane/process.ts';
import type { ExecStdio } from '../../support/control-plane/exec/index.ts';

export interface ContainerSpec {
  /** A folder of the container's own (its spec, PID file and writable layer go there). */
  dir: string;
  netns: string;
  hostname: string;
  readOnlyRoot: boolean;
  files: Array<{ path: string; content: string }>;
  mounts: Array<{ source: string; target: string; readOnly: boolean }>;
  workingDir: string;
  uid?: number;
  gid?: number;
  groups?: number[];
  env: string[];
  args: string[];
}

export interface ExecResult {
  exitCode: number;
  output: string;
}

export class RunningContainer {
  readonly process: ContainerProcess;
  private readonly pidFile: string;

  constructor(
    private readonly launcher: string,
    readonly spec: ContainerSpec,
  ) {
    const specFile = join(spec.dir, 'spec.json');
    this.pidFile = join(spec.dir, 'pid');
    writeFileSync(
      specFile,
      JSON.stringify({
        scratch: join(spec.dir, 'rootfs'),
        hostname: spec.hostname,
        readOnlyRoot: spec.readOnlyRoot,
        files: spec.files,
        mounts: spec.mounts,
        workingDir: spec.workingDir,
        uid: spec.uid,
        gid: spec.gid,
        groups: spec.groups ?? [],
        env: spec.env,
        args: spec.args,
        pidFile: this.pidFile,
      }),
    );
    this.process = new ContainerProcess(
      'ip',
      ['netns', 'exec', spec.netns, launcher, '-spec', specFile],
      { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' },
      spec.dir,
      true,
    );
  }

  get running(): boolean {
    return this.process.running;
  }

  /** The host PID of the container's PID 1, once it runs. */
  pid(): number | undefined {
    try {
      const pid = Number.parseInt(readFileSync(this.pidFile, 'utf8'), 10);
      return Number.isInteger(pid) ? pid : undefined;
    } catch {
      return undefined;
    }
  }

  /** The exit code: the program's, 128+N for a signal, 128 when the container could not start. */
  get exitCode(): number {
    return this.process.exitCode ?? (this.process.signal ? 137 : 128);
  }

  /**
   * Runs `argv` inside the container as its user, with its environment, wired to `stdio` (as
   * kubectl exec and the kubelet's exec probes do); a command still running after `timeoutMs` is
   * killed (exit 137). Rejects when nothing can be run: the container is not running.
   */
  run(argv: string[], stdio: ExecStdio, timeoutMs = 0): Promise<number> {
    const pid = this.pid();
    if (pid === undefined || !this.running) return Promise.reject(new Error('container is not running'));
    const user =
      this.spec.uid === undefined ? [] : ['-uid', String(this.spec.uid), '-gid', String(this.spec.gid ?? 0)];
    const env = Object.fromEntries(
      this.spec.env.map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)]),
    );
    return new Promise((resolve, reject) => {
      const child = spawn(this.launcher, ['-exec', '-pid', String(pid), ...user, '--', ...argv], {
        env,
        stdio: [stdio.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
      });
      if (stdio.stdin && child.stdin) stdio.stdin.pipe(child.stdin).on('error', () => undefined);
      child.stdout?.pipe(stdio.stdout ?? new PassThrough().resume(), { end: false });
      child.stderr?.pipe(stdio.stderr ?? new PassThrough().resume(), { end: false });
      const timer = timeoutMs > 0 ? setTimeout(() => child.kill('SIGKILL'), timeoutMs) : undefined;
      child.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      child.once('close', (code, signal) => {
        clearTimeout(timer);
        resolve(code ?? (signal ? 137 : 1));
      });
    });
  }

  /** Runs `argv` to its end, as run(), and hands back its exit code and output (stdout and stderr). */
  async exec(argv: string[], timeoutMs: number): Promise<ExecResult> {
    let output = '';
    const collect = new Writable({
      write(chunk: Buffer, _encoding, done) {
        output += chunk.toString();
        done();
      },
    });
    try {
      const exitCode = await this.run(argv, { stdout: collect, stderr: collect }, timeoutMs);
      return { exitCode, output };
    } catch (error) {
      return { exitCode: 126, output: error instanceof Error ? error.message : String(error) };
    }
  }
}
