/**
 * The data plane: pods as real local processes, Services as loopback listeners, and a cluster DNS.
 * - A container whose image names `haproxy` runs the HAProxy binary on the config its ConfigMap volume
 *   holds at pod start (localized, see haproxy-config.ts); one whose image names `http-https-echo`
 *   runs echo-server.mjs. Any other pod goes to the fallback runtime (Ready at once by default).
 * - A pod is Ready once its containers' readinessProbe (httpGet) answers 2xx/3xx on the pod IP (or a
 *   TCP connect to its first port when it has none), and HAProxy has asked the cluster DNS for each of
 *   its run-time resolved servers once. A container that exits, or is not ready within readyTimeoutMs,
 *   is stopped and leaves its pod Running but never Ready (restartPolicy Never: Failed); its output
 *   (stdout and stderr) stays readable through logs() and pods/log, whose lines carry the time each
 *   was printed (see process.ts). There are no container restarts: exitedContainers() tells the
 *   kubelet which exited, and it reports them as CrashLoopBackOff.
 * - pods/exec (exec()) runs HAProxy only, in the pod's view: a config it reads from /dev/stdin is
 *   localized as the pod's own config was.
 * - Each HAProxy pod gets its own DNS socket (same answers for all), so its queries can be told apart.
 * - Deleting a pod stops its processes (HAProxy: SIGUSR1, the soft stop; others SIGTERM; SIGKILL
 *   after STOP_GRACE_MS) before it leaves the API.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import type { Readable } from 'node:stream';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ExecRunner } from '../exec/index.ts';
import type { LogSources } from '../pod-logs.ts';
import type { Store } from '../store.ts';
import type {
  DataPlane,
  DataPlaneOptions,
  DataPlaneProcess,
  KubeObject,
  PodRef,
  PodRuntime,
} from '../types.ts';
import { findHaproxyBinary } from '../../../../src/services/haproxy-check.ts';
import { AddressPlan, type Addresses } from './addresses.ts';
import { type DnsServer, parseServiceName, serviceLookup, startDnsServer, TYPE_A } from './dns.ts';
import { localizeHaproxyConfig, resolvedServerNames } from './haproxy-config.ts';
import { ContainerProcess, httpStatus, pause, tcpAccepts } from './process.ts';
import { hasServiceAddress, podEndpoints, ServiceProxy, type ServiceEndpoints } from './proxy.ts';

const ECHO_SERVER = fileURLToPath(new URL('./echo-server.mjs', import.meta.url));
const DEFAULT_HAPROXY_CONFIG = '/usr/local/etc/haproxy/haproxy.cfg';
/** The CMD of the official and haproxytech images. */
const IMAGE_COMMAND = ['haproxy', '-f', DEFAULT_HAPROXY_CONFIG];
const READY_TIMEOUT_MS = 6000;
const READY_PAUSE_MS = 20;
const STOP_GRACE_MS = 3000;

type Kind = 'haproxy' | 'echo' | 'other';

interface Container {
  name: string;
  image?: string;
  command?: string[];
  args?: string[];
  env?: Array<{ name: string; value?: string }>;
  ports?: Array<{ name?: string; containerPort: number }>;
  volumeMounts?: Array<{ name: string; mountPath: string; subPath?: string }>;
  readinessProbe?: { httpGet?: { path?: string; port: number | string } };
}

interface Volume {
  name: string;
  configMap?: { name: string; optional?: boolean; items?: Array<{ key: string; path: string }> };
}

interface RunningContainer {
  name: string;
  image: string;
  kind: Kind;
  process?: ContainerProcess;
  /** What the data plane itself has to say (e.g. a missing ConfigMap), ahead of the process output. */
  note: string;
  /** HAProxy's: a config as this container sees it, made runnable here as its own config was. */
  localize?: (cfg: string) => string;
  /** Set when the process exited by itself before it was ever ready: its exit code. */
  exited?: number | null;
}

interface PodState {
  uid: string;
  namespace: string;
  name: string;
  ip: string;
  dir: string;
  containers: RunningContainer[];
  dns?: DnsServer;
  stopped: boolean;
}

const containersOf = (pod: KubeObject) => (pod.spec as { containers?: Container[] }).containers ?? [];

function kindOf(image: string | undefined): Kind {
  if (image?.includes('haproxy')) return 'haproxy';
  if (image?.includes('http-https-echo')) return 'echo';
  return 'other';
}

/** The haproxy the product would use, else plain `haproxy` from PATH. */
export function defaultHaproxy(): string {
  return findHaproxyBinary() ?? 'haproxy';
}

export class LocalDataPlane implements PodRuntime, DataPlane {
  private readonly haproxy: string;
  private readonly readyTimeoutMs: number;
  private readonly addresses: Addresses;
  private readonly pods = new Map<string, PodState>();
  /** "namespace/name" -> uid of the latest pod of that name. */
  private readonly latest = new Map<string, string>();
  private readonly killAll = () => {
    for (const pod of this.pods.values()) for (const c of pod.containers) c.process?.killNow();
  };
  private store?: Store;
  private endpoints?: ServiceEndpoints;
  private proxy?: ServiceProxy;
  private unsubscribe?: () => void;

  /** `addresses`: where pods and Services get their IPs (default: a loopback block of its own). */
  constructor(
    options: DataPlaneOptions & { addresses?: Addresses },
    private readonly fallback: PodRuntime,
  ) {
    this.addresses = options.addresses ?? new AddressPlan();
    this.haproxy = options.haproxyBin ?? defaultHaproxy();
    this.readyTimeoutMs = options.readyTimeoutMs ?? READY_TIMEOUT_MS;
    // A test process that dies without stop() must not leave HAProxy running forever.
    process.on('exit', this.killAll);
  }

  /** Starts serving the store's Services, sending their traffic where `endpoints` says (default: the store's ready pods). */
  attach(store: Store, endpoints: ServiceEndpoints = podEndpoints(store)): void {
    this.store = store;
    this.endpoints = endpoints;
    const proxy = new ServiceProxy(store, this.addresses, endpoints);
    this.proxy = proxy;
    for (const svc of store.list('services')) proxy.sync(svc.metadata.namespace ?? '', svc.metadata.name);
    this.unsubscribe = store.subscribe((event) => {
      if (event.resource === 'services')
        proxy.sync(event.object.metadata.namespace ?? '', event.object.metadata.name);
    });
  }

  // PodRuntime

  podIP(): string {
    return this.addresses.pod();
  }

  async start(pod: KubeObject): Promise<'ready' | 'never-ready'> {
    const containers = containersOf(pod);
    const kinds = containers.map((c) => kindOf(c.image));
    if (kinds.every((k) => k === 'other')) return this.fallback.start(pod);
    const state: PodState = {
      uid: String(pod.metadata.uid),
      namespace: pod.metadata.namespace ?? 'default',
      name: pod.metadata.name,
      ip: String((pod.status as { podIP?: string } | undefined)?.podIP ?? this.addresses.pod()),
      dir: mkdtempSync(join(tmpdir(), 'data-plane-pod-')),
      containers: containers.map((c, i) => ({
        name: c.name,
        image: c.image ?? '',
        kind: kinds[i] ?? 'other',
        note: '',
      })),
      stopped: false,
    };
    this.pods.set(state.uid, state);
    this.latest.set(`${state.namespace}/${state.name}`, state.uid);
    try {
      await Promise.all(
        containers.map((c, i) => this.run(pod, state, c, state.containers[i] as RunningContainer)),
      );
    } catch (error) {
      await this.halt(state);
      // A restartPolicy Always pod (every Deployment's) is never Failed in a cluster: it would crash-loop
      // Running and not Ready. A Failed one would make its ReplicaSet create replacements without end.
      if ((pod.spec as { restartPolicy?: string }).restartPolicy === 'Never') throw error;
      return 'never-ready';
    }
    return state.stopped ? 'never-ready' : 'ready';
  }

  exitedContainers(pod: KubeObject): Array<{ name: string; exitCode: number | null }> {
    const state = this.pods.get(String(pod.metadata.uid));
    return (state?.containers ?? []).flatMap((c) =>
      c.exited === undefined ? [] : [{ name: c.name, exitCode: c.exited }],
    );
  }

  async stop(pod: KubeObject): Promise<void> {
    const state = this.pods.get(String(pod.metadata.uid));
    if (!state) return this.fallback.stop(pod);
    await this.halt(state);
  }

  // DataPlane

  serviceAddress(namespace: string, name: string, port: number): { host: string; port: number } {
    if (!this.proxy) return { host: this.addresses.service(namespace, name), port };
    return this.proxy.address(namespace, name, port);
  }

  podAddress(pod: PodRef, port?: number | string): { host: string; port: number } {
    const state = this.find(pod);
    const object =
      typeof pod === 'string' ? this.store?.get('pods', pod.split('/')[0], pod.split('/')[1] ?? '') : pod;
    const ip = state?.ip ?? (object?.status as { podIP?: string } | undefined)?.podIP;
    if (!ip) throw new Error(`pod ${describe(pod)} has no address`);
    const ports = object ? containersOf(object).flatMap((c) => c.ports ?? []) : [];
    const number =
      typeof port === 'number'
        ? port
        : port === undefined
          ? ports[0]?.containerPort
          : (ports.find((p) => p.name === port)?.containerPort ??
            (/^\d+$/.test(port) ? Number(port) : undefined));
    if (number === undefined) throw new Error(`pod ${describe(pod)} has no port ${port ?? ''}`);
    return { host: ip, port: number };
  }

  processes(): DataPlaneProcess[] {
    return [...this.pods.values()].flatMap((pod) =>
      pod.containers.flatMap((c) =>
        c.process
          ? [
              {
                namespace: pod.namespace,
                pod: pod.name,
                uid: pod.uid,
                podIP: pod.ip,
                container: c.name,
                image: c.image,
                kind: c.kind as 'haproxy' | 'echo',
                pid: c.process.pid,
                running: c.process.running,
                exitCode: c.process.exitCode,
              },
            ]
          : [],
      ),
    );
  }

  logs(pod: PodRef, container?: string): string {
    const state = this.find(pod);
    if (!state) throw new Error(`the data plane ran no pod ${describe(pod)}`);
    const c =
      container === undefined
        ? state.containers.find((x) => x.kind !== 'other')
        : state.containers.find((x) => x.name === container);
    if (!c) throw new Error(`pod ${describe(pod)} has no container ${container ?? ''}`);
    return `${c.note}${c.process?.log() ?? ''}`;
  }

  /** The API's view of a container's log (pods/log); undefined for pods and containers run by no process. */
  readonly logSource: LogSources = (pod, container, previous) =>
    // Containers are never restarted here: there is no instance before the current one.
    previous
      ? undefined
      : this.pods.get(String(pod.metadata.uid))?.containers.find((c) => c.name === container)?.process;

  /**
   * pods/exec in the pod's view, for the API (local control plane) and the kubelet (node agent): only
   * HAProxy runs, as the pod's container runs it, and a config it reads from /dev/stdin is localized as
   * the pod's own config was (mount paths to the pod's copies, binds to the pod IP). Any other
   * program is "not found": this is no container runtime.
   */
  readonly exec: ExecRunner = async (pod, container, command, stdio) => {
    const state = this.pods.get(String(pod.metadata.uid));
    const c = state?.containers.find((x) => x.name === container);
    if (!state || !c?.process?.running)
      throw new Error(`container ${container} of pod ${describe(pod)} is not running`);
    const argv = haproxyCommand(command);
    if (!argv || !c.localize)
      throw new Error(`exec: "${command[0] ?? ''}": executable file not found in $PATH`);
    const args = argv.slice(1);
    const fromStdin = args[args.indexOf('-f') + 1] === '/dev/stdin';
    const input = fromStdin ? c.localize(await readAll(stdio.stdin)) : undefined;
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOSTNAME: state.name };
    // Node hands a child a socket, which /dev/stdin cannot be opened on; cat passes it on through a pipe.
    const child = spawn('sh', ['-c', 'cat | exec "$0" "$@"', this.haproxy, ...args], {
      cwd: state.dir,
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    if (input !== undefined) child.stdin.end(input);
    else if (stdio.stdin) stdio.stdin.pipe(child.stdin);
    else child.stdin.end();
    child.stdin.on('error', () => undefined);
    if (stdio.stdout) child.stdout.pipe(stdio.stdout);
    else child.stdout.resume();
    if (stdio.stderr) child.stderr.pipe(stdio.stderr);
    else child.stderr.resume();
    return new Promise((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (code, signal) => resolve(code ?? 128 + (signal ? constants.signals[signal] : 0)));
    });
  };

  lookup(name: string): string[] | undefined {
    return this.resolve(name.toLowerCase().replace(/\.$/, ''), TYPE_A);
  }

  async settled(): Promise<void> {
    await this.proxy?.settled();
  }

  /** Stops whatever still runs, the Service listeners, and releases the address block. */
  async close(): Promise<void> {
    this.unsubscribe?.();
    await Promise.all([...this.pods.values()].map((state) => this.halt(state)));
    await this.proxy?.close();
    this.addresses.close();
    process.off('exit', this.killAll);
  }

  // Internals

  private readonly resolve = serviceLookup(
    (namespace, name) => {
      const svc = this.store?.get('services', namespace, name);
      return svc && { headless: !hasServiceAddress(svc) };
    },
    (namespace, name) => this.addresses.service(namespace, name),
    (namespace, name) => {
      const svc = this.store?.get('services', namespace, name);
      return (svc && this.endpoints?.addresses(svc)) ?? [];
    },
  );

  private find(pod: PodRef): PodState | undefined {
    const uid = typeof pod === 'string' ? this.latest.get(pod) : String(pod.metadata.uid);
    return uid === undefined ? undefined : this.pods.get(uid);
  }

  private async run(pod: KubeObject, state: PodState, spec: Container, c: RunningContainer): Promise<void> {
    if (c.kind === 'other') return;
    const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOSTNAME: state.name };
    for (const variable of spec.env ?? [])
      if (variable.value !== undefined) env[variable.name] = variable.value;
    let probeNames: string[] = [];
    if (c.kind === 'haproxy') {
      const mounts = this.mountConfigMaps(pod, state, spec, c);
      const configPath = haproxyConfigPath(spec);
      // The deepest mount covering the path is the one the container sees there, as with real mounts.
      const mount = [...mounts]
        .sort((a, b) => b.mountPath.length - a.mountPath.length)
        .find((m) => configPath === m.mountPath || configPath.startsWith(`${m.mountPath}/`));
      if (!mount) {
        c.note += `data plane: ${configPath} is on no ConfigMap volume\n`;
        throw new Error(`pod ${state.namespace}/${state.name}: ${configPath} is on no ConfigMap volume`);
      }
      const local = `${mount.local}${configPath.slice(mount.mountPath.length)}`;
      state.dns ??= await startDnsServer(this.resolve);
      // Stopped while the DNS server started: halt() has run already, so nothing may start now.
      if (state.stopped) {
        await state.dns.close();
        return;
      }
      const dns = { host: state.dns.host, port: state.dns.port };
      c.localize = (text) =>
        localizeHaproxyConfig(text, { podIP: state.ip, mounts, dns, startAddress: this.startAddress });
      const cfg = c.localize(readFileSync(local, 'utf8'));
      writeFileSync(local, cfg);
      probeNames = resolvedServerNames(cfg);
      c.process = new ContainerProcess(this.haproxy, ['-db', '-f', local], env, state.dir);
    } else {
      env.POD_IP = state.ip;
      env.HTTP_PORT ??= String(spec.ports?.[0]?.containerPort ?? 8080);
      c.process = new ContainerProcess(process.execPath, [ECHO_SERVER], env, state.dir);
    }
    await this.waitReady(state, spec, c, probeNames);
  }

  /**
   * Writes each ConfigMap volume the container mounts into its own directory under the pod's; a
   * subPath mount shows that file (or directory) of the volume at its mountPath, as the kubelet's does.
   */
  private mountConfigMaps(pod: KubeObject, state: PodState, spec: Container, c: RunningContainer) {
    const volumes = (pod.spec as { volumes?: Volume[] }).volumes ?? [];
    const mounts: Array<{ mountPath: string; local: string }> = [];
    for (const mount of spec.volumeMounts ?? []) {
      const source = volumes.find((v) => v.name === mount.name)?.configMap;
      if (!source) continue;
      const configMap = this.store?.get('configmaps', state.namespace, source.name);
      if (!configMap && !source.optional) {
        c.note += `data plane: configmap "${source.name}" not found\n`;
        throw new Error(`pod ${state.namespace}/${state.name}: configmap "${source.name}" not found`);
      }
      const data = (configMap?.data ?? {}) as Record<string, string>;
      const dir = join(state.dir, 'volumes', mount.name);
      mkdirSync(dir, { recursive: true });
      const items = source.items ?? Object.keys(data).map((key) => ({ key, path: key }));
      for (const item of items) {
        if (data[item.key] === undefined) continue;
        const file = join(dir, item.path);
        mkdirSync(join(file, '..'), { recursive: true });
        writeFileSync(file, data[item.key] ?? '');
      }
      const local = mount.subPath ? join(dir, mount.subPath) : dir;
      if (mount.subPath && !existsSync(local)) {
        c.note += `data plane: subPath "${mount.subPath}" is not in configmap "${source.name}"\n`;
        throw new Error(`pod ${state.namespace}/${state.name}: subPath ${mount.subPath} not found`);
      }
      mounts.push({ mountPath: mount.mountPath.replace(/\/+$/, ''), local });
    }
    return mounts;
  }

  /**
   * A cluster Service name resolved once at start (libc in a real pod, which asks the cluster DNS):
   * the Service's listener here, for servers that do not use a resolvers section.
   */
  private readonly startAddress = (host: string, port: number): string | undefined => {
    const parsed = parseServiceName(host);
    const svc = parsed && this.store?.get('services', parsed.namespace, parsed.name);
    if (!parsed || !svc || !hasServiceAddress(svc) || !this.proxy) return undefined;
    const address = this.proxy.address(parsed.namespace, parsed.name, port);
    return `${address.host}:${address.port}`;
  };

  private async waitReady(
    state: PodState,
    spec: Container,
    c: RunningContainer,
    names: string[],
  ): Promise<void> {
    const proc = c.process as ContainerProcess;
    const probe = spec.readinessProbe?.httpGet;
    const probePort =
      typeof probe?.port === 'number'
        ? probe.port
        : spec.ports?.find((p) => p.name === probe?.port)?.containerPort;
    const port = probePort ?? Number(spec.ports?.[0]?.containerPort ?? 0);
    const check = async () => {
      if (probe) {
        const status = await httpStatus(state.ip, port, probe.path ?? '/');
        return status !== undefined && status >= 200 && status < 400;
      }
      return port === 0 || (await tcpAccepts(state.ip, port));
    };
    // HAProxy resolved every server name once (an answer, NXDOMAIN included, was sent back).
    const resolved = () => names.every((name) => state.dns?.queries.some((q) => q.name === name));
    const deadline = Date.now() + this.readyTimeoutMs;
    while (Date.now() < deadline) {
      if (state.stopped) return;
      if (!proc.running) {
        c.exited = proc.exitCode;
        throw new Error(
          `container ${c.name} of pod ${state.namespace}/${state.name} exited (${proc.exitCode ?? proc.signal}):\n${proc.log()}`,
        );
      }
      if (resolved() && (await check())) return;
      await pause(READY_PAUSE_MS);
    }
    c.note += `data plane: container ${c.name} did not get ready in ${this.readyTimeoutMs} ms\n`;
    throw new Error(
      `container ${c.name} of pod ${state.namespace}/${state.name} did not get ready:\n${proc.log()}`,
    );
  }

  /** Stops the pod's processes (soft first), its DNS, and removes its files; the log stays. */
  private async halt(state: PodState): Promise<void> {
    state.stopped = true;
    await Promise.all(
      state.containers.map((c) =>
        c.process?.stop(c.kind === 'haproxy' ? 'SIGUSR1' : 'SIGTERM', STOP_GRACE_MS),
      ),
    );
    const dns = state.dns;
    state.dns = undefined;
    await dns?.close();
    rmSync(state.dir, { recursive: true, force: true });
  }
}

/**
 * The haproxy command line an exec runs: `haproxy ARGS…`, or a shell feeding it stdin through a pipe
 * of its own (`sh -c 'cat | haproxy ARGS…'`, `head -c N` for cat), which does the same here;
 * undefined for anything else (only HAProxy runs in this data plane).
 */
function haproxyCommand(command: string[]): string[] | undefined {
  if (basename(command[0] ?? '') === 'haproxy') return command;
  const piped =
    command[0] === 'sh' && command[1] === '-c'
      ? /^(?:cat|head -c \d+) \| (haproxy( [^|;&$`]*)?)$/.exec(command[2] ?? '')
      : null;
  return piped?.[1]?.split(' ');
}

/**
 * The file the container's haproxy loads: its `-f`. Without command and args the image's CMD runs;
 * arguments starting with "-" go to haproxy, as the image's entrypoint does it.
 */
function haproxyConfigPath(spec: Container): string {
  const args = spec.args ?? IMAGE_COMMAND;
  const argv = spec.command
    ? [...spec.command, ...(spec.args ?? [])]
    : args[0]?.startsWith('-')
      ? ['haproxy', ...args]
      : args;
  const f = argv.indexOf('-f');
  return (
    (basename(argv[0] ?? '') === 'haproxy' && f >= 0 ? argv[f + 1] : undefined) ?? DEFAULT_HAPROXY_CONFIG
  );
}

async function readAll(stream: Readable | undefined): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream ?? []) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const describe = (pod: PodRef) =>
  typeof pod === 'string' ? pod : `${pod.metadata.namespace}/${pod.metadata.name}`;
