/**
 * The cluster's pod address ranges, the default for `install --trusted-proxies`: Ingress controllers run
 * as pods, so the X-Forwarded-For of a connection from a pod address is the one to believe. Read from the
 * Nodes' spec.podCIDRs (spec.podCIDR on older clusters), which the node IPAM controller fills in. Clusters
 * whose network plugin manages addresses itself (Calico IPAM, AWS VPC CNI, kcp workspaces without Nodes)
 * report none, and then no proxy is trusted until the user names one.
 */
import type { KubeClient } from '../kube/client.ts';
import type { KubeObject } from '../manifests/types.ts';

export interface PodRanges {
  cidrs: string[];
  /** Why there are none, when there are none. */
  why?: string;
}

type NodeObject = KubeObject & { spec?: { podCIDR?: string; podCIDRs?: string[] } };

export async function findPodRanges(kube: KubeClient): Promise<PodRanges> {
  let nodes: NodeObject[];
  try {
    nodes = await kube.list<NodeObject>('v1', 'Node');
  } catch (error) {
    return { cidrs: [], why: `the Nodes cannot be listed (${(error as Error).message.split('\n')[0]})` };
  }
  const cidrs = [
    ...new Set(
      nodes.flatMap((node) => node.spec?.podCIDRs ?? (node.spec?.podCIDR ? [node.spec.podCIDR] : [])),
    ),
  ].sort();
  if (cidrs.length > 0) return { cidrs };
  return {
    cidrs: [],
    why:
      nodes.length === 0
        ? 'the cluster lists no Nodes'
        : 'no Node reports spec.podCIDRs (the network plugin assigns pod addresses itself)',
  };
}
