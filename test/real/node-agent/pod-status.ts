/**
 * A pod's status as the kubelet's status manager writes it: phase, conditions (with their transition
 * times), container states, restart counts and addresses, from the containers' slots; written with
 * one PATCH at a time, changes made while one is in flight folded into the next.
 */
import type { KubeObject } from '../../support/control-plane/types.ts';
import { type ApiClient, isStatus } from './api-client.ts';
import type { RunningContainer } from './container-runtime.ts';
import type { ContainerSpec } from './pod-worker.ts';
import type { ProbeLoop } from './probes.ts';

export const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

export type ContainerState =
  | { waiting: { reason: string; message?: string } }
  | { running: { startedAt: string } }
  | { terminated: Terminated };

export interface Terminated {
  exitCode: number;
  reason: string;
  message?: string;
  startedAt: string;
  finishedAt: string;
  containerID?: string;
}

export const containerID = (instance: RunningContainer) => `tg-node://${instance.process.pid}`;

/** One container of the pod: its current instance, the one before, and what its status says. */
export class ContainerSlot {
  state: ContainerState = { waiting: { reason: 'ContainerCreating' } };
  lastState: { terminated: Terminated } | undefined;
  restartCount = 0;
  ready = false;
  started = false;
  instance: RunningContainer | undefined;
  previous: RunningContainer | undefined;
  probes: ProbeLoop[] = [];
  /** Consecutive crashes, for the back-off. */
  crashes = 0;
  /** Wakes the back-off wait when the pod is deleted. */
  wake: () => void = () => undefined;

  constructor(readonly spec: ContainerSpec) {}

  stopProbes(): void {
    for (const probe of this.probes) probe.stop();
    this.probes = [];
  }
}

export interface PodState {
  pod: KubeObject;
  slots: ContainerSlot[];
  podIP: string | undefined;
  nodeIP: string;
  startTime: string;
  restartPolicy: string;
}

export class PodStatusWriter {
  private readonly transitions = new Map<string, { status: string; at: string }>();
  private reporting: Promise<void> = Promise.resolve();
  private dirty = false;

  constructor(
    private readonly client: ApiClient,
    private readonly state: () => PodState,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Writes the status; reports asked for while one is being written are folded into one more. */
  report(): Promise<void> {
    if (this.dirty) return this.reporting;
    this.dirty = true;
    this.reporting = this.reporting.then(async () => {
      this.dirty = false;
      const { pod } = this.state();
      const path = `/api/v1/namespaces/${pod.metadata.namespace}/pods/${pod.metadata.name}/status`;
      try {
        await this.client.strategicPatch(path, {
          metadata: { uid: pod.metadata.uid },
          status: this.status(),
        });
      } catch (error) {
        // Deleted meanwhile (or replaced by a pod of the same name): nothing to report.
        if (!isStatus(error, 404) && !isStatus(error, 409)) this.onError(error);
      }
    });
    return this.reporting;
  }

  private condition(type: string, ok: boolean, reason?: string) {
    const status = ok ? 'True' : 'False';
    const before = this.transitions.get(type);
    const at = before?.status === status ? before.at : now();
    this.transitions.set(type, { status, at });
    return {
      type,
      status,
      lastProbeTime: null,
      lastTransitionTime: at,
      ...(ok || !reason ? {} : { reason }),
    };
  }

  private status(): object {
    const { slots, podIP, nodeIP, startTime } = this.state();
    const containersReady = slots.every((slot) => slot.ready);
    return {
      phase: this.phase(),
      hostIP: nodeIP,
      hostIPs: [{ ip: nodeIP }],
      ...(podIP ? { podIP, podIPs: [{ ip: podIP }] } : {}),
      startTime,
      conditions: [
        this.condition('PodReadyToStartContainers', podIP !== undefined),
        this.condition('Initialized', true),
        this.condition('ContainersReady', containersReady, 'ContainersNotReady'),
        this.condition('Ready', containersReady, 'ContainersNotReady'),
      ],
      containerStatuses: slots.map((slot) => ({
        name: slot.spec.name,
        image: slot.spec.image ?? '',
        imageID: '',
        ...(slot.instance ? { containerID: containerID(slot.instance) } : {}),
        ready: slot.ready,
        started: slot.started,
        restartCount: slot.restartCount,
        state: slot.state,
        lastState: slot.lastState ?? {},
      })),
    };
  }

  /** Pending until every container has run once; then Running, or Succeeded/Failed when all are done for good. */
  private phase(): string {
    const { slots, restartPolicy } = this.state();
    const ranOnce = slots.every((slot) => !('waiting' in slot.state) || slot.lastState !== undefined);
    if (!ranOnce) return 'Pending';
    const done = slots.every((slot) => 'terminated' in slot.state);
    if (!done || restartPolicy === 'Always') return 'Running';
    return slots.every((slot) => 'terminated' in slot.state && slot.state.terminated.exitCode === 0)
      ? 'Succeeded'
      : 'Failed';
  }
}
