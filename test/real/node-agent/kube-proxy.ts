/**
 * kube-proxy in its nftables mode, and the load balancer of a bare-metal cluster (MetalLB or k3s's
 * ServiceLB): traffic to a Service's ClusterIP and port, and to a LoadBalancer Service's address, is
 * DNATed in the node's network namespace to the Service's ready endpoints, so the endpoint sees who
 * sent it (a pod reaching itself through its own Service is masqueraded, or its answer would not come
 * back the same way). A ClusterIP or port with no endpoint is refused: nothing listens on the node's
 * Service range. Each LoadBalancer Service gets an address of the node's load balancer range, written
 * to its status.loadBalancer by the cloud-provider service controller's own ServiceAccount.
 */
import { spawnSync } from 'node:child_process';
import type { Store } from '../../support/control-plane/store.ts';
import type { KubeObject } from '../../support/control-plane/types.ts';
import { type ApiClient, isStatus } from './api-client.ts';
import type { ServiceEndpoints } from '../../support/control-plane/data-plane/proxy.ts';

const TABLE = 'tg-kube-proxy';

interface ServiceSpec {
  type?: string;
  clusterIP?: string;
  ports?: Array<{ name?: string; port: number; protocol?: string; targetPort?: number | string }>;
}

export interface ProxiedPort {
  /** A ClusterIP or a load balancer address. */
  address: string;
  port: number;
  targets: Array<{ ip: string; port: number }>;
}

/** The nftables table for these ports, replacing the one before in one transaction. */
export function serviceRules(loadBalancerCIDR: string, ports: ProxiedPort[]): string {
  const served = ports.filter((p) => p.targets.length > 0);
  const endpoints = [...new Set(served.flatMap((p) => p.targets.map((t) => t.ip)))];
  const rules = served.map((p) => {
    const to =
      p.targets.length === 1
        ? `${p.targets[0]?.ip}:${p.targets[0]?.port}`
        : `numgen inc mod ${p.targets.length} map { ${p.targets.map((t, i) => `${i} : ${t.ip} . ${t.port}`).join(', ')} }`;
    return `    ip daddr ${p.address} tcp dport ${p.port} dnat ip to ${to}`;
  });
  return [
    `table ip ${TABLE}`,
    `delete table ip ${TABLE}`,
    `table ip ${TABLE} {`,
    '  chain services {',
    ...rules,
    '  }',
    '  chain prerouting {',
    '    type nat hook prerouting priority dstnat; policy accept;',
    '    jump services',
    '  }',
    '  chain output {',
    '    type nat hook output priority -100; policy accept;',
    '    jump services',
    '  }',
    '  chain postrouting {',
    '    type nat hook postrouting priority srcnat; policy accept;',
    // Hairpin: a pod that reached itself through a Service gets the answer through the node too.
    ...endpoints.map((ip) => `    ip saddr ${ip} ip daddr ${ip} masquerade`),
    '  }',
    '  chain forward {',
    '    type filter hook forward priority filter; policy accept;',
    // A load balancer address or port with no endpoint: refused at once, as kube-proxy does.
    `    ip daddr ${loadBalancerCIDR} meta l4proto tcp reject with tcp reset`,
    '  }',
    '}',
    '',
  ].join('\n');
}

export class KubeProxy {
  private readonly prefix: string;
  /** "namespace/name" -> address. */
  private readonly assigned = new Map<string, string>();
  private applied = '';
  /** What was last written to each Service's status, until the watch brings it back. */
  private readonly written = new Map<string, string>();
  private readonly unsubscribe: () => void;
  private writes: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: Store,
    private readonly endpoints: ServiceEndpoints,
    /** The service controller's client: it may write services/status. */
    private readonly client: ApiClient,
    private readonly cidr: string,
    private readonly onError: (error: unknown) => void,
  ) {
    const match = /^(\d+\.\d+\.\d+)\.0\/24$/.exec(cidr);
    if (!match?.[1]) throw new Error(`node agent: load balancer range ${cidr} is not an IPv4 /24`);
    this.prefix = match[1];
    for (const svc of store.list('services')) this.keep(svc);
    this.unsubscribe = store.subscribe((event) => {
      if (event.resource === 'services' || event.resource === 'endpointslices') this.sync();
    });
    this.sync();
  }

  close(): void {
    this.unsubscribe();
    spawnSync('nft', ['delete', 'table', 'ip', TABLE], { encoding: 'utf8' });
  }

  /** An address the Service had before (the agent restarted): kept, as a load balancer would. */
  private keep(svc: KubeObject): void {
    const ip = (svc.status as { loadBalancer?: { ingress?: Array<{ ip?: string }> } } | undefined)
      ?.loadBalancer?.ingress?.[0]?.ip;
    if (ip?.startsWith(`${this.prefix}.`)) this.assigned.set(keyOf(svc), ip);
  }

  private sync(): void {
    const all = this.store.list('services');
    const services = all.filter((svc) => (svc.spec as ServiceSpec).type === 'LoadBalancer');
    const wanted = new Set(services.map(keyOf));
    for (const key of this.assigned.keys()) {
      if (wanted.has(key)) continue;
      this.assigned.delete(key);
      this.written.delete(key);
    }
    const ports: ProxiedPort[] = [];
    for (const svc of all) {
      const spec = svc.spec as ServiceSpec;
      const addresses = [
        ...(spec.clusterIP && spec.clusterIP !== 'None' ? [spec.clusterIP] : []),
        ...(spec.type === 'LoadBalancer' ? [this.addressOf(svc)].filter((a) => a !== undefined) : []),
      ];
      for (const port of spec.ports ?? []) {
        if ((port.protocol ?? 'TCP') !== 'TCP') continue;
        const targets = this.endpoints.targets(svc, port);
        for (const address of addresses) ports.push({ address, port: port.port, targets });
      }
    }
    const rules = serviceRules(this.cidr, ports);
    if (rules === this.applied) return;
    const result = spawnSync('nft', ['-f', '-'], { input: rules, encoding: 'utf8' });
    if (result.status === 0) this.applied = rules;
    else this.onError(new Error(`nft -f (Service rules) failed: ${result.stderr || result.error?.message}`));
  }

  /** The Service's address: assigned (and written to its status) on first sight. */
  private addressOf(svc: KubeObject): string | undefined {
    const key = keyOf(svc);
    let address = this.assigned.get(key);
    if (!address) {
      const used = new Set(this.assigned.values());
      for (let host = 1; host <= 254 && !address; host++) {
        if (!used.has(`${this.prefix}.${host}`)) address = `${this.prefix}.${host}`;
      }
      if (!address) {
        this.onError(new Error(`no load balancer address left in ${this.cidr} for service ${key}`));
        return undefined;
      }
      this.assigned.set(key, address);
    }
    const current = (svc.status as { loadBalancer?: { ingress?: Array<{ ip?: string }> } } | undefined)
      ?.loadBalancer?.ingress;
    if (current?.length === 1 && current[0]?.ip === address) this.written.delete(key);
    else if (this.written.get(key) !== address) {
      this.written.set(key, address);
      this.writeStatus(svc, address);
    }
    return address;
  }

  private writeStatus(svc: KubeObject, address: string): void {
    const path = `/api/v1/namespaces/${svc.metadata.namespace}/services/${svc.metadata.name}/status`;
    this.writes = this.writes.then(async () => {
      try {
        await this.client.mergePatch(path, {
          status: { loadBalancer: { ingress: [{ ip: address, ipMode: 'VIP' }] } },
        });
      } catch (error) {
        if (!isStatus(error, 404)) this.onError(error);
      }
    });
  }
}

const keyOf = (svc: KubeObject) => `${svc.metadata.namespace ?? ''}/${svc.metadata.name}`;
