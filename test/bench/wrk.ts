/**
 * Runs wrk and reads its figures. A small Lua `done` hook prints the summary as one JSON line, so
 * nothing depends on parsing wrk's human-readable units; the text report (--latency) is kept as well.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Pinning, spawnTracked, tempDir } from './processes.ts';

const MARKER = 'BENCH_JSON ';

const DONE_SCRIPT = `-- Written by test/bench/wrk.ts: the summary as one JSON line.
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '${MARKER}{"requests":%d,"durationUs":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latencyUs":{"mean":%.2f,"p50":%d,"p90":%d,"p99":%d,"max":%d}}\\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
`;

export interface WrkOptions {
  threads: number;
  connections: number;
  durationSeconds: number;
}

export interface WrkResult {
  requests: number;
  durationUs: number;
  bytes: number;
  /** Socket errors and non-2xx/3xx responses (`status`). */
  errors: { connect: number; read: number; write: number; status: number; timeout: number };
  latencyUs: { mean: number; p50: number; p90: number; p99: number; max: number };
  requestsPerSecond: number;
  /** wrk's own report, for the record. */
  text: string;
}

let scriptPath: string | undefined;

function doneScript(): string {
  if (scriptPath === undefined) {
    scriptPath = join(tempDir(), 'done.lua');
    writeFileSync(scriptPath, DONE_SCRIPT);
  }
  return scriptPath;
}

export function wrkVersion(wrk: string): string {
  try {
    execFileSync(wrk, ['-v'], { stdio: ['ignore', 'pipe', 'pipe'] });
    return '';
  } catch (error) {
    // wrk -v prints its version and usage, then exits 1.
    const out = `${(error as { stdout?: Buffer }).stdout?.toString() ?? ''}`;
    return out.split('\n')[0]?.trim() ?? '';
  }
}

export function wrkArgs(options: WrkOptions, url: string): string[] {
  return [
    `-t${options.threads}`,
    `-c${options.connections}`,
    `-d${options.durationSeconds}s`,
    '--latency',
    '-s',
    doneScript(),
    url,
  ];
}

/** Runs wrk to completion; rejects if it fails, hangs past its duration, or prints no summary. */
export async function runWrk(
  wrk: string,
  options: WrkOptions,
  url: string,
  core: number | undefined,
  pinning: Pinning | undefined,
): Promise<WrkResult> {
  const child = spawnTracked(wrk, wrkArgs(options, url), core, pinning, 'pipe');
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const timeout = setTimeout(() => child.kill('SIGKILL'), (options.durationSeconds + 15) * 1000);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  clearTimeout(timeout);
  const line = stdout.split('\n').find((l) => l.startsWith(MARKER));
  if (code !== 0 || line === undefined) {
    throw new Error(`wrk failed (exit ${code}) on ${url}:\n${stdout}${stderr}`);
  }
  const parsed = JSON.parse(line.slice(MARKER.length)) as Omit<WrkResult, 'requestsPerSecond' | 'text'>;
  return {
    ...parsed,
    requestsPerSecond: parsed.requests / (parsed.durationUs / 1e6),
    text: stdout.replace(line, '').trimEnd(),
  };
}
