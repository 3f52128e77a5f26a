/**
 * The kubelet's events about pods (BackOff, Unhealthy, Killing, Failed), as `kubectl describe pod`
 * and `kubectl get events` show them: a repeat of the same reason and message for the same pod
 * raises the count of the first event instead of adding one, as the kubelet's event correlator does.
 */
import { randomBytes } from 'node:crypto';
import type { KubeObject } from '../../support/control-plane/types.ts';
import type { ApiClient } from './api-client.ts';

export class PodEvents {
  private readonly seen = new Map<string, { name: string; count: number }>();
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly client: ApiClient,
    private readonly nodeName: string,
    private readonly onError: (error: unknown) => void,
  ) {}

  warn(pod: KubeObject, reason: string, message: string): void {
    this.record(pod, 'Warning', reason, message);
  }

  normal(pod: KubeObject, reason: string, message: string): void {
    this.record(pod, 'Normal', reason, message);
  }

  /** Forgets the pod's events (it is gone). */
  forget(uid: string): void {
    for (const key of this.seen.keys()) if (key.startsWith(`${uid}/`)) this.seen.delete(key);
  }

  private record(pod: KubeObject, type: string, reason: string, message: string): void {
    const namespace = pod.metadata.namespace ?? 'default';
    const key = `${String(pod.metadata.uid)}/${reason}/${message}`;
    const time = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const earlier = this.seen.get(key);
    if (earlier) earlier.count += 1;
    const name = earlier?.name ?? `${pod.metadata.name}.${randomBytes(8).toString('hex')}`;
    if (!earlier) this.seen.set(key, { name, count: 1 });
    const count = earlier?.count ?? 1;
    this.queue = this.queue.then(async () => {
      try {
        if (earlier) {
          await this.client.mergePatch(`/api/v1/namespaces/${namespace}/events/${name}`, {
            count,
            lastTimestamp: time,
          });
          return;
        }
        await this.client.create(`/api/v1/namespaces/${namespace}/events`, {
          apiVersion: 'v1',
          kind: 'Event',
          metadata: { name, namespace },
          involvedObject: {
            apiVersion: 'v1',
            kind: 'Pod',
            namespace,
            name: pod.metadata.name,
            uid: pod.metadata.uid,
          },
          type,
          reason,
          message,
          count: 1,
          firstTimestamp: time,
          lastTimestamp: time,
          source: { component: 'kubelet', host: this.nodeName },
          reportingComponent: 'kubelet',
          reportingInstance: this.nodeName,
        });
      } catch (error) {
        // An event that cannot be written (the namespace is going away) is not worth more than a line.
        this.onError(error);
      }
    });
  }
}
