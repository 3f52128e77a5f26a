/** The defaulting the real API server does for the kinds whose defaults clients read back. */
import { isObject, type JsonObject } from './json.ts';
import type { KubeObject } from './types.ts';

export interface DefaultingContext {
  allocateClusterIP(): string;
}

type Defaulter = (object: JsonObject, context: DefaultingContext) => void;

const obj = (parent: JsonObject, key: string): JsonObject => {
  const value = parent[key];
  if (isObject(value)) return value;
  const created: JsonObject = {};
  parent[key] = created;
  return created;
};
const list = (parent: JsonObject, key: string): JsonObject[] =>
  Array.isArray(parent[key]) ? parent[key].filter(isObject) : [];

function podSpec(spec: JsonObject): void {
  spec.restartPolicy ??= 'Always';
  spec.terminationGracePeriodSeconds ??= 30;
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.schedulerName ??= 'default-scheduler';
  for (const container of [...list(spec, 'containers'), ...list(spec, 'initContainers')]) {
    const image = String(container.image ?? '');
    const tag = image.includes('@') ? 'digest' : image.split('/').at(-1)?.split(':')[1];
    container.imagePullPolicy ??= !tag || tag === 'latest' ? 'Always' : 'IfNotPresent';
    container.terminationMessagePath ??= '/dev/termination-log';
    container.terminationMessagePolicy ??= 'File';
    for (const port of list(container, 'ports')) port.protocol ??= 'TCP';
  }
}

const DEFAULTERS: Record<string, Defaulter> = {
  Namespace: (ns) => {
    const metadata = obj(ns, 'metadata');
    obj(metadata, 'labels')['kubernetes.io/metadata.name'] = String(metadata.name);
    obj(ns, 'spec').finalizers ??= ['kubernetes'];
    obj(ns, 'status').phase ??= 'Active';
  },
  Secret: (secret) => {
    secret.type ??= 'Opaque';
  },
  Service: (svc, context) => {
    const spec = obj(svc, 'spec');
    spec.type ??= 'ClusterIP';
    spec.sessionAffinity ??= 'None';
    if (spec.type !== 'ExternalName') {
      spec.clusterIP ??= context.allocateClusterIP();
      spec.clusterIPs ??= [spec.clusterIP];
      spec.ipFamilies ??= ['IPv4'];
      spec.ipFamilyPolicy ??= 'SingleStack';
      spec.internalTrafficPolicy ??= 'Cluster';
    }
    for (const port of list(spec, 'ports')) {
      port.protocol ??= 'TCP';
      port.targetPort ??= port.port ?? null;
    }
    obj(obj(svc, 'status'), 'loadBalancer');
  },
  Deployment: (deploy) => {
    const spec = obj(deploy, 'spec');
    spec.replicas ??= 1;
    spec.revisionHistoryLimit ??= 10;
    spec.progressDeadlineSeconds ??= 600;
    const strategy = obj(spec, 'strategy');
    strategy.type ??= 'RollingUpdate';
    if (strategy.type === 'RollingUpdate') {
      const rolling = obj(strategy, 'rollingUpdate');
      rolling.maxSurge ??= '25%';
      rolling.maxUnavailable ??= '25%';
    }
    podSpec(obj(obj(spec, 'template'), 'spec'));
  },
  ReplicaSet: (rs) => {
    const spec = obj(rs, 'spec');
    spec.replicas ??= 1;
    podSpec(obj(obj(spec, 'template'), 'spec'));
  },
  Pod: (pod) => podSpec(obj(pod, 'spec')),
};

export function applyDefaults(object: KubeObject, context: DefaultingContext): void {
  DEFAULTERS[object.kind]?.(object as unknown as JsonObject, context);
}
