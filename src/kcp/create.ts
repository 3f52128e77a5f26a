/** `workspace create`: a child workspace through the API, waited on until kcp reports it Ready. */
import { setTimeout as sleep } from 'node:timers/promises';
import { ExitCode, GatewayError } from '../errors.ts';
import type { KubeClient } from '../kube/client.ts';
import { apiStatusOf } from '../kube/errors.ts';
import type { Progress } from '../ui/progress.ts';
import { explainInaccessibleWorkspace } from './access.ts';
import { type KcpServer, requireKcp } from './detect.ts';
import {
  formatWorkspaceType,
  parentOf,
  sameWorkspaceType,
  type WorkspaceTypeRef,
  workspaceUrl,
} from './paths.ts';
import { switchWorkspace } from './switch.ts';
import {
  clientFor,
  describeWorkspaceState,
  isReady,
  typeOf,
  WORKSPACE_API_VERSION,
  type WorkspaceObject,
} from './workspace-object.ts';

const POLL_MS = 250;
/** kcp lists a new workspace through a cache: right after the create it may not be found yet. */
const VISIBILITY_WINDOW_MS = 5000;

export interface WorkspaceSummary {
  name: string;
  path: string;
  type: string;
  phase: string;
  url: string;
}

export interface CreateWorkspaceRequest {
  name: string;
  type?: WorkspaceTypeRef | undefined;
  ignoreExisting: boolean;
  enter: boolean;
  timeoutMs: number;
}

export interface CreateWorkspaceResult extends WorkspaceSummary {
  action: 'created' | 'existed';
  /** The kubeconfig now points at the workspace (--enter). */
  entered: boolean;
}

export function summarize(workspace: WorkspaceObject, path: string, base: string): WorkspaceSummary {
  return {
    name: workspace.metadata.name,
    path,
    type: typeOf(workspace),
    phase: workspace.status?.phase ?? 'Unknown',
    url: workspace.spec?.URL ?? workspaceUrl(base, path),
  };
}

/** The current workspace's path, which every relative name starts from. */
export function currentPathOf(kcp: KcpServer, kube: KubeClient): string {
  if (kcp.path !== undefined) return kcp.path;
  throw new GatewayError(`context "${kube.target.contextName}" points at kcp, but at no workspace`, {
    why: `its server URL ${kube.target.server} has no /clusters/<workspace> part, so relative workspace names have no starting point`,
    next: ['enter a workspace first: kubectl trigger-gateway workspace use :root'],
    exitCode: ExitCode.environment,
  });
}

/** A refused create, in the words of what went wrong (kcp's admission answers 403 for all of these). */
function explainCreateRefusal(error: unknown, request: CreateWorkspaceRequest, parent: string): unknown {
  const status = apiStatusOf(error);
  if (!status) return error;
  const type = request.type ? formatWorkspaceType(request.type) : `the default type of ${parent}`;
  const message = status.message;
  if (
    status.code === 403 &&
    /only allows .* (parent|child) workspaces|cannot have any children/.test(message)
  ) {
    return new GatewayError(`a workspace of type ${type} cannot be created in ${parent}`, {
      why: message.replace(/^.*? is forbidden: /, ''),
      next: [
        `pick a type ${parent} allows, e.g. kubectl trigger-gateway workspace create ${request.name} --type universal`,
        'or create it under another workspace: kubectl trigger-gateway workspace use :root:ORG',
      ],
      exitCode: ExitCode.clusterState,
    });
  }
  if (status.code === 403 && /cannot be resolved/.test(message)) {
    return new GatewayError(`there is no workspace type ${type}`, {
      why: message.replace(/^.*? is forbidden: /, ''),
      next: ['list the types: kubectl get workspacetypes (in the workspace that defines them, e.g. :root)'],
      exitCode: ExitCode.clusterState,
    });
  }
  if (status.code === 403 && /permission on workspacetype/.test(message)) {
    return new GatewayError(`you may not use workspace type ${type}`, {
      why: message.replace(/^.*? is forbidden: /, ''),
      next: ['ask an admin for the "use" verb on that WorkspaceType, or pick another --type'],
      exitCode: ExitCode.forbidden,
    });
  }
  if (status.code === 422) {
    return new GatewayError(`kcp refused the workspace name "${request.name}"`, {
      why: message,
      exitCode: ExitCode.usage,
    });
  }
  return error;
}

async function waitUntilVisibleAndReady(
  parent: KubeClient,
  name: string,
  path: string,
  timeoutMs: number,
  progress: Progress,
): Promise<WorkspaceObject> {
  const started = Date.now();
  const deadline = started + timeoutMs;
  let last: WorkspaceObject | undefined;
  for (;;) {
    const workspace = await parent.read<WorkspaceObject>({
      apiVersion: WORKSPACE_API_VERSION,
      kind: 'Workspace',
      name,
    });
    if (workspace) {
      last = workspace;
      if (isReady(workspace)) return workspace;
      progress.update(`Waiting for workspace ${path} to be ready: ${describeWorkspaceState(workspace)}`);
    } else if (last || Date.now() - started > VISIBILITY_WINDOW_MS) {
      throw new GatewayError(`workspace ${path} disappeared while it was being set up`, {
        why: last
          ? 'it was deleted'
          : `it was created, but kcp did not list it within ${VISIBILITY_WINDOW_MS / 1000}s`,
        next: [`kubectl get workspaces (in ${parentOf(path)})`],
        exitCode: ExitCode.clusterState,
      });
    } else {
      progress.update(`Waiting for workspace ${path} to appear`);
    }
    if (Date.now() >= deadline) {
      throw new GatewayError(`workspace ${path} is not ready after ${Math.round(timeoutMs / 1000)}s`, {
        why: last ? describeWorkspaceState(last) : 'it has not appeared yet',
        next: [
          `look at it: kubectl get workspace ${name} -o yaml (in ${parentOf(path)})`,
          'initializers are controllers that set up new workspaces of a type; if one is not running, ask the kcp admins',
          'wait longer with --timeout, e.g. --timeout 5m',
        ],
        exitCode: ExitCode.timeout,
      });
    }
    await sleep(Math.min(POLL_MS, Math.max(0, deadline - Date.now())));
  }
}

/** Creates (or with ignoreExisting, finds) a child of the current workspace and waits until it is Ready. */
export async function createWorkspace(
  kube: KubeClient,
  request: CreateWorkspaceRequest,
  progress: Progress,
): Promise<CreateWorkspaceResult> {
  const kcp = await requireKcp(kube, 'workspace create');
  const parentPath = currentPathOf(kcp, kube);
  return createWorkspaceIn(kube, kcp.base, parentPath, request, progress);
}

/** POSTs the Workspace; with --ignore-existing, an existing one of the same type is accepted. */
async function createOrAccept(
  kube: KubeClient,
  parent: KubeClient,
  base: string,
  parentPath: string,
  request: CreateWorkspaceRequest,
): Promise<CreateWorkspaceResult['action']> {
  const path = `${parentPath}:${request.name}`;
  try {
    await parent.create<WorkspaceObject>({
      apiVersion: WORKSPACE_API_VERSION,
      kind: 'Workspace',
      metadata: { name: request.name },
      spec: request.type ? { type: request.type } : {},
    });
  } catch (error) {
    const status = apiStatusOf(error);
    if (status?.code === 403 && /workspace access not permitted/.test(status.message))
      throw await explainInaccessibleWorkspace(kube, base, parentPath, { current: true });
    if (status?.code !== 409) throw explainCreateRefusal(error, request, parentPath);
    const existing = await parent.read<WorkspaceObject>({
      apiVersion: WORKSPACE_API_VERSION,
      kind: 'Workspace',
      name: request.name,
    });
    if (!request.ignoreExisting || !existing) {
      throw new GatewayError(`workspace ${path} already exists`, {
        why: existing
          ? `it is of type ${typeOf(existing)}, ${describeWorkspaceState(existing)}`
          : status.message,
        next: [
          `use it: kubectl trigger-gateway workspace use ${request.name}`,
          'or accept it as it is: add --ignore-existing',
        ],
        exitCode: ExitCode.clusterState,
      });
    }
    const existingType = existing.spec?.type;
    if (request.type && existingType && !sameWorkspaceType(existingType, request.type)) {
      throw new GatewayError(
        `workspace ${path} already exists with type ${formatWorkspaceType(existingType)}, not ${formatWorkspaceType(request.type)}`,
        {
          why: 'a workspace keeps the type it was created with',
          next: [
            `use it as it is: leave out --type, or pass --type ${formatWorkspaceType(existingType)}`,
            'or create one under another name',
          ],
          exitCode: ExitCode.clusterState,
        },
      );
    }
    return 'existed';
  }
  return 'created';
}

/** Creates `request.name` in the workspace at `parentPath` (see createWorkspace). */
export async function createWorkspaceIn(
  kube: KubeClient,
  base: string,
  parentPath: string,
  request: CreateWorkspaceRequest,
  progress: Progress,
): Promise<CreateWorkspaceResult> {
  const path = `${parentPath}:${request.name}`;
  const parent = clientFor(kube, base, parentPath);
  let action: CreateWorkspaceResult['action'];
  let ready: WorkspaceObject;
  try {
    progress.update(`Creating workspace ${path}`);
    action = await createOrAccept(kube, parent, base, parentPath, request);
    ready = await waitUntilVisibleAndReady(parent, request.name, path, request.timeoutMs, progress);
  } finally {
    await parent.close();
  }
  const summary = summarize(ready, path, base);
  progress.done(
    `Workspace ${path} (type ${summary.type}) ${action === 'created' ? 'created and' : 'is'} ready`,
  );
  if (!request.enter) return { ...summary, action, entered: false };
  await switchWorkspace(kube.target, workspaceUrl(base, path));
  return { ...summary, action, entered: true };
}
