/**
 * Reading kubeconfig files the way kubectl merges them (the first file that names an entry wins, and
 * the first current-context set wins), with file references made absolute against the file that
 * holds them. Loading @kubernetes/client-node costs ~0.4 s at start-up, so kubeconfigs are read here;
 * client-node is loaded only for what this does not cover (auth-provider users, proxies).
 */
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve, sep } from 'node:path';
import { load } from 'js-yaml';

type Entry = Record<string, unknown>;

export interface ClusterEntry {
  server?: string;
  'certificate-authority'?: string;
  'certificate-authority-data'?: string;
  'insecure-skip-tls-verify'?: boolean;
  'tls-server-name'?: string;
  'proxy-url'?: string;
  extensions?: Array<{ name?: string; extension?: unknown }>;
}

export interface UserEntry {
  token?: string;
  tokenFile?: string;
  'client-certificate'?: string;
  'client-certificate-data'?: string;
  'client-key'?: string;
  'client-key-data'?: string;
  username?: string;
  password?: string;
  exec?: unknown;
  'auth-provider'?: unknown;
  [key: string]: unknown;
}

export interface ContextEntry {
  cluster?: string;
  user?: string;
  namespace?: string;
}

export interface MergedKubeconfig {
  contexts: Map<string, ContextEntry>;
  clusters: Map<string, ClusterEntry>;
  users: Map<string, UserEntry>;
  currentContext: string | undefined;
}

const FILE_FIELDS = ['certificate-authority', 'client-certificate', 'client-key', 'tokenFile'];

/**
 * An entry's file references (CA, client certificate and key, token file, an exec command given as a
 * path) made absolute against `dir`.
 */
export function absoluteFileReferences(entry: Entry, dir: string): Entry {
  const copy = { ...entry };
  for (const field of FILE_FIELDS) {
    const value = copy[field];
    if (typeof value === 'string' && value !== '' && !isAbsolute(value)) copy[field] = resolve(dir, value);
  }
  const exec = copy.exec as Entry | undefined;
  const command = exec?.command;
  // As kubectl: a command with a path separator is a file beside the kubeconfig, a bare name is looked up on PATH.
  if (typeof command === 'string' && command.includes(sep) && !isAbsolute(command))
    copy.exec = { ...exec, command: resolve(dir, command) };
  return copy;
}

function named(list: unknown, key: string, dir: string, into: Map<string, Entry>): void {
  if (!Array.isArray(list)) return;
  for (const item of list as Entry[]) {
    const name = item?.name;
    const body = item?.[key];
    if (typeof name !== 'string' || into.has(name)) continue;
    into.set(
      name,
      absoluteFileReferences(typeof body === 'object' && body !== null ? (body as Entry) : {}, dir),
    );
  }
}

/** Throws the parser's error for a file that is not YAML (the caller names the file). */
export function mergeKubeconfigFiles(files: string[]): MergedKubeconfig {
  const merged = {
    contexts: new Map<string, Entry>(),
    clusters: new Map<string, Entry>(),
    users: new Map<string, Entry>(),
    currentContext: undefined as string | undefined,
  };
  for (const file of files) {
    const document = (load(readFileSync(file, 'utf8')) ?? {}) as Entry;
    if (typeof document !== 'object' || Array.isArray(document))
      throw new Error(`${file} is not a kubeconfig mapping`);
    const dir = dirname(resolve(file));
    named(document.clusters, 'cluster', dir, merged.clusters);
    named(document.users, 'user', dir, merged.users);
    named(document.contexts, 'context', dir, merged.contexts);
    const current = document['current-context'];
    if (merged.currentContext === undefined && typeof current === 'string' && current !== '')
      merged.currentContext = current;
  }
  return merged as MergedKubeconfig;
}
