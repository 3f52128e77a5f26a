import { createServer, type Server } from 'node:net';
import type { KubeClient } from './client.ts';

export interface ForwardedPort {
  /** The local port on 127.0.0.1 that reaches the pod's port. */
  localPort: number;
  close(): Promise<void>;
}

/**
 * `kubectl port-forward` in process: a listener on 127.0.0.1 whose every connection is tunnelled to
 * the pod through the API server (client-node's WebSocket port-forward protocol).
 */
export async function forwardPodPort(
  kube: KubeClient,
  pod: { name: string; namespace: string },
  port: number,
): Promise<ForwardedPort> {
  const [{ PortForward }, kubeConfig] = await Promise.all([
    import('@kubernetes/client-node'),
    kube.target.clientNodeConfig(),
  ]);
  const forward = new PortForward(kubeConfig);
  const server: Server = createServer((socket) => {
    forward.portForward(pod.namespace, pod.name, [port], socket, null, socket).catch((error: unknown) => {
      socket.destroy(error instanceof Error ? error : new Error(String(error)));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const localPort = typeof address === 'object' && address ? address.port : 0;
  return {
    localPort,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
      }),
  };
}
