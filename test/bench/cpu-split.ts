/**
 * A real cluster's layout on one machine: the provider that sends and the control plane are other
 * machines there, so here they share CPU 0 and the node's pods get the other cores, as a kubelet's
 * --reserved-cpus keeps the system's work off the pods' cores. Without the split, the sender's and
 * the API server's work runs on the cores the proxies answer on, and sets the tail being measured.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { onPath } from './processes.ts';

export interface CpuSplit {
  taskset: string;
  /** The benchmark, its sender and the control plane (this process's children inherit it). */
  reserved: string;
  /** The pods' processes: Traefik, the gateway, the echo. */
  pods: string;
}

/** The split, or undefined when taskset is missing or there is one core only. */
export function cpuSplit(): CpuSplit | undefined {
  const taskset = onPath('taskset');
  const cores = availableParallelism();
  if (taskset === undefined || cores < 2) return undefined;
  return { taskset, reserved: '0', pods: cores === 2 ? '1' : `1-${cores - 1}` };
}

/** Puts this process on the reserved CPUs; what it starts from now on runs there too. */
export function reserveCpus(split: CpuSplit): void {
  execFileSync(split.taskset, ['-a', '-p', '-c', split.reserved, String(process.pid)], { stdio: 'ignore' });
}

function parentOf(pid: string): string | undefined {
  try {
    // The field after the command name, which may itself hold spaces and parentheses.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1];
  } catch {
    return undefined;
  }
}

function argvOf(pid: string): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return [];
  }
}

/**
 * Moves every running container to the pods' CPUs, every thread of it: the processes started by
 * the container program `launcher` (`launcher -spec …`, one a container) and their descendants.
 * Hands back how many processes were moved. Containers started later are not moved.
 */
export function pinPods(split: CpuSplit, launcher: string): number {
  const pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  const parents = new Map(pids.map((pid) => [pid, parentOf(pid)]));
  const launchers = new Set(
    pids.filter((pid) => {
      const argv = argvOf(pid);
      return argv[0] === launcher && argv.includes('-spec');
    }),
  );
  const inContainer = (pid: string): boolean => {
    for (let at: string | undefined = pid; at !== undefined && at !== '1'; at = parents.get(at)) {
      if (launchers.has(at)) return true;
    }
    return false;
  };
  let moved = 0;
  for (const pid of pids.filter(inContainer)) {
    try {
      execFileSync(split.taskset, ['-a', '-p', '-c', split.pods, pid], { stdio: 'ignore' });
      moved++;
    } catch {
      // Gone since /proc was read: a probe's or a hook's short-lived process.
    }
  }
  return moved;
}
