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
