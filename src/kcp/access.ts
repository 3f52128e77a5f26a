/**
 * kcp answers 403 both for a workspace that does not exist and for one you may not enter. This
 * turns that 403 into the error that is true: not found, not ready yet, or access denied.
 */
import { ExitCode, GatewayError } from '../errors.ts';
import type { KubeClient } from '../kube/client.ts';
import { lastSegment, parentOf } from './paths.ts';
import { describeWorkspaceState, isReady, lookUpWorkspace } from './workspace-object.ts';

export async function explainInaccessibleWorkspace(
  kube: KubeClient,
  base: string,
  path: string,
  options: { current?: boolean } = {},
): Promise<GatewayError> {
  const lookup = await lookUpWorkspace(kube, base, path);
  const parent = parentOf(path);
  const name = lastSegment(path);
  const leave = options.current
    ? ['the context points at it: go elsewhere with kubectl trigger-gateway workspace use :root']
    : [];
  if (lookup.state === 'missing') {
    const siblings = lookup.siblings;
    const listed =
      siblings === undefined
        ? ''
        : siblings.length === 0
          ? `; ${parent} has no workspaces`
          : `; ${parent} has: ${siblings.join(', ')}`;
    return new GatewayError(`workspace ${path} does not exist`, {
      why: `there is no workspace "${name}" in ${parent}${listed}`,
      next: [...leave, `create it: kubectl trigger-gateway workspace create ${name} (from ${parent})`],
      exitCode: ExitCode.clusterState,
    });
  }
  if (lookup.state === 'found' && !isReady(lookup.workspace)) {
    return new GatewayError(`workspace ${path} is not ready yet`, {
      why: describeWorkspaceState(lookup.workspace),
      next: [
        ...leave,
        `wait for it: kubectl trigger-gateway workspace create ${name} --ignore-existing (from ${parent})`,
      ],
      exitCode: ExitCode.clusterState,
    });
  }
  const why =
    lookup.state === 'found'
      ? `it exists, but kcp refuses you entry (you lack the "access" verb on workspaces/content of ${name} in ${parent})`
      : `kcp answers "forbidden" both when a workspace does not exist and when it is closed to you, and ${lookup.reason}`;
  return new GatewayError(`access to workspace ${path} is denied`, {
    why,
    next: [...leave, `ask an admin of ${parent ?? path} to grant you access to ${path}`],
    exitCode: ExitCode.forbidden,
  });
}
