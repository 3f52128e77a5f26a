import { execFile } from 'node:child_process';
import { accessSync, constants, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { CONFIG_DIR, CONFIG_PATH } from '../haproxy/gateway-config.ts';

/**
 * HAPROXY_BIN, else Debian's /usr/sbin/haproxy, else the first haproxy on PATH. HAPROXY_BIN=none: as
 * on a machine without one (the gateway pods' own HAProxy checks instead).
 */
export function findHaproxyBinary(): string | undefined {
  if (process.env.HAPROXY_BIN === 'none') return undefined;
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

/** `haproxy -v`'s version, e.g. 2.6.12-1+deb12u4; undefined when it does not say. */
export function localHaproxyVersion(binary: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(binary, ['-v'], { timeout: 10_000 }, (_error, stdout) => {
      resolve(/^HA-?Proxy version (\S+)/m.exec(stdout)?.[1]);
    });
  });
}

/** 2.6 from 2.6.12-1+deb12u4 or 3.2.4: what decides whether two HAProxies read a config alike. */
export const majorMinor = (version: string): string => /^\d+\.\d+/.exec(version)?.[0] ?? version;

/** HAProxy's own alert lines in its output, without the pid, for messages. */
export function alertLines(output: string): string[] {
  return output
    .split('\n')
    .filter((line) => line.includes('[ALERT]'))
    .map((line) => line.replace(/^\[ALERT\]\s*(\(\d+\)\s*)?:\s*/, '').trim());
}

export interface HaproxyVerdict {
  /** The binary that checked it, or undefined when none is installed (only our parser checked). */
  binary: string | undefined;
  valid: boolean;
  /** HAProxy's own ALERT lines when it rejects the config. */
  alerts: string[];
}

/** A gateway pod's view of its config: the files haproxy sees, at the paths it sees them. */
export interface PodConfigFiles {
  /** The file haproxy loads (its -f), as the pod sees it. */
  configPath: string;
  /** Where the config's volumes are mounted: directories, or single files for subPath mounts. */
  mountPaths: readonly string[];
  /** Every file those mounts show, by its path in the pod; configPath is one of them. */
  files: ReadonlyMap<string, string>;
}

/** The bundled Deployment's view: haproxy.cfg alone, in the directory the ConfigMap is mounted as. */
export function bundledPodFiles(cfg: string): PodConfigFiles {
  return { configPath: CONFIG_PATH, mountPaths: [CONFIG_DIR], files: new Map([[CONFIG_PATH, cfg]]) };
}

/** Characters of a path: a mount path is rewritten only as a whole path, never inside a longer one. */
const PATH_CHAR = String.raw`[\w.~/-]`;

/**
 * The config with every path under one of `mountPaths` moved under `root`, where the scratch copy of
 * that mount is. A path no mount covers stays as it is: the pod does not have that file from the
 * ConfigMap either.
 */
export function underRoot(cfg: string, mountPaths: readonly string[], root: string): string {
  if (mountPaths.length === 0) return cfg;
  const escaped = [...mountPaths]
    .sort((a, b) => b.length - a.length)
    .map((path) => path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  const paths = new RegExp(`(?<!${PATH_CHAR})(?:${escaped.join('|')})(?=/|(?!${PATH_CHAR}))`, 'g');
  return cfg.replace(paths, (path) => `${root}${path}`);
}

/**
 * No DNS lookups of cluster names at check time: outside the cluster they cannot resolve, and the
 * check is about the config, not the network. Every server starts unresolved (`init-addr none`),
 * hand-written ones included, through a `default-server` line at the top of each backend and listen.
 */
export function configForCheck(cfg: string): string {
  return cfg
    .replace(/\binit-addr\s+\S+/g, 'init-addr none')
    .replace(
      /^([ \t]*)(backend|listen)([ \t]+\S+[^\r\n]*)(\r?\n)/gm,
      '$1$2$3$4    default-server init-addr none$4',
    );
}

/**
 * `haproxy -c` on the config as a gateway pod would load it: its files written to a scratch directory
 * at the same paths under it (`<scratch>/etc/haproxy/haproxy.cfg` for `/etc/haproxy/haproxy.cfg`), and
 * paths under the pod's mounts pointed there. So a route map read from a path the pod does not have
 * fails here with "failed to open pattern file", as it would in the pod. Alerts name the pod's paths.
 */
export async function checkWithHaproxy(
  pod: PodConfigFiles,
  binary = findHaproxyBinary(),
): Promise<HaproxyVerdict> {
  if (!binary) return { binary, valid: true, alerts: [] };
  const root = mkdtempSync(join(tmpdir(), 'trigger-gateway-check-'));
  const file = join(root, pod.configPath);
  try {
    for (const [path, content] of pod.files) {
      const local = join(root, path);
      mkdirSync(dirname(local), { recursive: true });
      writeFileSync(
        local,
        path === pod.configPath ? configForCheck(underRoot(content, pod.mountPaths, root)) : content,
      );
    }
    const output = await new Promise<{ ok: boolean; text: string }>((resolve) => {
      execFile(binary, ['-c', '-dr', '-f', file], { timeout: 30_000 }, (error, stdout, stderr) => {
        resolve({ ok: error === null, text: `${stdout}${stderr}` });
      });
    });
    const alerts = alertLines(output.text).map((line) => line.replaceAll(root, ''));
    return { binary, valid: output.ok, alerts };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
