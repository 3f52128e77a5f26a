/**
 * kcp workspace paths (`root:org:infra`) and the `/clusters/<path>` server URLs that address them:
 * parsing, validation and the `cd`-like resolution `workspace use` applies. Pure.
 */

const SEGMENT = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** kcp's own rule for a new workspace's name: a DNS label that starts with a letter. */
const WORKSPACE_NAME = /^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/;
const RESERVED_NAMES = new Set(['system', 'any']);

export class WorkspacePathError extends Error {
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
    this.name = 'WorkspacePathError';
  }
}

/** Whether `path` is a well-formed absolute logical cluster path such as `root:org:infra`. */
export function isWorkspacePath(path: string): boolean {
  return path !== '' && path.split(':').every((segment) => SEGMENT.test(segment));
}

/** Why `name` cannot name a new workspace, or undefined when it can. */
export function workspaceNameProblem(name: string): string | undefined {
  if (RESERVED_NAMES.has(name)) return `"${name}" is reserved by kcp`;
  if (!WORKSPACE_NAME.test(name)) {
    return 'a workspace name is 1 to 63 lowercase letters, digits and "-", starting with a letter and ending with a letter or digit';
  }
  return undefined;
}

export interface WorkspaceUrl {
  /** The server URL without `/clusters/<path>`: kcp's front door, where every workspace hangs. */
  base: string;
  path: string;
}

/**
 * The workspace a server URL addresses, as kcp's own plugin reads it: `https://kcp/clusters/root:org`
 * is `root:org` at base `https://kcp`. Undefined when the URL names no workspace.
 */
export function parseWorkspaceUrl(server: string): WorkspaceUrl | undefined {
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    return undefined;
  }
  const marker = url.pathname.indexOf('/clusters/');
  if (marker < 0) return undefined;
  const path = decodeURIComponent(url.pathname.slice(marker + '/clusters/'.length).split('/')[0] ?? '');
  if (!isWorkspacePath(path)) return undefined;
  url.pathname = url.pathname.slice(0, marker);
  return { base: url.toString().replace(/\/+$/, ''), path };
}

export const workspaceUrl = (base: string, path: string) => `${base.replace(/\/+$/, '')}/clusters/${path}`;

export const parentOf = (path: string): string | undefined =>
  path.includes(':') ? path.slice(0, path.lastIndexOf(':')) : undefined;

export const lastSegment = (path: string) => path.slice(path.lastIndexOf(':') + 1);

/**
 * Resolves what a user typed after `workspace use` against the current workspace, the way `cd`
 * would: `infra` and `team:infra` are relative, `..` goes up, `:root:org` is absolute and `:`
 * is the root of the tree. (`-`, the previous workspace, is not a path and is handled by the caller.)
 * `root:org` (kcp's older absolute form) still counts as absolute.
 */
export function resolveWorkspacePath(current: string | undefined, typed: string): string {
  const text = typed.trim().replaceAll('/', ':');
  if (text === '')
    throw new WorkspacePathError('no workspace given', 'name one, e.g. infra, .. or :root:org');
  let absolute: string;
  if (text === ':') {
    absolute = current?.split(':')[0] ?? 'root';
  } else if (text.startsWith(':')) {
    absolute = text.slice(1);
  } else if (text === 'root' || text.startsWith('root:')) {
    absolute = text;
  } else {
    if (current === undefined) {
      throw new WorkspacePathError(
        `"${typed}" is relative, but the current context points at no workspace`,
        'give an absolute path such as :root:org:infra',
      );
    }
    absolute = `${current}:${text}`;
  }
  const resolved: string[] = [];
  for (const segment of absolute.split(':')) {
    if (segment === '.' || segment === '') continue;
    if (segment === '..') {
      if (resolved.length === 0) throw new WorkspacePathError('cannot go up from root', 'root has no parent');
      resolved.pop();
      continue;
    }
    resolved.push(segment);
  }
  if (resolved.length === 0) {
    throw new WorkspacePathError('cannot go up from root', 'root has no parent');
  }
  const path = resolved.join(':');
  if (!isWorkspacePath(path)) {
    throw new WorkspacePathError(
      `"${typed}" is not a workspace path`,
      'a path is names joined by ":" (lowercase letters, digits and "-"), e.g. :root:org:infra',
    );
  }
  return path;
}

/** A workspace type as `--type` takes it: `universal` or `root:universal` (path, then name). */
export interface WorkspaceTypeRef {
  name: string;
  path?: string;
}

export function parseWorkspaceType(text: string): WorkspaceTypeRef {
  const typed = text.trim().toLowerCase();
  const separator = typed.lastIndexOf(':');
  const ref =
    separator < 0 ? { name: typed } : { name: typed.slice(separator + 1), path: typed.slice(0, separator) };
  const nameOk = /^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/.test(ref.name);
  if (!nameOk || (ref.path !== undefined && !isWorkspacePath(ref.path))) {
    throw new WorkspacePathError(
      `"${text}" is not a workspace type`,
      'a type is a name such as universal, or the workspace that defines it and the name, such as root:universal',
    );
  }
  return ref;
}

export const formatWorkspaceType = (ref: WorkspaceTypeRef | undefined) =>
  ref ? (ref.path ? `${ref.path}:${ref.name}` : ref.name) : 'unknown';

/** Whether an existing workspace's type is the one asked for: a bare name matches it in any path. */
export const sameWorkspaceType = (existing: WorkspaceTypeRef, wanted: WorkspaceTypeRef) =>
  existing.name === wanted.name && (wanted.path === undefined || wanted.path === existing.path);
