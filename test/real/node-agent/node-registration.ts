/**
 * The Node object and its heartbeat, as the kubelet keeps them: registered with its InternalIP and
 * kubelet port, Ready, and renewed through its Lease in kube-node-lease (what the node lifecycle
 * controller reads), with the Ready condition's heartbeat refreshed now and then.
 */
import { hostname } from 'node:os';
import type { ApiClient } from './api-client.ts';
import { isStatus } from './api-client.ts';

const LEASE_SECONDS = 40;
const RENEW_MS = 10_000;
const STATUS_EVERY_RENEWALS = 6;
export const KUBELET_VERSION = 'v1.37.2';

export interface NodeSpec {
  name: string;
  ip: string;
  podCIDR: string;
  kubeletPort: number;
}

const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');
const microNow = () => new Date().toISOString().replace(/Z$/, '000Z');

function conditions(time: string) {
  const condition = (type: string, status: string, reason: string, message: string) => ({
    type,
    status,
    reason,
    message,
    lastHeartbeatTime: time,
    lastTransitionTime: time,
  });
  return [
    condition(
      'MemoryPressure',
      'False',
      'KubeletHasSufficientMemory',
      'kubelet has sufficient memory available',
    ),
    condition('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
    condition('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
    condition('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'),
  ];
}

function nodeStatus(spec: NodeSpec, time: string) {
  const resources = { cpu: '4', memory: '8Gi', pods: '110', 'ephemeral-storage': '20Gi' };
  return {
    capacity: resources,
    allocatable: resources,
    conditions: conditions(time),
    addresses: [
      { type: 'InternalIP', address: spec.ip },
      { type: 'Hostname', address: spec.name },
    ],
    daemonEndpoints: { kubeletEndpoint: { Port: spec.kubeletPort } },
    nodeInfo: {
      machineID: '',
      systemUUID: '',
      bootID: '',
      kernelVersion: '',
      osImage: `trigger-gateway node agent on ${hostname()}`,
      containerRuntimeVersion: 'local-process://1',
      kubeletVersion: KUBELET_VERSION,
      kubeProxyVersion: '',
      operatingSystem: 'linux',
      architecture: process.arch === 'arm64' ? 'arm64' : 'amd64',
    },
  };
}

export class NodeRegistration {
  private timer?: NodeJS.Timeout;
  private renewals = 0;

  constructor(
    private readonly client: ApiClient,
    private readonly spec: NodeSpec,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Creates (or takes over) the Node, marks it Ready, and starts the heartbeat. */
  async register(): Promise<void> {
    const { name } = this.spec;
    try {
      await this.client.create('/api/v1/nodes', {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: {
          name,
          labels: {
            'kubernetes.io/hostname': name,
            'kubernetes.io/os': 'linux',
            'kubernetes.io/arch': process.arch === 'arm64' ? 'arm64' : 'amd64',
          },
        },
        spec: { podCIDR: this.spec.podCIDR, podCIDRs: [this.spec.podCIDR] },
      });
    } catch (error) {
      if (!isStatus(error, 409)) throw error;
    }
    await this.postStatus();
    await this.renewLease();
    this.timer = setInterval(() => void this.beat(), RENEW_MS);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async beat(): Promise<void> {
    try {
      await this.renewLease();
      this.renewals += 1;
      if (this.renewals % STATUS_EVERY_RENEWALS === 0) await this.postStatus();
    } catch (error) {
      this.onError(error);
    }
  }

  private async postStatus(): Promise<void> {
    await this.client.mergePatch(`/api/v1/nodes/${this.spec.name}/status`, {
      status: nodeStatus(this.spec, now()),
    });
  }

  private async renewLease(): Promise<void> {
    const { name } = this.spec;
    const path = `/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${name}`;
    const spec = { holderIdentity: name, leaseDurationSeconds: LEASE_SECONDS, renewTime: microNow() };
    try {
      await this.client.mergePatch(path, { spec });
    } catch (error) {
      if (!isStatus(error, 404)) throw error;
      const node = await this.client.get<{ metadata: { uid: string } }>(`/api/v1/nodes/${name}`);
      await this.client.create('/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases', {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: {
          name,
          namespace: 'kube-node-lease',
          ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name, uid: node.metadata.uid }],
        },
        spec,
      });
    }
  }
}
