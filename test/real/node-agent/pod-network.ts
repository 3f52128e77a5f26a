/**
 * The node's addresses, as a CNI plugin and kube-proxy would hand them out inside the node's network
 * namespace: pod IPs from the node's pod CIDR (a /24 that is local to the namespace, so any of its
 * addresses can be bound), and for each Service a loopback address of the namespace that its proxy
 * listens on (what the cluster DNS answers).
 */
import type { Addresses } from '../../support/control-plane/data-plane/addresses.ts';

export class PodNetwork implements Addresses {
  private readonly prefix: string;
  private nextPod = 2;
  private nextService = 0;
  private readonly services = new Map<string, string>();

  /** `podCIDR` must be an IPv4 /24, e.g. 10.245.3.0/24. */
  constructor(podCIDR: string) {
    const match = /^(\d+\.\d+\.\d+)\.0\/24$/.exec(podCIDR);
    if (!match?.[1]) throw new Error(`node agent: pod CIDR ${podCIDR} is not an IPv4 /24`);
    this.prefix = match[1];
  }

  pod(): string {
    // .1 is left for a gateway; pod IPs are not reused while the agent runs, as in a fresh IPAM range.
    if (this.nextPod > 254) throw new Error(`node agent: no pod IP left in ${this.prefix}.0/24`);
    return `${this.prefix}.${this.nextPod++}`;
  }

  service(namespace: string, name: string): string {
    const key = `${namespace}/${name}`;
    let address = this.services.get(key);
    if (!address) {
      const n = this.nextService++;
      address = `127.1.${Math.floor(n / 254)}.${(n % 254) + 1}`;
      this.services.set(key, address);
    }
    return address;
  }

  close(): void {
    this.services.clear();
  }
}
