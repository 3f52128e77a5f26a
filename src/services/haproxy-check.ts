import { execFile } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { CONFIG_PATH } from '../haproxy/gateway-config.ts';

/** HAPROXY_BIN, else Debian's /usr/sbin/haproxy, else the first haproxy on PATH. */
export function findHaproxyBinary(): string | undefined {
  const candidates = [
    process.env.HAPROXY_BIN,
    '/usr/sbin/haproxy',
    ...(process.env.PATH ?? '').split(delimiter).map((dir) => join(dir, 'haproxy')),
  ];
  return candidates.find((path): path is string => {
    if (!path) return false;
    try {
      accessSync(path, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

export interface HaproxyVerdict {
  /** The binary that checked it, or undefined when none is installed (only our parser checked). */
  binary: string | undefined;
  valid: boolean;
  /** HAProxy's own ALERT lines when it rejects the config. */
  alerts: string[];
}

/**
 * The config as `haproxy -c` should read it here: its route map at the copy's path, and no DNS
 * lookups of cluster names at check time. Outside the cluster they cannot resolve, and the check is
 * about the config, not the network: every server starts unresolved (`init-addr none`), hand-written
 * ones included, through a `default-server` line at the top of each backend and listen section.
 */
export function configForCheck(cfg: string, file: string): string {
  return cfg
    .split(CONFIG_PATH)
    .join(file)
    .replace(/\binit-addr\s+\S+/g, 'init-addr none')
    .replace(
      /^([ \t]*)(backend|listen)([ \t]+\S+[^\r\n]*)(\r?\n)/gm,
      '$1$2$3$4    default-server init-addr none$4',
    );
}

/**
 * `haproxy -c` on a config, run from a temporary copy: the config reads itself as its route map
 * by absolute path, so that path points at the copy.
 */
export async function checkWithHaproxy(cfg: string, binary = findHaproxyBinary()): Promise<HaproxyVerdict> {
  if (!binary) return { binary, valid: true, alerts: [] };
  const dir = mkdtempSync(join(tmpdir(), 'trigger-gateway-check-'));
  const file = join(dir, 'haproxy.cfg');
  try {
    writeFileSync(file, configForCheck(cfg, file));
    const output = await new Promise<{ ok: boolean; text: string }>((resolve) => {
      execFile(binary, ['-c', '-dr', '-f', file], { timeout: 30_000 }, (error, stdout, stderr) => {
        resolve({ ok: error === null, text: `${stdout}${stderr}` });
      });
    });
    const alerts = output.text
      .split('\n')
      .filter((line) => line.includes('[ALERT]'))
      .map((line) => line.replace(/^\[ALERT\]\s*(\(\d+\)\s*)?:\s*/, '').replaceAll(file, 'haproxy.cfg'));
    return { binary, valid: output.ok, alerts };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
