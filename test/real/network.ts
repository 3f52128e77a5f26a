/**
 * The Node's network: a network namespace `tgr-<i>` joined to the host by a veth pair. The host end
 * is 10.244.<i>.1/30 (the API server's advertise address), the namespace end `eth0` is
 * 10.244.<i>.2/30 (the Node's InternalIP). The pod range 10.245.<i>.0/24 is routed there from the
 * host; inside, the node agent gives each pod a network namespace of its own on that range (see
 * node-agent/pod-network.ts) and forwards between them. The Service range is local inside the
 * namespace, where the agent's Service proxy and cluster DNS listen. The load balancer range
 * 10.246.<i>.0/24, where the agent gives LoadBalancer Services their addresses, is routed to the node
 * from the host too, as a cloud's load balancer would reach it. Tests only ever send traffic to
 * loopback or into these namespaces, from the host's own addresses on the link (clientAddress).
 */
import { spawnSync } from 'node:child_process';

export interface NodeNetwork {
  index: number;
  netns: string;
  hostLink: string;
  hostIP: string;
  nodeIP: string;
  podCIDR: string;
  /** Where LoadBalancer Services get their addresses (node-agent/service-load-balancer.ts). */
  loadBalancerCIDR: string;
}

export const SERVICE_CIDR = '10.96.0.0/16';
/** The cluster DNS's address (kubeadm's default: the tenth of the Service range). */
export const CLUSTER_DNS_IP = '10.96.0.10';
export const FIRST_INDEX = 1;
export const LAST_INDEX = 200;

export function nodeNetwork(index: number): NodeNetwork {
  return {
    index,
    netns: `tgr-${index}`,
    hostLink: `tgr${index}h`,
    hostIP: `10.244.${index}.1`,
    nodeIP: `10.244.${index}.2`,
    podCIDR: `10.245.${index}.0/24`,
    loadBalancerCIDR: `10.246.${index}.0/24`,
  };
}

/**
 * A second, third … address of the host on the node's link (n from 1 to 100), for tests that need
 * webhooks from several senders: each is a client of its own to what it reaches (the node answers
 * through its default route, the host). Gone with the link.
 */
export function clientAddress(net: NodeNetwork, n: number): string {
  if (!Number.isInteger(n) || n < 1 || n > 100) throw new Error(`client address ${n}: 1 to 100`);
  const address = `10.244.${net.index}.${100 + n}`;
  const present = ip(['-o', 'addr', 'show', 'dev', net.hostLink, 'to', `${address}/32`]).output !== '';
  if (!present) must(['addr', 'add', `${address}/32`, 'dev', net.hostLink]);
  return address;
}

/** Throws saying what to do when this process cannot create network namespaces. */
export function checkNetworkPrerequisites(): void {
  if (process.getuid?.() !== 0) {
    throw new Error(
      'the real control plane needs root: its Node lives in a network namespace of its own (run as root, e.g. with sudo)',
    );
  }
  const probe = spawnSync('ip', ['-V'], { encoding: 'utf8' });
  if (probe.error) {
    throw new Error(
      `the real control plane needs the ip command to create its network namespace: install Debian's iproute2 (apt-get install iproute2); ${probe.error.message}`,
    );
  }
  const nft = spawnSync('nft', ['--version'], { encoding: 'utf8' });
  if (nft.error) {
    throw new Error(
      `the real control plane needs nft, which routes its LoadBalancer Services' addresses: install Debian's nftables (apt-get install nftables); ${nft.error.message}`,
    );
  }
}

/** Runs `ip ARGS…` (synchronously: the exit hook needs it), with its output and whether it succeeded. */
export function ip(args: string[]): { ok: boolean; output: string } {
  const result = spawnSync('ip', args, { encoding: 'utf8', timeout: 10_000 });
  return { ok: result.status === 0, output: `${result.stdout ?? ''}${result.stderr ?? ''}`.trim() };
}

/** Runs `ip ARGS…`; throws with its output when it fails. */
export function must(args: string[]): void {
  const result = ip(args);
  if (!result.ok) throw new Error(`ip ${args.join(' ')} failed: ${result.output}`);
}

/** Creates the namespace, the veth pair and the routes, after removing any left from before. */
export function createNodeNetwork(net: NodeNetwork): void {
  removeNodeNetwork(net);
  const inside = ['-n', net.netns];
  try {
    must(['netns', 'add', net.netns]);
    must(['link', 'add', net.hostLink, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', net.netns]);
    must(['addr', 'add', `${net.hostIP}/30`, 'dev', net.hostLink]);
    must(['link', 'set', net.hostLink, 'up']);
    must([...inside, 'link', 'set', 'lo', 'up']);
    must([...inside, 'addr', 'add', `${net.nodeIP}/30`, 'dev', 'eth0']);
    must([...inside, 'link', 'set', 'eth0', 'up']);
    must([...inside, 'route', 'add', 'default', 'via', net.hostIP]);
    // Every Service address is local: the Service proxy and the cluster DNS bind theirs.
    must([...inside, 'route', 'add', 'local', SERVICE_CIDR, 'dev', 'lo']);
    must(['route', 'add', net.podCIDR, 'via', net.nodeIP]);
    must(['route', 'add', net.loadBalancerCIDR, 'via', net.nodeIP]);
    // The node routes between its pods' namespaces and to the host, as a CNI plugin sets it up.
    must(['netns', 'exec', net.netns, 'sh', '-c', 'echo 1 > /proc/sys/net/ipv4/ip_forward']);
  } catch (error) {
    removeNodeNetwork(net);
    throw error;
  }
}

/**
 * What on this host, other than an earlier tgr-<i> of ours, already uses the index's addresses
 * (another tool's namespace, say); undefined when nothing does.
 */
export function addressesUsedElsewhere(net: NodeNetwork): string | undefined {
  const addresses = ip(['-o', 'addr', 'show', 'to', `${net.hostIP}/30`]).output;
  const routes = [net.podCIDR, net.loadBalancerCIDR].map((cidr) => ip(['route', 'show', cidr]).output);
  return [...addresses.split('\n'), ...routes.flatMap((lines) => lines.split('\n'))].find(
    (line) => line !== '' && !line.split(/\s+/).includes(net.hostLink),
  );
}

const hasNetns = (net: NodeNetwork) =>
  ip(['netns', 'list'])
    .output.split('\n')
    .some((line) => line.split(' ')[0] === net.netns);
const hasLink = (net: NodeNetwork) => ip(['link', 'show', net.hostLink]).ok;
const hasRoute = (cidr: string) => ip(['route', 'show', cidr]).output !== '';

/** The network namespaces the node agent made for its pods (node-agent/pod-network.ts names them). */
export function podNamespaces(net: NodeNetwork): string[] {
  return ip(['netns', 'list'])
    .output.split('\n')
    .map((line) => line.split(' ')[0] ?? '')
    .filter((name) => new RegExp(`^tg${net.index}p\\d+$`).test(name));
}

function killInside(netns: string): void {
  const listed = ip(['netns', 'pids', netns]);
  for (const pid of listed.ok ? listed.output.split('\n') : []) {
    try {
      process.kill(Number.parseInt(pid, 10), 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

/**
 * Kills what still runs inside the node's namespace and its pods' namespaces, then removes those,
 * the route, the veth pair and the node's namespace; each may already be gone. Synchronous, so that
 * the process 'exit' hook can call it.
 */
export function removeNodeNetwork(net: NodeNetwork): void {
  for (const pod of podNamespaces(net)) {
    killInside(pod);
    ip(['netns', 'del', pod]);
  }
  killInside(net.netns);
  for (const cidr of [net.podCIDR, net.loadBalancerCIDR]) if (hasRoute(cidr)) ip(['route', 'del', cidr]);
  if (hasLink(net)) ip(['link', 'del', net.hostLink]);
  if (hasNetns(net)) must(['netns', 'del', net.netns]);
}

/** What of the network is still there, for tests that check nothing was left behind. */
export function nodeNetworkLeftovers(net: NodeNetwork): string[] {
  return [
    hasNetns(net) ? `netns ${net.netns}` : '',
    ...podNamespaces(net).map((name) => `netns ${name}`),
    hasLink(net) ? `link ${net.hostLink}` : '',
    hasRoute(net.podCIDR) ? `route ${net.podCIDR}` : '',
    hasRoute(net.loadBalancerCIDR) ? `route ${net.loadBalancerCIDR}` : '',
  ].filter((left) => left !== '');
}
