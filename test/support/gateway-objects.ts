import { DELIVERY_LOG_BEGIN, DELIVERY_LOG_END } from '../../src/haproxy/delivery-log-block.ts';
import type { KubeClient } from '../../src/kube/client.ts';
import type { ControlPlane, KubeObject } from './control-plane/index.ts';

/** The objects the bundle holds and install applies, in order, as `Kind/name`. */
export const BUNDLED_GATEWAY_OBJECTS = [
  'Namespace/trigger-gateway',
  'ServiceAccount/trigger-gateway',
  'ConfigMap/trigger-gateway-haproxy',
  'Deployment/trigger-gateway',
  'Service/trigger-gateway',
  'Service/trigger-gateway-metrics',
  'PodDisruptionBudget/trigger-gateway',
  'Ingress/trigger-gateway',
];

export function kindAndName(object: { kind: string; metadata: { name: string } }): string {
  return `${object.kind}/${object.metadata.name}`;
}

/** `cfg` as a gateway from before the delivery log existed had it: the block cut out. */
export function withoutDeliveryLog(cfg: string): string {
  return cfg.replace(new RegExp(`[ \\t]*${DELIVERY_LOG_BEGIN}\\n[^]*?${DELIVERY_LOG_END}\\n`), '');
}

/** Takes the delivery log block out of the bundled gateway's live haproxy.cfg on the local control plane. */
export function removeDeliveryLog(plane: ControlPlane, namespace = 'trigger-gateway'): void {
  const configMap = plane.get('configmaps', 'trigger-gateway-haproxy', namespace) as KubeObject & {
    data: Record<string, string>;
  };
  plane.put({
    ...configMap,
    data: { 'haproxy.cfg': withoutDeliveryLog(configMap.data['haproxy.cfg'] ?? '') },
  });
}

/** The gateway's ConfigMap, read through the API (for the tables of test/clusters/). */
export interface GatewayConfigMap extends KubeObject {
  data: Record<string, string>;
}

/** The gateway's Deployment, read through the API. */
export interface GatewayDeployment extends KubeObject {
  metadata: KubeObject['metadata'] & { generation?: number };
  spec: { template: { metadata: { annotations?: Record<string, string> } } };
  status?: { readyReplicas?: number; updatedReplicas?: number; availableReplicas?: number };
}

/** Readers of the installed gateway's ConfigMap and Deployment in `namespace`; both must exist. */
export function gatewayReaders(kube: () => KubeClient, namespace: string) {
  return {
    configMap: async () =>
      (await kube().read<GatewayConfigMap>({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        name: 'trigger-gateway-haproxy',
        namespace,
      }))!,
    deployment: async () =>
      (await kube().read<GatewayDeployment>({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        name: 'trigger-gateway',
        namespace,
      }))!,
  };
}
