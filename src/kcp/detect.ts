/**
 * Telling kcp from plain Kubernetes: kcp serves the tenancy.kcp.io API group, and its server URLs
 * name a workspace as `/clusters/<path>`. Before 2023 (kcp v0.10 and older) the group was tenancy.kcp.dev.
 */
import { ExitCode, GatewayError } from '../errors.ts';
import type { KubeClient } from '../kube/client.ts';
import { servedGroups } from '../kube/discovery.ts';
import { apiStatusOf } from '../kube/errors.ts';
import { explainInaccessibleWorkspace } from './access.ts';
import { parseWorkspaceUrl } from './paths.ts';

export const KCP_TENANCY_GROUP = 'tenancy.kcp.io';
const LEGACY_TENANCY_GROUP = 'tenancy.kcp.dev';

export interface KcpServer {
  /** The URL every workspace hangs under (`<base>/clusters/<path>`). */
  base: string;
  /** The workspace the context points at; undefined when its URL names none (kcp's front door). */
  path: string | undefined;
}

export type ClusterFlavour = { kind: 'kubernetes' } | ({ kind: 'kcp' } & KcpServer) | { kind: 'kcp-legacy' };

/** From the API groups the server serves; `groups` when the caller already read them. */
export async function detectKcp(kube: KubeClient, groups?: Set<string>): Promise<ClusterFlavour> {
  const server = kube.target.server.replace(/\/+$/, '');
  const workspace = parseWorkspaceUrl(server);
  let served = groups;
  if (!served) {
    try {
      served = await servedGroups(kube);
    } catch (error) {
      // kcp answers 403 for discovery of a workspace that is gone or closed to you.
      if (workspace && apiStatusOf(error)?.code === 403)
        throw await explainInaccessibleWorkspace(kube, workspace.base, workspace.path, { current: true });
      throw error;
    }
  }
  if (served.has(KCP_TENANCY_GROUP)) {
    return { kind: 'kcp', base: workspace?.base ?? server, path: workspace?.path };
  }
  if (served.has(LEGACY_TENANCY_GROUP)) return { kind: 'kcp-legacy' };
  return { kind: 'kubernetes' };
}

/** The kcp behind the current context, or an error saying why there is none. */
export async function requireKcp(
  kube: KubeClient,
  purpose: string,
  groups?: Set<string>,
): Promise<KcpServer> {
  const flavour = await detectKcp(kube, groups);
  const where = `the cluster at ${kube.target.server} (context "${kube.target.contextName}")`;
  if (flavour.kind === 'kcp-legacy') {
    throw new GatewayError(`${where} runs a kcp older than v0.11`, {
      why: `it serves workspaces only as ${LEGACY_TENANCY_GROUP}, the API kcp replaced in 2023 with ${KCP_TENANCY_GROUP}; ${purpose} needs kcp v0.11 or later`,
      next: ['upgrade kcp to v0.11 or later', "or use the kcp release's own plugin: kubectl kcp workspace …"],
      exitCode: ExitCode.environment,
    });
  }
  if (flavour.kind === 'kubernetes') {
    throw new GatewayError(`kcp is not present: ${where} is plain Kubernetes`, {
      why: `workspaces are a kcp feature, and this server has no ${KCP_TENANCY_GROUP} API; ${purpose} needs kcp`,
      next: [
        'on plain Kubernetes, install directly: kubectl trigger-gateway install',
        'or pick a context that points at kcp: kubectl config get-contexts',
      ],
      exitCode: ExitCode.environment,
    });
  }
  return flavour;
}
