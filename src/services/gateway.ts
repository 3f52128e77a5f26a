import { ExitCode, GatewayError } from '../errors.ts';
import type { KubeClient } from '../kube/client.ts';
import type { ConfigMapObject } from '../kube/read-modify-write.ts';
import { GATEWAY_NAME } from '../haproxy/gateway-config.ts';
import { CONFIG_MAP_NAME } from '../manifests/render.ts';
import type { Progress } from '../ui/progress.ts';
import { OWNED_SELECTOR } from './objects.ts';

/** Where the gateway a command acts on lives. */
export interface GatewayLocation {
  namespace: string;
  configMap: string;
  deployment: string;
  /** Found by looking through every namespace, because the default namespace had none. */
  discovered: boolean;
  /** A gateway set up by hand before this tool, under the names its original manifests used. */
  handMade: boolean;
}

/** The names the hand-written gateway manifests used before this tool existed. */
export const HAND_MADE_CONFIG_MAP = 'haproxy-config';
export const HAND_MADE_DEPLOYMENT = 'gateway';

function at(namespace: string, discovered: boolean): GatewayLocation {
  return { namespace, configMap: CONFIG_MAP_NAME, deployment: GATEWAY_NAME, discovered, handMade: false };
}

export function gatewayNotInstalled(namespace: string): GatewayError {
  return new GatewayError(`no trigger-gateway is installed in namespace ${namespace}`, {
    why: `there is no configmap/${CONFIG_MAP_NAME} in that namespace`,
    next: [
      `kubectl trigger-gateway install -n ${namespace}`,
      `find installed gateways: kubectl get configmaps -A -l ${OWNED_SELECTOR} --field-selector metadata.name=${CONFIG_MAP_NAME}`,
    ],
    exitCode: ExitCode.clusterState,
  });
}

/**
 * With -n, the gateway must be there: ours, or one set up by hand from the original manifests
 * (configmap/haproxy-config, deployment/gateway). Without -n, the context's namespace (or
 * trigger-gateway) is tried first, then every namespace: most clusters have one gateway, and users
 * should not have to remember where it went.
 */
export async function locateGateway(kube: KubeClient): Promise<GatewayLocation> {
  const namespace = kube.namespace;
  const here = await kube.read<ConfigMapObject>({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    name: CONFIG_MAP_NAME,
    namespace,
  });
  if (here) return at(namespace, false);
  const handMade = await kube.read<ConfigMapObject>({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    name: HAND_MADE_CONFIG_MAP,
    namespace,
  });
  if (handMade?.data?.['haproxy.cfg'] !== undefined) {
    return {
      namespace,
      configMap: HAND_MADE_CONFIG_MAP,
      deployment: HAND_MADE_DEPLOYMENT,
      discovered: false,
      handMade: true,
    };
  }
  if (kube.target.namespaceSource === 'flag') throw gatewayNotInstalled(namespace);
  const found = (await kube.list('v1', 'ConfigMap', { labelSelector: OWNED_SELECTOR })).filter(
    (configMap) => configMap.metadata.name === CONFIG_MAP_NAME && configMap.metadata.namespace,
  );
  const namespaces = found.map((configMap) => configMap.metadata.namespace ?? '');
  if (namespaces.length === 1 && namespaces[0]) return at(namespaces[0], true);
  if (namespaces.length > 1) {
    throw new GatewayError(`trigger-gateway is installed in ${namespaces.length} namespaces`, {
      why: `found it in ${namespaces.join(', ')}, and not in ${namespace}`,
      next: namespaces.map((candidate) => `pass -n ${candidate}`),
      exitCode: ExitCode.usage,
    });
  }
  throw gatewayNotInstalled(namespace);
}

/** locateGateway, saying on the progress stream when the gateway is not where the user might think. */
export async function locateGatewayAndSay(kube: KubeClient, progress: Progress): Promise<GatewayLocation> {
  const location = await locateGateway(kube);
  if (location.discovered) progress.warn(`using the gateway in namespace ${location.namespace}`);
  if (location.handMade) {
    progress.warn(
      `using the hand-made gateway: configmap/${location.configMap}, deployment/${location.deployment}`,
    );
  }
  return location;
}
