/**
 * What the kubelet does with the pods bound to its node, on the data plane's local processes: gives
 * each an IP, fetches the ConfigMaps it mounts, runs it, reports its phase, conditions and container
 * states from the readiness probe's outcome, and on deletion stops it (soft stop, then kill) before
 * removing the pod from the API with a zero grace period, as the kubelet's final delete does.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { LocalDataPlane } from '../../support/control-plane/data-plane/index.ts';
import type { Store, StoreEvent } from '../../support/control-plane/store.ts';
import type { KubeObject } from '../../support/control-plane/types.ts';
import { type ApiClient, isStatus } from './api-client.ts';

interface Container {
  name: string;
  image?: string;
}

interface PodSpec {
  containers?: Container[];
  volumes?: Array<{ configMap?: { name: string } }>;
}

interface Tracked {
  ip: string;
  /** The pod's last run step, so a delete waits for the start it races with. */
  work: Promise<void>;
  stopping: boolean;
}

const MOUNT_RETRY_FIRST_MS = 100;
const MOUNT_RETRY_MAX_MS = 2000;

const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

export class PodLifecycle {
  private readonly pods = new Map<string, Tracked>();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly client: ApiClient,
    private readonly store: Store,
    private readonly dataPlane: LocalDataPlane,
    private readonly node: { name: string; ip: string },
    private readonly onError: (error: unknown) => void,
  ) {
    this.unsubscribe = store.subscribe((event) => {
      if (event.resource === 'pods') this.handle(event);
    });
  }

  /** Stops watching; the data plane's close() stops what still runs. */
  close(): void {
    this.unsubscribe();
  }

  private handle(event: StoreEvent): void {
    const pod = event.object;
    const uid = String(pod.metadata.uid);
    const tracked = this.pods.get(uid);
    if (event.type === 'DELETED') {
      if (tracked) this.stop(uid, tracked, pod, false);
      return;
    }
    if (pod.metadata.deletionTimestamp) {
      if (tracked) this.stop(uid, tracked, pod, true);
      else void this.finalDelete(pod);
      return;
    }
    const phase = (pod.status as { phase?: string } | undefined)?.phase;
    if (!tracked && phase !== 'Succeeded' && phase !== 'Failed') this.start(uid, pod);
  }

  private start(uid: string, pod: KubeObject): void {
    const ip = this.dataPlane.podIP();
    const tracked: Tracked = { ip, work: Promise.resolve(), stopping: false };
    this.pods.set(uid, tracked);
    tracked.work = this.run(pod, tracked).catch(this.onError);
  }

  private stop(uid: string, tracked: Tracked, pod: KubeObject, thenDelete: boolean): void {
    if (tracked.stopping) return;
    tracked.stopping = true;
    tracked.work = tracked.work
      .then(async () => {
        await this.dataPlane.stop(pod);
        this.pods.delete(uid);
        if (thenDelete) await this.finalDelete(pod);
      })
      .catch(this.onError);
  }

  private async run(pod: KubeObject, tracked: Tracked): Promise<void> {
    if (!(await this.fetchConfigMaps(pod, tracked))) return;
    const started = now();
    const running = { ...pod, status: { ...(pod.status as object), podIP: tracked.ip } } as KubeObject;
    await this.report(pod, this.status(pod, tracked.ip, started, false));
    let outcome: 'ready' | 'never-ready' | 'failed';
    try {
      outcome = await this.dataPlane.start(running);
    } catch {
      outcome = 'failed';
    }
    if (tracked.stopping) return;
    await this.report(pod, this.status(pod, tracked.ip, started, outcome === 'ready', outcome === 'failed'));
  }

  /**
   * The ConfigMaps the pod mounts, into the mirror the data plane reads volumes from. Like the kubelet's
   * volume manager it retries until they can be read (false if the pod is stopped first): the Node
   * authorizer allows exactly these, once its graph has seen the pod bound here, and a missing one may
   * still be created.
   */
  private async fetchConfigMaps(pod: KubeObject, tracked: Tracked): Promise<boolean> {
    const namespace = pod.metadata.namespace ?? 'default';
    const names = ((pod.spec as PodSpec).volumes ?? []).flatMap((v) =>
      v.configMap ? [v.configMap.name] : [],
    );
    for (const name of names) {
      for (let wait = MOUNT_RETRY_FIRST_MS; ; wait = Math.min(wait * 2, MOUNT_RETRY_MAX_MS)) {
        if (tracked.stopping) return false;
        try {
          const configMap = await this.client.get<KubeObject>(
            `/api/v1/namespaces/${namespace}/configmaps/${name}`,
          );
          if (this.store.get('configmaps', namespace, name)) this.store.update('configmaps', configMap);
          else this.store.create('configmaps', configMap);
          break;
        } catch (error) {
          if (!isStatus(error, 404) && !isStatus(error, 403)) throw error;
          await delay(wait);
        }
      }
    }
    return true;
  }

  private status(pod: KubeObject, ip: string, started: string, ready: boolean, failed = false) {
    const spec = pod.spec as PodSpec;
    const processes = this.dataPlane.processes().filter((p) => p.uid === String(pod.metadata.uid));
    const condition = (type: string, ok: boolean, reason?: string) => ({
      type,
      status: ok ? 'True' : 'False',
      lastProbeTime: null,
      lastTransitionTime: now(),
      ...(ok || !reason ? {} : { reason }),
    });
    const containerStatuses = (spec.containers ?? []).map((c) => {
      const process = processes.find((p) => p.container === c.name);
      const exited = process !== undefined && !process.running;
      const terminated = {
        exitCode: process?.exitCode ?? 1,
        reason: 'Error',
        startedAt: started,
        finishedAt: now(),
      };
      return {
        name: c.name,
        image: c.image ?? '',
        imageID: '',
        containerID: `local-process://${process?.pid ?? 0}`,
        ready: ready && !exited,
        started: !exited,
        restartCount: 0,
        state: exited
          ? failed
            ? { terminated }
            : {
                waiting: {
                  reason: 'CrashLoopBackOff',
                  message: `container ${c.name} exited with ${terminated.exitCode}`,
                },
              }
          : { running: { startedAt: started } },
        ...(exited && !failed ? { lastState: { terminated } } : {}),
      };
    });
    return {
      phase: failed ? 'Failed' : 'Running',
      hostIP: this.node.ip,
      hostIPs: [{ ip: this.node.ip }],
      podIP: ip,
      podIPs: [{ ip }],
      startTime: started,
      conditions: [
        condition('PodReadyToStartContainers', true),
        condition('Initialized', true),
        condition('ContainersReady', ready, 'ContainersNotReady'),
        condition('Ready', ready, 'ContainersNotReady'),
      ],
      containerStatuses,
    };
  }

  private async report(pod: KubeObject, status: object): Promise<void> {
    const path = `/api/v1/namespaces/${pod.metadata.namespace}/pods/${pod.metadata.name}/status`;
    try {
      await this.client.strategicPatch(path, { metadata: { uid: pod.metadata.uid }, status });
    } catch (error) {
      // Deleted meanwhile (or replaced by a pod of the same name): nothing to report.
      if (!isStatus(error, 404) && !isStatus(error, 409)) throw error;
    }
  }

  private async finalDelete(pod: KubeObject): Promise<void> {
    const path = `/api/v1/namespaces/${pod.metadata.namespace}/pods/${pod.metadata.name}`;
    try {
      await this.client.remove(path, {
        apiVersion: 'v1',
        kind: 'DeleteOptions',
        gracePeriodSeconds: 0,
        preconditions: { uid: pod.metadata.uid },
      });
    } catch (error) {
      if (!isStatus(error, 404) && !isStatus(error, 409)) throw error;
    }
  }
}
