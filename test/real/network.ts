/**
 * The Node's network: a network namespace `tgr-<i>` joined to the host by a veth pair. The host end
 * is 10.244.<i>.1/30 (the API server's advertise address), the namespace end `eth0` is
 * 10.244.<i>.2/30 (the Node's InternalIP), and every address of the pod range 10.245.<i>.0/24 is
 * local inside the namespace and routed there from the host. Tests only ever send traffic to
 * loopback or into this namespace.
 */
import { spawnSync } from 'node:child_process';

export interface NodeNetwork {
  index: number;
  netns: string;
  hostLink: string;
  hostIP: string;
  nodeIP: string;
  podCIDR: string;
}

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
  };
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
}

function ip(args: string[]): { ok: boolean; output: string } {
  const result = spawnSync('ip', args, { encoding: 'utf8', timeout: 10_000 });
  return { ok: result.status === 0, output: `${result.stdout ?? ''}${result.stderr ?? ''}`.trim() };
}

function must(args: string[]): void {
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
    // Every pod IP is an address of the namespace: pods bind theirs without an interface each.
    must([...inside, 'route', 'add', 'local', net.podCIDR, 'dev', 'lo']);
    must(['route', 'add', net.podCIDR, 'via', net.nodeIP]);
  } catch (error) {
    removeNodeNetwork(net);
    throw error;
  }
}

/** The pids of the processes running inside the namespace (none when it does not exist). */
export function processesInside(net: NodeNetwork): number[] {
  const result = ip(['netns', 'pids', net.netns]);
  if (!result.ok) return [];
  return result.output
    .split('\n')
    .map((line) => Number.parseInt(line, 10))
    .filter((pid) => Number.isInteger(pid));
}

/**
 * What on this host, other than an earlier tgr-<i> of ours, already uses the index's addresses
 * (another tool's namespace, say); undefined when nothing does.
 */
export function addressesUsedElsewhere(net: NodeNetwork): string | undefined {
  const addresses = ip(['-o', 'addr', 'show', 'to', `${net.hostIP}/30`]).output;
  const routes = ip(['route', 'show', net.podCIDR]).output;
  return [...addresses.split('\n'), ...routes.split('\n')].find(
    (line) => line !== '' && !line.split(/\s+/).includes(net.hostLink),
  );
}

const hasNetns = (net: NodeNetwork) =>
  ip(['netns', 'list'])
    .output.split('\n')
    .some((line) => line.split(' ')[0] === net.netns);
const hasLink = (net: NodeNetwork) => ip(['link', 'show', net.hostLink]).ok;
const hasRoute = (net: NodeNetwork) => ip(['route', 'show', net.podCIDR]).output !== '';

/**
 * Kills what still runs inside, then removes the route, the veth pair and the namespace; each may
 * already be gone. Synchronous, so that the process 'exit' hook can call it.
 */
export function removeNodeNetwork(net: NodeNetwork): void {
  for (const pid of processesInside(net)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  if (hasRoute(net)) ip(['route', 'del', net.podCIDR]);
  if (hasLink(net)) ip(['link', 'del', net.hostLink]);
  if (hasNetns(net)) must(['netns', 'del', net.netns]);
}

/** What of the network is still there, for tests that check nothing was left behind. */
export function nodeNetworkLeftovers(net: NodeNetwork): string[] {
  return [
    hasNetns(net) ? `netns ${net.netns}` : '',
    hasLink(net) ? `link ${net.hostLink}` : '',
    hasRoute(net) ? `route ${net.podCIDR}` : '',
  ].filter((left) => left !== '');
}
