/**
 * The node's pod network, as a point-to-point CNI plugin (kindnet's, Calico's) makes it inside the
 * node's network namespace: each pod gets a network namespace of its own, joined to the node by a
 * veth pair, an IP from the node's pod CIDR routed to that veth (and released when the pod is gone),
 * and a default route via the node. Services are reached at their ClusterIPs, which are local
 * addresses of the node's namespace (see network.ts), where the Service proxy listens.
 */
import type { Addresses } from '../../support/control-plane/data-plane/addresses.ts';
import { ip, must } from '../network.ts';

export interface PodSandbox {
  /** The pod's network namespace, for `ip netns exec`. */
  netns: string;
  ip: string;
}

/** The prefix of the pod namespaces of node `index`: names are host-wide, and several nodes may run. */
export const podNetnsPrefix = (index: number) => `tg${index}p`;

export class PodNetwork implements Addresses {
  private readonly prefix: string;
  private readonly inUse = new Set<number>();
  private next = 2;

  /**
   * `podCIDR` must be an IPv4 /24, e.g. 10.245.3.0/24; `clusterIPOf` reads a Service's ClusterIP
   * (the node agent's mirror of the Services).
   */
  constructor(
    podCIDR: string,
    private readonly node: { index: number; ip: string },
    private readonly clusterIPOf: (namespace: string, name: string) => string | undefined,
  ) {
    const match = /^(\d+\.\d+\.\d+)\.0\/24$/.exec(podCIDR);
    if (!match?.[1]) throw new Error(`node agent: pod CIDR ${podCIDR} is not an IPv4 /24`);
    this.prefix = match[1];
  }

  /** A free pod IP; .1 is left out, and freed ones are handed out again only after the others. */
  pod(): string {
    for (let tried = 0; tried < 253; tried++) {
      const host = this.next;
      this.next = this.next >= 254 ? 2 : this.next + 1;
      if (!this.inUse.has(host)) {
        this.inUse.add(host);
        return `${this.prefix}.${host}`;
      }
    }
    throw new Error(`node agent: no pod IP left in ${this.prefix}.0/24`);
  }

  release(address: string): void {
    this.inUse.delete(Number(address.split('.')[3]));
  }

  /** The Service's ClusterIP, where the Service proxy listens for it. */
  service(namespace: string, name: string): string {
    const address = this.clusterIPOf(namespace, name);
    if (!address) throw new Error(`node agent: service ${namespace}/${name} has no ClusterIP`);
    return address;
  }

  close(): void {
    this.inUse.clear();
  }

  /** Creates the pod's network namespace with its address, link and routes. */
  createSandbox(address: string): PodSandbox {
    const host = address.split('.')[3];
    const netns = `${podNetnsPrefix(this.node.index)}${host}`;
    const link = `tgv${host}`;
    const inside = ['-n', netns];
    this.removeSandbox({ netns, ip: address });
    try {
      must(['netns', 'add', netns]);
      must(['link', 'add', link, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns]);
      must(['link', 'set', link, 'up']);
      must(['route', 'add', `${address}/32`, 'dev', link]);
      must([...inside, 'link', 'set', 'lo', 'up']);
      must([...inside, 'addr', 'add', `${address}/32`, 'dev', 'eth0']);
      must([...inside, 'link', 'set', 'eth0', 'up']);
      // The node answers for its own address on every link (arp_ignore 0), so it is the gateway.
      must([...inside, 'route', 'add', this.node.ip, 'dev', 'eth0', 'scope', 'link']);
      must([...inside, 'route', 'add', 'default', 'via', this.node.ip, 'dev', 'eth0']);
      return { netns, ip: address };
    } catch (error) {
      this.removeSandbox({ netns, ip: address });
      throw error;
    }
  }

  /** Removes the namespace (and with it the veth pair and the route); each may already be gone. */
  removeSandbox(sandbox: PodSandbox): void {
    if (ip(['netns', 'pids', sandbox.netns]).ok) ip(['netns', 'del', sandbox.netns]);
    ip(['link', 'del', `tgv${sandbox.ip.split('.')[3]}`]);
  }
}
