/** `l` in the status view: follow the logs of a route's backend pods, stern-style, until interrupted. */
import type { KubeClient } from '../kube/client.ts';
import { readyPodsBehind } from './backend-pods.ts';

export async function tailBackendLogs(
  kube: KubeClient,
  service: { name: string; namespace: string },
  what: string,
  onLine: (pod: string, line: string) => void,
  signal: AbortSignal,
): Promise<void> {
  const pods = await readyPodsBehind(kube, service, what);
  await Promise.all(
    pods.map(async (pod) => {
      const lines = await kube.openPodLog(
        { name: pod.metadata.name, namespace: service.namespace },
        { follow: true, sinceSeconds: 300 },
        signal,
      );
      for await (const line of lines) onLine(pod.metadata.name, line);
    }),
  );
}
