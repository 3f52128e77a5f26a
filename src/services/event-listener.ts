import { ExitCode, GatewayError } from '../errors.ts';
import type { ServiceRef } from '../haproxy/routes.ts';
import type { KubeClient } from '../kube/client.ts';
import type { KubeObject } from '../manifests/types.ts';

interface EventListenerObject extends KubeObject {
  status?: { configuration?: { generatedName?: string }; address?: { url?: string } };
}

interface ServiceObject extends KubeObject {
  spec?: { ports?: Array<{ name?: string; port: number }> };
}

/** Tekton names the listener's ports this way: plain HTTP, or HTTPS when the listener serves TLS. */
const HTTP_PORT_NAME = 'http-listener';
const HTTPS_PORT_NAME = 'https-listener';

export interface ListenerBackend {
  service: ServiceRef;
  tls: boolean;
}

/**
 * The Service an EventListener created and the port it really serves on, read from the cluster
 * rather than guessed: Tekton names it el-<name> (status.configuration.generatedName).
 */
export async function resolveEventListener(
  kube: KubeClient,
  name: string,
  namespace: string,
): Promise<ListenerBackend> {
  const listener = await kube.read<EventListenerObject>({
    apiVersion: 'triggers.tekton.dev/v1beta1',
    kind: 'EventListener',
    name,
    namespace,
  });
  if (!listener) {
    const others = await kube.list('triggers.tekton.dev/v1beta1', 'EventListener', { namespace });
    throw new GatewayError(`eventlistener ${name} not found in namespace ${namespace}`, {
      why:
        others.length > 0
          ? `that namespace has: ${others.map((other) => other.metadata.name).join(', ')}`
          : 'that namespace has no EventListeners (or Tekton Triggers is not installed)',
      next: [`kubectl get eventlisteners -A`, 'pass the listener namespace with --listener-namespace'],
      exitCode: ExitCode.clusterState,
    });
  }
  const serviceName = listener.status?.configuration?.generatedName ?? `el-${name}`;
  const service = await kube.read<ServiceObject>({
    apiVersion: 'v1',
    kind: 'Service',
    name: serviceName,
    namespace,
  });
  if (!service) {
    throw new GatewayError(`eventlistener ${namespace}/${name} has no Service yet`, {
      why: `service/${serviceName} does not exist; Tekton creates it once the listener is reconciled`,
      next: [
        `kubectl -n ${namespace} get eventlistener ${name} -o yaml`,
        'or route to the Service directly once it exists',
      ],
      exitCode: ExitCode.clusterState,
    });
  }
  const ports = service.spec?.ports ?? [];
  const https = ports.find((port) => port.name === HTTPS_PORT_NAME);
  const http =
    ports.find((port) => port.name === HTTP_PORT_NAME) ?? (ports.length === 1 ? ports[0] : undefined);
  const chosen = https ?? http;
  if (!chosen) {
    throw new GatewayError(`cannot tell which port of service/${serviceName} the listener serves on`, {
      why: `its ports are ${ports.map((port) => `${port.name ?? '(unnamed)'}:${port.port}`).join(', ') || 'none'}`,
      next: [`route to it directly: kubectl trigger-gateway route add PATH ${serviceName}.${namespace}:PORT`],
      exitCode: ExitCode.clusterState,
    });
  }
  return { service: { name: serviceName, namespace, port: chosen.port }, tls: chosen === https };
}
