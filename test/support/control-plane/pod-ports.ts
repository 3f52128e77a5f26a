/** A pod's container ports, and what a port name or a Service's targetPort means on it. */
import type { KubeObject } from './types.ts';

export interface ContainerPort {
  name?: string;
  containerPort: number;
  protocol?: string;
}

/** Every declared container port, in container then port order. */
export const containerPorts = (pod: KubeObject): ContainerPort[] =>
  ((pod.spec as { containers?: Array<{ ports?: ContainerPort[] }> } | undefined)?.containers ?? []).flatMap(
    (c) => c.ports ?? [],
  );

/** The port number a targetPort means on a given pod; undefined when the pod has no such named port. */
export function resolveTargetPort(pod: KubeObject, target: number | string | undefined, port: number) {
  if (target === undefined || target === '') return port;
  if (typeof target === 'number') return target;
  if (/^\d+$/.test(target)) return Number(target);
  return containerPorts(pod).find((p) => p.name === target)?.containerPort;
}
