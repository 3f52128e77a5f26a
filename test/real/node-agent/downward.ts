/**
 * What a pod may learn about itself, as the kubelet gives it through environment variables
 * (`valueFrom.fieldRef`, `resourceFieldRef`) and downwardAPI volumes.
 */
import type { KubeObject } from '../../support/control-plane/types.ts';

export interface PodPlace {
  podIP: string;
  nodeIP: string;
  nodeName: string;
}

const quoted = (map: Record<string, string> | undefined) =>
  Object.entries(map ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, value]) => `${key}=${JSON.stringify(value)}`)
    .join('\n');

/** A fieldRef's value; throws for a path the API would not have admitted either. */
export function fieldValue(pod: KubeObject, fieldPath: string, place: PodPlace): string {
  const spec = (pod.spec ?? {}) as { serviceAccountName?: string; nodeName?: string };
  const labelOrAnnotation = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(fieldPath);
  if (labelOrAnnotation) {
    const map = labelOrAnnotation[1] === 'labels' ? pod.metadata.labels : pod.metadata.annotations;
    return map?.[labelOrAnnotation[2] ?? ''] ?? '';
  }
  switch (fieldPath) {
    case 'metadata.name':
      return pod.metadata.name;
    case 'metadata.namespace':
      return pod.metadata.namespace ?? 'default';
    case 'metadata.uid':
      return String(pod.metadata.uid ?? '');
    case 'metadata.labels':
      return quoted(pod.metadata.labels);
    case 'metadata.annotations':
      return quoted(pod.metadata.annotations);
    case 'spec.nodeName':
      return spec.nodeName ?? place.nodeName;
    case 'spec.serviceAccountName':
      return spec.serviceAccountName ?? 'default';
    case 'status.podIP':
    case 'status.podIPs':
      return place.podIP;
    case 'status.hostIP':
    case 'status.hostIPs':
      return place.nodeIP;
    default:
      throw new Error(`unsupported fieldRef ${fieldPath}`);
  }
}

const UNITS: Record<string, number> = {
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  m: 1e-3,
};

/** A resource quantity (`256Mi`, `50m`, `2`) as a number of its base unit. */
export function quantity(text: string): number {
  const match = /^([0-9.]+)([a-zA-Z]*)$/.exec(text.trim());
  const unit = match ? UNITS[match[2] ?? ''] : undefined;
  if (!match || unit === undefined) throw new Error(`unsupported quantity ${text}`);
  return Number(match[1]) * unit;
}

/**
 * A resourceFieldRef's value: the container's limit (else, as the kubelet does, the node's
 * allocatable: here 2 CPUs and 8Gi) or request, in units of the divisor, rounded up.
 */
export function resourceValue(
  container: { resources?: { limits?: Record<string, string>; requests?: Record<string, string> } },
  resource: string,
  divisor = '1',
): string {
  const [kind, name = ''] = resource.split('.');
  const allocatable: Record<string, string> = { cpu: '2', memory: '8Gi', 'ephemeral-storage': '20Gi' };
  const set = kind === 'limits' ? container.resources?.limits : container.resources?.requests;
  const value = set?.[name] ?? (kind === 'limits' ? allocatable[name] : '0');
  if (value === undefined) throw new Error(`unsupported resourceFieldRef ${resource}`);
  return String(Math.ceil(quantity(value) / quantity(divisor)));
}
