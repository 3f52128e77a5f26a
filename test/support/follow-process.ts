/** `deliveries --follow` as a user runs it, in its own process, for tests that watch what it prints. */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { join } from 'node:path';
import { pluginPath, REPO_ROOT } from './cli.ts';

export interface Following {
  child: ChildProcessWithoutNullStreams;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

/** bin/run.js (so after `npm run build`) with `deliveries --follow …`; stop it with SIGINT. */
export function startFollowing(kubeconfig: string, ...args: string[]): Following {
  const child = spawn(join(REPO_ROOT, 'bin', 'run.js'), ['deliveries', '--follow', ...args], {
    env: { ...process.env, PATH: pluginPath(), KUBECONFIG: kubeconfig, NO_COLOR: '1' },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

/** The pods whose logs are followed now, from the + and - lines on stderr. */
export function followedPods(stderr: string): Set<string> {
  const pods = new Set<string>();
  for (const [, change, pod] of stderr.matchAll(/^([+-]) (\S+)$/gm)) {
    if (change === '+') pods.add(pod ?? '');
    else pods.delete(pod ?? '');
  }
  return pods;
}
