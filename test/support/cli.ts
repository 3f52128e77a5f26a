import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { Config, Errors } from '@oclif/core';

export const REPO_ROOT = resolve(import.meta.dirname, '../..');

export interface CommandResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

let config: Config | undefined;

/**
 * Runs one command class in this process (so nock sees its requests), capturing what it writes
 * and the exit code it would have ended with.
 */
export async function runCommand(
  command: { run(argv: string[], config: Config): Promise<unknown> },
  argv: string[],
): Promise<CommandResult> {
  config ??= await Config.load({ root: REPO_ROOT });
  const out: string[] = [];
  const err: string[] = [];
  const stdoutWrite = process.stdout.write;
  const stderrWrite = process.stderr.write;
  const capture = (sink: string[]) =>
    ((chunk: string | Uint8Array) => {
      sink.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString());
      return true;
    }) as typeof process.stdout.write;
  process.stdout.write = capture(out);
  process.stderr.write = capture(err);
  let exitCode = 0;
  try {
    await command.run(argv, config);
  } catch (error) {
    if (error instanceof Errors.ExitError) exitCode = error.oclif.exit ?? 1;
    else if (error instanceof Errors.CLIError) {
      exitCode = error.oclif.exit ?? 2;
      err.push(`${error.message}\n`);
    } else throw error;
  } finally {
    process.stdout.write = stdoutWrite;
    process.stderr.write = stderrWrite;
  }
  return { exitCode, stdout: out.join(''), stderr: err.join('') };
}

/** PATH on which `kubectl` finds our plugin and `node` is the repo's pinned Node 24. */
export function pluginPath(): string {
  return [join(REPO_ROOT, 'bin'), join(REPO_ROOT, 'node_modules', '.bin'), process.env.PATH ?? ''].join(
    delimiter,
  );
}

/** The kubectl on this machine's PATH, for tests that build a PATH of their own around it. */
export const KUBECTL = execFileSync('/bin/sh', ['-c', 'command -v kubectl'], { encoding: 'utf8' }).trim();

/** Runs a real executable (kubectl, or our bin) with a private HOME so no user state leaks in. */
export function runExecutable(
  file: string,
  args: string[],
  env: Record<string, string | undefined> = {},
  options: { cwd?: string } = {},
): Promise<CommandResult> {
  const home = mkdtempSync(join(tmpdir(), 'tg-home-'));
  return new Promise((resolvePromise) => {
    execFile(
      file,
      args,
      { env: { PATH: pluginPath(), HOME: home, NO_COLOR: '1', ...env }, timeout: 120_000, ...options },
      (error, stdout, stderr) => {
        rmSync(home, { recursive: true, force: true, maxRetries: 3 });
        const exitCode = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolvePromise({ exitCode, stdout, stderr });
      },
    );
  });
}
