/**
 * A container's environment as the kubelet makes it: the image's ENV, then the Service variables
 * (the `kubernetes` Service's always, the namespace's others unless enableServiceLinks is false),
 * then envFrom, then env in order, with `$(VAR)` expanded from what is defined before it.
 */
import type { KubeObject } from '../../support/control-plane/types.ts';
import { fieldValue, type PodPlace, resourceValue } from './downward.ts';

interface KeyRef {
  name: string;
  key: string;
  optional?: boolean;
}
export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    fieldRef?: { fieldPath: string };
    resourceFieldRef?: { containerName?: string; resource: string; divisor?: string };
    configMapKeyRef?: KeyRef;
    secretKeyRef?: KeyRef;
  };
}
export interface EnvFrom {
  prefix?: string;
  configMapRef?: { name: string; optional?: boolean };
  secretRef?: { name: string; optional?: boolean };
}
export interface EnvContainer {
  name: string;
  env?: EnvVar[];
  envFrom?: EnvFrom[];
  resources?: { limits?: Record<string, string>; requests?: Record<string, string> };
}

/** Reads a ConfigMap or Secret of the pod's namespace (undefined: it does not exist and is optional). */
export type ObjectReader = (
  kind: 'configmaps' | 'secrets',
  name: string,
  optional: boolean,
) => Promise<KubeObject | undefined>;

interface ServiceSpec {
  clusterIP?: string;
  ports?: Array<{ name?: string; port: number; protocol?: string }>;
}

/** The Docker-link style variables the kubelet makes for one Service. */
export function serviceVariables(service: KubeObject): Record<string, string> {
  const spec = (service.spec ?? {}) as ServiceSpec;
  const ip = spec.clusterIP;
  const first = spec.ports?.[0];
  if (!ip || ip === 'None' || !first) return {};
  const prefix = service.metadata.name.toUpperCase().replace(/-/g, '_');
  const url = (port: { port: number; protocol?: string }) =>
    `${(port.protocol ?? 'TCP').toLowerCase()}://${ip}:${port.port}`;
  const variables: Record<string, string> = {
    [`${prefix}_SERVICE_HOST`]: ip,
    [`${prefix}_SERVICE_PORT`]: String(first.port),
    [`${prefix}_PORT`]: url(first),
  };
  for (const port of spec.ports ?? []) {
    const protocol = port.protocol ?? 'TCP';
    if (port.name)
      variables[`${prefix}_SERVICE_PORT_${port.name.toUpperCase().replace(/-/g, '_')}`] = String(port.port);
    const base = `${prefix}_PORT_${port.port}_${protocol}`;
    Object.assign(variables, {
      [base]: url(port),
      [`${base}_PROTO`]: protocol.toLowerCase(),
      [`${base}_PORT`]: String(port.port),
      [`${base}_ADDR`]: ip,
    });
  }
  return variables;
}

/** Expands $(NAME) from `defined`; $$ is a literal $, and unknown references stay as written. */
export function expand(text: string, defined: Record<string, string>): string {
  return text.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (whole, name: string | undefined) =>
    name === undefined ? '$' : (defined[name] ?? whole),
  );
}

function dataOf(object: KubeObject | undefined, secret: boolean): Record<string, string> {
  const data = (object as { data?: Record<string, string> } | undefined)?.data ?? {};
  return Object.fromEntries(
    Object.entries(data).map(([key, value]) => [
      key,
      secret ? Buffer.from(value, 'base64').toString('utf8') : value,
    ]),
  );
}

export async function containerEnv(options: {
  pod: KubeObject;
  container: EnvContainer;
  image: string[];
  services: KubeObject[];
  place: PodPlace;
  read: ObjectReader;
}): Promise<string[]> {
  const { pod, container, place, read } = options;
  const env: Record<string, string> = {};
  for (const entry of options.image) {
    const at = entry.indexOf('=');
    env[entry.slice(0, at)] = entry.slice(at + 1);
  }
  env.HOSTNAME = pod.metadata.name;
  const links = (pod.spec as { enableServiceLinks?: boolean }).enableServiceLinks !== false;
  const namespace = pod.metadata.namespace ?? 'default';
  for (const service of options.services) {
    const master = service.metadata.namespace === 'default' && service.metadata.name === 'kubernetes';
    if (master || (links && service.metadata.namespace === namespace))
      Object.assign(env, serviceVariables(service));
  }
  for (const from of container.envFrom ?? []) {
    const ref = from.configMapRef ?? from.secretRef;
    if (!ref) continue;
    const object = await read(from.configMapRef ? 'configmaps' : 'secrets', ref.name, ref.optional ?? false);
    for (const [key, value] of Object.entries(dataOf(object, Boolean(from.secretRef))))
      env[`${from.prefix ?? ''}${key}`] = value;
  }
  for (const variable of container.env ?? []) {
    const from = variable.valueFrom;
    if (!from) {
      env[variable.name] = expand(variable.value ?? '', env);
      continue;
    }
    if (from.fieldRef) env[variable.name] = fieldValue(pod, from.fieldRef.fieldPath, place);
    else if (from.resourceFieldRef)
      env[variable.name] = resourceValue(
        container,
        from.resourceFieldRef.resource,
        from.resourceFieldRef.divisor,
      );
    else {
      const ref = from.configMapKeyRef ?? from.secretKeyRef;
      if (!ref) continue;
      const secret = Boolean(from.secretKeyRef);
      const object = await read(secret ? 'secrets' : 'configmaps', ref.name, ref.optional ?? false);
      const value = dataOf(object, secret)[ref.key];
      if (value !== undefined) env[variable.name] = value;
      else if (!ref.optional)
        throw new Error(
          `couldn't find key ${ref.key} in ${secret ? 'Secret' : 'ConfigMap'} ${namespace}/${ref.name}`,
        );
    }
  }
  return Object.entries(env).map(([name, value]) => `${name}=${value}`);
}
