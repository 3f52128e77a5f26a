/** `workspace use` and `current`, and the workspace `install --workspace` goes into. */
import { ExitCode, GatewayError, usageError } from '../errors.ts';
import type { KubeClient } from '../kube/client.ts';
import { servedGroups } from '../kube/discovery.ts';
import { apiStatusOf } from '../kube/errors.ts';
import type { Progress } from '../ui/progress.ts';
import { explainInaccessibleWorkspace } from './access.ts';
import { createWorkspaceIn, currentPathOf, summarize, type WorkspaceSummary } from './create.ts';
import { requireKcp } from './detect.ts';
import {
  lastSegment,
  parentOf,
  parseWorkspaceUrl,
  resolveWorkspacePath,
  WorkspacePathError,
  workspaceUrl,
} from './paths.ts';
import { switchWorkspace } from './switch.ts';
import { clientFor, isReady, lookUpWorkspace, typeOf } from './workspace-object.ts';

export interface UseWorkspaceResult {
  path: string;
  type?: string;
  url: string;
  previous: string | undefined;
  context: string;
  kubeconfig: string;
}

export interface CurrentWorkspace {
  path: string;
  url: string;
  context: string;
  /** False when kcp refuses discovery there: the workspace is gone, or closed to you. */
  accessible: boolean;
}

/** A typed workspace path, resolved; a malformed one is a usage error. */
function resolveTyped(current: string | undefined, typed: string, flag: string): string {
  try {
    return resolveWorkspacePath(current, typed);
  } catch (error) {
    if (error instanceof WorkspacePathError) throw usageError(`${flag}${error.message}`, error.hint);
    throw error;
  }
}
/** Checks that `path` can be entered (kcp's own plugin asks discovery, then the parent). */
async function checkEnterable(kube: KubeClient, base: string, path: string): Promise<string | undefined> {
  const target = clientFor(kube, base, path);
  const [groups, lookup] = await Promise.all([
    target
      .discover<{ groups?: unknown[] }>('/apis')
      .then(
        (list) => list?.groups?.length ?? 0,
        (error: unknown) => {
          if (apiStatusOf(error)?.code === 403) return 0;
          throw error;
        },
      )
      .finally(() => target.close()),
    parentOf(path) === undefined ? undefined : lookUpWorkspace(kube, base, path),
  ]);
  if (groups === 0) throw await explainInaccessibleWorkspace(kube, base, path);
  return lookup?.state === 'found' ? typeOf(lookup.workspace) : path.includes(':') ? undefined : 'root';
}

/** `workspace use`: NAME, a:b, .., :root:org, : (the root) or - (the previous workspace). */
export async function useWorkspace(kube: KubeClient, typed: string): Promise<UseWorkspaceResult> {
  const kcp = await requireKcp(kube, 'workspace use');
  const previous = kcp.path;
  if (typed.trim() === '-') {
    const switched = await switchWorkspace(kube.target, undefined);
    const now = parseWorkspaceUrl(switched.server);
    return {
      path: now?.path ?? switched.server,
      url: switched.server,
      previous,
      context: switched.context,
      kubeconfig: switched.file,
    };
  }
  if (typed.trim() === '~') {
    throw new GatewayError('home workspaces (~) are not supported', {
      why: 'the home workspace is found through a kcp extension this tool does not use',
      next: ['give its path instead, e.g. kubectl trigger-gateway workspace use :root:users:…'],
      exitCode: ExitCode.usage,
    });
  }
  const path = resolveTyped(kcp.path, typed, '');
  const type = await checkEnterable(kube, kcp.base, path);
  const switched = await switchWorkspace(kube.target, workspaceUrl(kcp.base, path));
  return {
    path,
    ...(type ? { type } : {}),
    url: switched.server,
    previous,
    context: switched.context,
    kubeconfig: switched.file,
  };
}

/**
 * `workspace current`: the path in the context's server URL, once discovery confirms it is kcp (a
 * `/clusters/` URL alone is no proof: other proxies use it too). A workspace that has gone or is
 * closed to you is still reported, as not accessible.
 */
export async function currentWorkspace(kube: KubeClient): Promise<CurrentWorkspace> {
  const { server, contextName } = kube.target;
  const workspace = parseWorkspaceUrl(server);
  let groups: Set<string>;
  try {
    groups = await servedGroups(kube);
  } catch (error) {
    if (workspace && apiStatusOf(error)?.code === 403)
      return { path: workspace.path, url: server, context: contextName, accessible: false };
    throw error;
  }
  const kcp = await requireKcp(kube, 'workspace current', groups);
  return { path: currentPathOf(kcp, kube), url: server, context: contextName, accessible: true };
}

export interface EnsuredWorkspace extends WorkspaceSummary {
  action: 'created' | 'existed';
  base: string;
}

/**
 * For `install --workspace`: the workspace at `typed` (relative to the current one), created in its
 * parent when missing, once Ready. The kubeconfig is not changed here.
 */
export async function ensureWorkspace(
  kube: KubeClient,
  typed: string,
  timeoutMs: number,
  progress: Progress,
): Promise<EnsuredWorkspace> {
  const kcp = await requireKcp(kube, 'install --workspace');
  const path = resolveTyped(kcp.path, typed, '--workspace: ');
  const parent = parentOf(path);
  const lookup = await lookUpWorkspace(kube, kcp.base, path, { siblings: false });
  if (lookup.state === 'found' && isReady(lookup.workspace)) {
    // Already there and Ready (a re-run): nothing to create or wait for.
    return { ...summarize(lookup.workspace, path, kcp.base), action: 'existed', base: kcp.base };
  }
  if (parent === undefined || lookup.state === 'unknown') {
    // Nothing to create from here: it has to exist already.
    await checkEnterable(kube, kcp.base, path);
    return {
      name: lastSegment(path),
      path,
      type: path.includes(':') ? 'unknown' : 'root',
      phase: 'Ready',
      url: workspaceUrl(kcp.base, path),
      action: 'existed',
      base: kcp.base,
    };
  }
  const request = { name: lastSegment(path), ignoreExisting: true, enter: false, timeoutMs };
  const result = await createWorkspaceIn(kube, kcp.base, parent, request, progress);
  return { ...result, base: kcp.base };
}
