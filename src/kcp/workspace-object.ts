/** The tenancy.kcp.io Workspace object: reading one from its parent, and describing its state. */
import type { KubeClient } from '../kube/client.ts';
import { apiStatusOf } from '../kube/errors.ts';
import type { KubeObject } from '../manifests/types.ts';
import { formatWorkspaceType, lastSegment, parentOf, type WorkspaceTypeRef, workspaceUrl } from './paths.ts';

export const WORKSPACE_API_VERSION = 'tenancy.kcp.io/v1alpha1';

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

export interface WorkspaceObject extends KubeObject {
  spec?: { type?: WorkspaceTypeRef; URL?: string; cluster?: string };
  status?: { phase?: string; conditions?: Condition[]; initializers?: string[] };
}

export const workspaceRef = (name: string) => ({
  apiVersion: WORKSPACE_API_VERSION,
  kind: 'Workspace',
  name,
});

export const typeOf = (workspace: WorkspaceObject) => formatWorkspaceType(workspace.spec?.type);

export const isReady = (workspace: WorkspaceObject) => workspace.status?.phase === 'Ready';

/** "Initializing; WorkspaceInitialized: InitializerExists (…); waiting for initializers root:universal" */
export function describeWorkspaceState(workspace: WorkspaceObject): string {
  const status = workspace.status ?? {};
  const parts = [`phase ${status.phase ?? 'unknown (not reported yet)'}`];
  for (const condition of status.conditions ?? []) {
    if (condition.status === 'True') continue;
    const reason = condition.reason ? `: ${condition.reason}` : '';
    const message = condition.message ? ` (${condition.message})` : '';
    parts.push(`${condition.type} is ${condition.status}${reason}${message}`);
  }
  if (status.initializers?.length) parts.push(`waiting for initializers ${status.initializers.join(', ')}`);
  return parts.join('; ');
}

/** A client for the workspace at `path` of the kcp at `base`. */
export const clientFor = (kube: KubeClient, base: string, path: string) =>
  kube.forServer(workspaceUrl(base, path));

export type WorkspaceLookup =
  | { state: 'found'; workspace: WorkspaceObject }
  | { state: 'missing'; siblings: string[] | undefined }
  | { state: 'unknown'; reason: string };

/**
 * The Workspace object for `path`, read from its parent: the one place where kcp tells "does not
 * exist" (404) from "not yours" (everything inside a workspace answers 403 for both).
 */
export async function lookUpWorkspace(
  kube: KubeClient,
  base: string,
  path: string,
  options: { siblings: boolean } = { siblings: true },
): Promise<WorkspaceLookup> {
  const parent = parentOf(path);
  if (parent === undefined)
    return { state: 'unknown', reason: `${path} is a root workspace, which has no parent to ask` };
  const parentClient = clientFor(kube, base, parent);
  try {
    const workspace = await parentClient.read<WorkspaceObject>(workspaceRef(lastSegment(path)));
    if (workspace) return { state: 'found', workspace };
    if (!options.siblings) return { state: 'missing', siblings: undefined };
    const listed = await parentClient
      .list<WorkspaceObject>(WORKSPACE_API_VERSION, 'Workspace')
      .catch(() => undefined);
    return { state: 'missing', siblings: listed?.map((workspace) => workspace.metadata.name).sort() };
  } catch (error) {
    if (apiStatusOf(error)?.code === 403)
      return { state: 'unknown', reason: `you may not read workspaces in ${parent}` };
    throw error;
  } finally {
    await parentClient.close();
  }
}
