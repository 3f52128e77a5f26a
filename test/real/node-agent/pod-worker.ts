/**
 * What the kubelet does for one pod bound to the node: a network namespace and IP (the sandbox), its
 * volumes, then each container in a real container (see container-runtime.ts), with its image's
 * programs, its environment and user; startup, readiness and liveness probes; restarts by the
 * restartPolicy with the kubelet's back-off (10 s, doubling to 5 minutes, CrashLoopBackOff while
 * waiting; reset after 10 minutes of running); and the pod's status (phase, conditions, container
 * states, restart counts) written back to the API server. Deleting the pod runs each container's
 * preStop hook, then SIGTERM, then SIGKILL when its grace period is over, removes the sandbox and
 * the pod with a zero grace period, as the kubelet's final delete does.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { KubeObject } from '../../support/control-plane/types.ts';
import { type ApiClient, isStatus } from './api-client.ts';
import { containerEnv, type EnvContainer } from './container-env.ts';
import { RunningContainer } from './container-runtime.ts';
import type { PodPlace } from './downward.ts';
import { imageFor } from './images.ts';
import type { PodNetwork, PodSandbox } from './pod-network.ts';
import { type Handler, type Probe, ProbeLoop, type ProbeTarget, runHandler } from './probes.ts';
import { PodVolumes, type VolumeMount } from './volumes.ts';
import { ContainerSlot, containerID, now, PodStatusWriter, type Terminated } from './pod-status.ts';
import type { PodEvents } from './pod-events.ts';

export interface ContainerSpec extends EnvContainer {
  image?: string;
  command?: string[];
  args?: string[];
  workingDir?: string;
  ports?: Array<{ name?: string; containerPort: number }>;
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  startupProbe?: Probe;
  lifecycle?: { preStop?: Handler; postStart?: Handler };
  volumeMounts?: VolumeMount[];
  securityContext?: { runAsUser?: number; runAsGroup?: number; readOnlyRootFilesystem?: boolean };
}

interface PodSpec {
  containers?: ContainerSpec[];
  initContainers?: ContainerSpec[];
  restartPolicy?: 'Always' | 'OnFailure' | 'Never';
  terminationGracePeriodSeconds?: number;
  hostNetwork?: boolean;
  securityContext?: { runAsUser?: number; runAsGroup?: number; supplementalGroups?: number[] };
}

export interface NodeContext {
  client: ApiClient;
  network: PodNetwork;
  events: PodEvents;
  place: { nodeName: string; nodeIP: string };
  /** Where pods' folders go. */
  dir: string;
  /** test/real/.bin: the container program and the programs images map to. */
  bin: string;
  /** The Services the node knows, for the environment's Service variables. */
  services(): KubeObject[];
  clusterDNS: string;
  onError(error: unknown): void;
}

const BACKOFF_FIRST_MS = 10_000;
const BACKOFF_MAX_MS = 300_000;
const BACKOFF_RESET_MS = 600_000;
const CONFIG_RETRY_MS = 10_000;

export class PodWorker {
  private readonly slots: ContainerSlot[];
  private readonly dir: string;
  private sandbox: PodSandbox | undefined;
  private volumes: PodVolumes | undefined;
  private startTime = now();
  private stopping = false;
  private readonly status: PodStatusWriter;
  private work: Promise<void> = Promise.resolve();
  private terminated: Promise<void> | undefined;

  constructor(
    private pod: KubeObject,
    private readonly node: NodeContext,
  ) {
    this.slots = ((pod.spec as PodSpec).containers ?? []).map((spec) => new ContainerSlot(spec));
    this.dir = join(node.dir, 'pods', String(pod.metadata.uid));
    this.status = new PodStatusWriter(
      node.client,
      () => ({
        pod: this.pod,
        slots: this.slots,
        podIP: this.sandbox?.ip,
        nodeIP: node.place.nodeIP,
        startTime: this.startTime,
        restartPolicy: this.spec.restartPolicy ?? 'Always',
      }),
      node.onError,
    );
  }

  /** Makes the sandbox and volumes and starts the containers. */
  start(): void {
    this.work = this.run().catch((error: unknown) => this.node.onError(error));
  }

  get uid(): string {
    return String(this.pod.metadata.uid);
  }

  /** The log of a container: its current (or last) instance, or the one before with `previous`. */
  logOf(container: string, previous: boolean) {
    const slot = this.slots.find((s) => s.spec.name === container);
    return (previous ? slot?.previous : slot?.instance)?.process;
  }

  /** The running instance of a container, for exec. */
  containerOf(container: string): RunningContainer | undefined {
    const instance = this.slots.find((s) => s.spec.name === container)?.instance;
    return instance?.running ? instance : undefined;
  }

  /** The pod was deleted: stop its containers gracefully, then remove it. Idempotent. */
  terminate(pod: KubeObject): Promise<void> {
    this.pod = pod;
    this.terminated ??= this.stopAll().catch((error: unknown) => this.node.onError(error));
    return this.terminated;
  }

  /** The node goes away: stop the containers (SIGTERM, SIGKILL 3 s later), leave the pod in the API. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.volumes?.close();
    await Promise.all(
      this.slots.map(async (slot) => {
        slot.wake();
        slot.stopProbes();
        await slot.instance?.process.stop('SIGTERM', 3000);
      }),
    );
    await this.work;
    this.removeSandbox();
  }

  /** For the agent's own exit: kill everything now. */
  killNow(): void {
    this.stopping = true;
    for (const slot of this.slots) slot.instance?.process.killNow();
  }

  private get spec(): PodSpec {
    return this.pod.spec as PodSpec;
  }

  private get place(): PodPlace {
    return {
      podIP: this.sandbox?.ip ?? '',
      nodeIP: this.node.place.nodeIP,
      nodeName: this.node.place.nodeName,
    };
  }

  private async run(): Promise<void> {
    mkdirSync(this.dir, { recursive: true });
    if (this.spec.hostNetwork || (this.spec.initContainers ?? []).length > 0) {
      const what = this.spec.hostNetwork ? 'hostNetwork pods' : 'init containers';
      for (const slot of this.slots)
        slot.state = {
          waiting: {
            reason: 'CreateContainerConfigError',
            message: `${what} are not supported by this node`,
          },
        };
      return this.status.report();
    }
    if (this.stopping) return;
    const address = this.node.network.pod();
    try {
      this.sandbox = this.node.network.createSandbox(address);
    } catch (error) {
      this.node.network.release(address);
      throw error;
    }
    this.startTime = now();
    await this.status.report();
    if (this.stopping) return;
    this.volumes = new PodVolumes(this.node.client, this.pod, join(this.dir, 'volumes'), this.place);
    // As the kubelet does, a volume that cannot be made is tried again; the pod waits meanwhile.
    for (;;) {
      try {
        await this.volumes.prepare();
        break;
      } catch (error) {
        if (this.stopping) return;
        const message = error instanceof Error ? error.message : String(error);
        for (const slot of this.slots) slot.state = { waiting: { reason: 'ContainerCreating', message } };
        this.node.events.warn(this.pod, 'FailedMount', `MountVolume.SetUp failed: ${message}`);
        await this.status.report();
        await this.pause(this.slots, CONFIG_RETRY_MS);
        if (this.stopping) return;
      }
    }
    await Promise.all(this.slots.map((slot) => this.keepRunning(slot)));
  }

  /** Starts the container, and again after each exit as the restartPolicy says, with back-off. */
  private async keepRunning(slot: ContainerSlot): Promise<void> {
    while (!this.stopping) {
      const started = await this.startOnce(slot);
      if (!started) {
        await this.pause(slot, CONFIG_RETRY_MS);
        continue;
      }
      const instance = started;
      await instance.process.exited;
      slot.stopProbes();
      const startedAt = 'running' in slot.state ? slot.state.running.startedAt : now();
      const ranFor = Date.parse(now()) - Date.parse(startedAt);
      const exitCode = instance.exitCode;
      const terminated: Terminated = {
        exitCode,
        reason: exitCode === 0 ? 'Completed' : 'Error',
        startedAt,
        finishedAt: now(),
        containerID: containerID(instance),
        ...(exitCode === 128 ? { message: lastLines(instance) } : {}),
      };
      slot.ready = false;
      slot.started = false;
      if (this.stopping) {
        slot.state = { terminated };
        break;
      }
      const policy = this.spec.restartPolicy ?? 'Always';
      if (policy === 'Never' || (policy === 'OnFailure' && exitCode === 0)) {
        slot.state = { terminated };
        await this.status.report();
        return;
      }
      slot.lastState = { terminated };
      slot.crashes = ranFor >= BACKOFF_RESET_MS ? 1 : slot.crashes + 1;
      const backOff = Math.min(BACKOFF_FIRST_MS * 2 ** (slot.crashes - 1), BACKOFF_MAX_MS);
      const message = `back-off ${Math.round(backOff / 1000)}s restarting failed container=${slot.spec.name} pod=${this.pod.metadata.name}_${this.pod.metadata.namespace}(${this.uid})`;
      slot.state = { waiting: { reason: 'CrashLoopBackOff', message } };
      this.node.events.warn(
        this.pod,
        'BackOff',
        `Back-off restarting failed container ${slot.spec.name} in pod ${this.pod.metadata.name}_${this.pod.metadata.namespace}(${this.uid})`,
      );
      await this.status.report();
      await this.pause(slot, backOff);
      if (!this.stopping) slot.restartCount += 1;
    }
    await this.status.report();
  }

  /** Waits `ms`, or less when the pod is deleted meanwhile (any of `slots` is woken). */
  private pause(slots: ContainerSlot | ContainerSlot[], ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      for (const slot of [slots].flat())
        slot.wake = () => {
          clearTimeout(timer);
          resolve();
        };
    });
  }

  /** One start of the container; undefined (and its status says why) when it cannot be made. */
  private async startOnce(slot: ContainerSlot): Promise<RunningContainer | undefined> {
    const spec = slot.spec;
    const sandbox = this.sandbox;
    const volumes = this.volumes;
    if (!sandbox || !volumes || this.stopping) return undefined;
    const image = imageFor(spec.image ?? '', this.node.bin);
    if (!image) {
      const message = `Back-off pulling image "${spec.image}": this node pulls no images and has no program for it (test/real/node-agent/images.ts)`;
      slot.state = { waiting: { reason: 'ImagePullBackOff', message } };
      this.node.events.warn(this.pod, 'Failed', message);
      await this.status.report();
      return undefined;
    }
    let env: string[];
    let mounts: ReturnType<PodVolumes['mountsFor']>;
    try {
      env = await containerEnv({
        pod: this.pod,
        container: spec,
        image: image.env,
        services: this.node.services(),
        place: this.place,
        read: (kind, name, optional) => volumes.object(kind, name, optional, false),
      });
      mounts = volumes.mountsFor(spec.volumeMounts);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      slot.state = { waiting: { reason: 'CreateContainerConfigError', message } };
      this.node.events.warn(this.pod, 'Failed', `Error: ${message}`);
      await this.status.report();
      return undefined;
    }
    const security = { ...this.spec.securityContext, ...spec.securityContext };
    const uid = security.runAsUser ?? image.user?.uid;
    const dir = join(this.dir, `${spec.name}-${slot.restartCount}`);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const instance = new RunningContainer(join(this.node.bin, 'container'), {
      dir,
      netns: sandbox.netns,
      hostname: this.pod.metadata.name,
      readOnlyRoot: spec.securityContext?.readOnlyRootFilesystem ?? false,
      files: [
        { path: '/etc/resolv.conf', content: this.resolvConf() },
        {
          path: '/etc/hosts',
          content: `127.0.0.1\tlocalhost\n::1\tlocalhost\n${sandbox.ip}\t${this.pod.metadata.name}\n`,
        },
        { path: '/etc/hostname', content: `${this.pod.metadata.name}\n` },
      ],
      mounts: [...image.files.map((file) => ({ ...file, readOnly: true })), ...mounts],
      workingDir: spec.workingDir ?? image.workingDir,
      uid,
      gid: security.runAsGroup ?? (uid === image.user?.uid ? image.user?.gid : undefined) ?? 0,
      groups: this.spec.securityContext?.supplementalGroups,
      env,
      args: image.argv(spec.command, spec.args),
    });
    slot.previous = slot.instance;
    slot.instance = instance;
    slot.state = { running: { startedAt: now() } };
    slot.started = !spec.startupProbe;
    this.startProbes(slot, instance);
    await this.status.report();
    return instance;
  }

  private resolvConf(): string {
    const namespace = this.pod.metadata.namespace ?? 'default';
    return `search ${namespace}.svc.cluster.local svc.cluster.local cluster.local\nnameserver ${this.node.clusterDNS}\noptions ndots:5\n`;
  }

  private target(slot: ContainerSlot, instance: RunningContainer): ProbeTarget {
    return {
      ip: this.sandbox?.ip ?? '',
      ports: slot.spec.ports ?? [],
      exec: (argv, timeoutMs) => instance.exec(argv, timeoutMs),
    };
  }

  private startProbes(slot: ContainerSlot, instance: RunningContainer): void {
    const target = this.target(slot, instance);
    const spec = slot.spec;
    const unhealthy = (kind: string) => (message: string) =>
      this.node.events.warn(this.pod, 'Unhealthy', `${kind} probe failed: ${message}`);
    const kill = (kind: string) => (ok: boolean, message: string) => {
      if (ok) return;
      this.node.events.normal(
        this.pod,
        'Killing',
        `Container ${spec.name} failed ${kind} probe, will be restarted: ${message}`,
      );
      void instance.process.stop('SIGTERM', this.graceMs());
    };
    const afterStartup = () => {
      if (spec.readinessProbe) {
        slot.probes.push(
          new ProbeLoop(
            spec.readinessProbe,
            target,
            (ok) => {
              slot.ready = ok;
              void this.status.report();
            },
            unhealthy('Readiness'),
          ),
        );
      } else {
        slot.ready = true;
      }
      if (spec.livenessProbe)
        slot.probes.push(new ProbeLoop(spec.livenessProbe, target, kill('liveness'), unhealthy('Liveness')));
      void this.status.report();
    };
    if (!spec.startupProbe) return afterStartup();
    const startup = new ProbeLoop(
      spec.startupProbe,
      target,
      (ok, message) => {
        startup.stop();
        if (!ok) return kill('startup')(false, message);
        slot.started = true;
        afterStartup();
      },
      unhealthy('Startup'),
    );
    slot.probes.push(startup);
  }

  private graceMs(): number {
    const seconds = Number(
      this.pod.metadata.deletionGracePeriodSeconds ?? this.spec.terminationGracePeriodSeconds ?? 30,
    );
    return Math.max(seconds, 0) * 1000;
  }

  private async stopAll(): Promise<void> {
    this.stopping = true;
    this.volumes?.close();
    const deadline = Date.now() + this.graceMs();
    await Promise.all(
      this.slots.map(async (slot) => {
        slot.wake();
        slot.stopProbes();
        const instance = slot.instance;
        if (!instance?.running) return;
        this.node.events.normal(this.pod, 'Killing', `Stopping container ${slot.spec.name}`);
        const preStop = slot.spec.lifecycle?.preStop;
        if (preStop)
          await runHandler(preStop, this.target(slot, instance), Math.max(deadline - Date.now(), 0));
        // The kubelet leaves at least 2 seconds between SIGTERM and SIGKILL.
        await instance.process.stop('SIGTERM', Math.max(deadline - Date.now(), 2000));
      }),
    );
    await this.work;
    this.node.events.forget(this.uid);
    this.removeSandbox();
    await this.finalDelete();
  }

  private removeSandbox(): void {
    if (this.sandbox) {
      this.node.network.removeSandbox(this.sandbox);
      this.node.network.release(this.sandbox.ip);
      this.sandbox = undefined;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async finalDelete(): Promise<void> {
    const path = `/api/v1/namespaces/${this.pod.metadata.namespace}/pods/${this.pod.metadata.name}`;
    try {
      await this.node.client.remove(path, {
        apiVersion: 'v1',
        kind: 'DeleteOptions',
        gracePeriodSeconds: 0,
        preconditions: { uid: this.pod.metadata.uid },
      });
    } catch (error) {
      if (!isStatus(error, 404) && !isStatus(error, 409)) throw error;
    }
  }
}

/** The container program's own complaint, when it could not start the container at all. */
function lastLines(instance: RunningContainer): string {
  return instance.process.log().trim().split('\n').slice(-3).join('\n');
}
