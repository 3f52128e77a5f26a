/**
 * The benchmark's child processes: HAProxy instances (optionally pinned to a core with taskset), wrk, and
 * the cleanup that kills them all and removes their temp dirs on exit, an error or Ctrl-C.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { type LocalPorts, localizeConfig, waitForPort } from '../support/haproxy.ts';

const children = new Set<ChildProcess>();
const tempDirs = new Set<string>();

/** Kills every child still running (SIGKILL) and removes the temp dirs. Synchronous: safe in 'exit'. */
export function cleanupAll(): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  children.clear();
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}

/** Cleans up on normal exit and turns SIGINT/SIGTERM into a cleanup plus exit 130/143. */
export function installCleanupHandlers(): void {
  process.on('exit', cleanupAll);
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const) {
    process.on(signal, () => {
      process.stderr.write(`\n${signal}: stopping the benchmark's processes\n`);
      cleanupAll();
      process.exit(code);
    });
  }
}

export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'trigger-gateway-bench-'));
  tempDirs.add(dir);
  return dir;
}

export function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const path = join(dir, name);
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // not here
    }
  }
  return undefined;
}

export function findWrk(): string | undefined {
  return onPath('wrk');
}

/** Core numbers to pin to, or undefined when taskset is missing or there are fewer than 2 cores. */
export interface Pinning {
  taskset: string;
  gatewayCore: number;
  clientCore: number;
}

export function choosePinning(disabled: boolean): Pinning | undefined {
  if (disabled) return undefined;
  const taskset = onPath('taskset');
  if (taskset === undefined || availableParallelism() < 2) return undefined;
  return { taskset, gatewayCore: 0, clientCore: 1 };
}

/** Spawns `command args`, under `taskset -c core` when pinning; tracked for cleanup. */
export function spawnTracked(
  command: string,
  args: string[],
  core: number | undefined,
  pinning: Pinning | undefined,
  stdout: 'ignore' | 'pipe',
): ChildProcess {
  // taskset execs the command, so the child's pid is the command's.
  const [file, argv] =
    pinning !== undefined && core !== undefined
      ? [pinning.taskset, ['-c', String(core), command, ...args]]
      : [command, args];
  const child = spawn(file, argv, { stdio: ['ignore', stdout, 'pipe'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

export interface BenchHaproxy {
  name: string;
  ports: LocalPorts;
  pid: number;
  /** What HAProxy wrote to stderr (alerts and warnings; the request log goes to /dev/null). */
  stderr(): string;
  isDead(): boolean;
}

/**
 * Starts `haproxy -db` on `cfg` localized to `ports` (binds on 127.0.0.1, the map read from the written
 * file). Stdout (the request log, one line per request) goes to /dev/null: the gateway still formats and
 * writes every log line, as in a pod, but nobody has to read 100k lines a second.
 */
export async function startBenchHaproxy(
  haproxy: string,
  name: string,
  cfg: string,
  ports: LocalPorts,
  core: number | undefined,
  pinning: Pinning | undefined,
  localize = true,
): Promise<BenchHaproxy> {
  const dir = tempDir();
  const path = join(dir, 'haproxy.cfg');
  writeFileSync(path, localize ? localizeConfig(cfg, ports, path) : cfg);
  try {
    execFileSync(haproxy, ['-c', '-q', '-f', path], { stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
  } catch (error) {
    const output = (error as { stdout?: Buffer; stderr?: Buffer }).stderr?.toString() ?? '';
    throw new Error(`haproxy -c rejected the ${name} config:\n${output}`);
  }
  const child = spawnTracked(haproxy, ['-db', '-f', path], core, pinning, 'ignore');
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  let dead = false;
  child.once('exit', () => {
    dead = true;
  });
  const isDead = (): boolean => dead;
  try {
    await waitForPort(ports.http, 400, isDead);
    if (ports.stats !== ports.http) await waitForPort(ports.stats, 400, isDead);
  } catch (error) {
    throw new Error(`haproxy (${name}) did not start: ${(error as Error).message}\n${stderr}`);
  }
  if (child.pid === undefined) throw new Error(`haproxy (${name}) has no pid`);
  return { name, ports, pid: child.pid, stderr: () => stderr, isDead };
}

let clockTicks: number | undefined;

/** CPU time (user + system) a process has used so far, in seconds, from /proc; undefined off Linux. */
export function cpuSeconds(pid: number): number | undefined {
  try {
    clockTicks ??= Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the ")" closing the command name: state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return (utime + stime) / clockTicks;
  } catch {
    return undefined;
  }
}
