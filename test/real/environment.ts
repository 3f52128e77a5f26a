/**
 * A real Kubernetes control plane, one object owning every process (controller-runtime's envtest
 * Environment is the model): etcd, kube-apiserver, kube-controller-manager and kube-scheduler
 * built from test/real/go.mod, configured like a kubeadm cluster (TLS everywhere, Node and RBAC
 * authorization, NodeRestriction and the default admission plugins), and our node agent running
 * inside the network namespace of the Node. stop() and every exit path leave nothing behind: no
 * process, network namespace, link or route.
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RealBinaries, REAL_DIR, buildRealBinaries } from './binaries.ts';
import { type RealUser, writeRealKubeconfig } from './kubeconfig.ts';
import { type LockRecord, alive, readLock, releaseLock, tryLock, updateLock } from '../support/lock-file.ts';
import { machineTempDir } from '../support/run-temp-dir.ts';
import {
  FIRST_INDEX,
  LAST_INDEX,
  type NodeNetwork,
  CLUSTER_DNS_IP,
  SERVICE_CIDR,
  addressesUsedElsewhere,
  checkNetworkPrerequisites,
  createNodeNetwork,
  nodeNetwork,
  removeNodeNetwork,
} from './network.ts';
import type { EtcdConnection } from './etcd.ts';
import { ManagedProcess } from './processes.ts';
import { httpGet, httpSend, waitFor } from './wait.ts';

export const NODE_AGENT = join(REAL_DIR, 'node-agent', 'main.ts');

/** Instance i's servers listen on INSTANCE_PORTS_BASE + i × PORTS_PER_INSTANCE + their offset. */
const INSTANCE_PORTS_BASE = 20_000;
const PORTS_PER_INSTANCE = 10;
const PORT_OFFSETS = {
  apiServer: 0,
  etcdClient: 1,
  etcdPeer: 2,
  etcdMetrics: 3,
  controllerManager: 4,
  scheduler: 5,
} as const;
const REPO_ROOT = join(REAL_DIR, '..', '..');
export const LEASE_DIR = existsSync('/run')
  ? '/run/trigger-gateway-real'
  : join(machineTempDir(), 'trigger-gateway-real');
const KUBELET_PORT = 10250;
const STOP_GRACE_MS = 15_000;

export interface RealControlPlaneOptions {
  /** Start the node agent, which registers the Node and runs pods (default true). */
  node?: boolean;
  /** The node agent's entry point (test/real/node-agent/main.ts). */
  nodeAgent?: string;
  nodeName?: string;
  /** The programs to run; built with buildRealBinaries() when not given. */
  binaries?: RealBinaries;
  /** The state folder, kept after stop(); by default a temporary folder that stop() removes. */
  dir?: string;
  /** The deadline for the whole start (default 4 minutes: two shared cores start slowly). */
  timeoutMs?: number;
  /** Progress lines. */
  log?: (line: string) => void;
}

export interface WriteKubeconfigOptions {
  context?: string;
  namespace?: string;
  /** A bearer token instead of the admin client certificate. */
  token?: string;
}

export interface RealControlPlane {
  /** https://127.0.0.1:PORT */
  url: string;
  /** The cluster CA, PEM. */
  ca: string;
  /** etcd's client URL and a certificate it trusts (the API server's), e.g. to compact it. */
  etcd: EtcdConnection;
  dir: string;
  nodeName: string;
  /** The leased instance index: the network namespace is tgr-<index>. */
  index: number;
  network: NodeNetwork;
  /** The pid of every process started, by name. */
  processes(): { name: string; pid: number }[];
  writeKubeconfig(path: string, options?: WriteKubeconfigOptions): string;
  stop(): Promise<void>;
}

/** Builds (unless given binaries) and starts a control plane; on failure nothing is left running. */
export async function startRealControlPlane(
  options: RealControlPlaneOptions = {},
): Promise<RealControlPlane> {
  const node = options.node ?? true;
  const nodeAgent = options.nodeAgent ?? NODE_AGENT;
  if (node && !existsSync(nodeAgent)) {
    throw new Error(
      `the node agent ${nodeAgent} does not exist, so no Node can run pods; start with { node: false } for a control plane without one`,
    );
  }
  checkNetworkPrerequisites();
  const binaries = options.binaries ?? (await buildRealBinaries({ log: options.log }));
  const environment = new Environment(binaries, { ...options, node, nodeAgent });
  try {
    await environment.start();
  } catch (error) {
    await environment.stop({ keepDir: true });
    throw new Error(`${(error as Error).message}\n(the logs are in ${environment.dir})`, { cause: error });
  }
  return environment;
}

type ResolvedOptions = RealControlPlaneOptions & { node: boolean; nodeAgent: string };

class Environment implements RealControlPlane {
  readonly index: number;
  readonly network: NodeNetwork;
  readonly dir: string;
  readonly nodeName: string;
  url = '';
  ca = '';
  etcd: EtcdConnection = { url: '', ca: '', cert: '', key: '' };
  private readonly ownsDir: boolean;
  private readonly leasePath: string;
  private readonly children: ManagedProcess[] = [];
  private stopping: Promise<void> | undefined;
  private deadline = 0;

  constructor(
    private readonly binaries: RealBinaries,
    private readonly options: ResolvedOptions,
  ) {
    this.nodeName = options.nodeName ?? 'tg-node';
    const lease = leaseIndex(options);
    this.index = lease.index;
    this.leasePath = lease.path;
    this.network = nodeNetwork(this.index);
    this.ownsDir = options.dir === undefined;
    this.dir = options.dir ?? mkdtempSync(join(tmpdir(), `tgr-real-${this.index}-`));
    mkdirSync(this.dir, { recursive: true });
    live.add(this);
    installExitHooks();
    this.record();
  }

  processes(): { name: string; pid: number }[] {
    return this.children.map((child) => ({ name: child.name, pid: child.pid }));
  }

  async start(): Promise<void> {
    this.deadline = Date.now() + (this.options.timeoutMs ?? 240_000);
    createNodeNetwork(this.network);
    await this.run('pki', this.binaries.pki, [
      `--dir=${this.pki('')}`,
      `--node-name=${this.nodeName}`,
      `--node-ip=${this.network.nodeIP}`,
      `--advertise-address=${this.network.hostIP}`,
    ]);
    this.ca = readFileSync(this.pki('ca.crt'), 'utf8');
    const etcd = await this.startEtcd();
    const apiServerPort = this.port('apiServer');
    this.url = `https://127.0.0.1:${apiServerPort}`;
    await this.startApiServer(apiServerPort, etcd);
    await Promise.all([this.startControllerManager(), this.startScheduler()]);
    if (this.options.node) await this.startNodeAgent(apiServerPort);
  }

  writeKubeconfig(path: string, options: WriteKubeconfigOptions = {}): string {
    const user: RealUser = options.token ? { token: options.token } : this.clientCertificate('admin');
    return writeRealKubeconfig(path, { url: this.url, ca: this.ca }, user, options);
  }

  stop(options: { keepDir?: boolean } = {}): Promise<void> {
    this.stopping ??= this.stopAll(options.keepDir ?? false);
    return this.stopping;
  }

  /** For process exit: kills every process group and removes the network, synchronously. */
  killNow(): void {
    for (const child of this.children) child.killNow();
    removeNodeNetwork(this.network);
    if (this.ownsDir) rmSync(this.dir, { recursive: true, force: true, maxRetries: 3 });
    releaseLock(this.leasePath);
    live.delete(this);
  }

  private async stopAll(keepDir: boolean): Promise<void> {
    try {
      // The reverse of the start: the Node first, etcd last.
      const byName = (name: string) => this.children.filter((child) => child.name === name);
      for (const group of [
        ['node-agent'],
        ['kube-scheduler', 'kube-controller-manager'],
        ['kube-apiserver'],
        ['etcd'],
      ]) {
        await Promise.all(group.flatMap(byName).map((child) => child.stop(STOP_GRACE_MS)));
      }
      for (const child of this.children) child.killNow();
      removeNodeNetwork(this.network);
      if (this.ownsDir && !keepDir) rmSync(this.dir, { recursive: true, force: true, maxRetries: 3 });
    } finally {
      releaseLock(this.leasePath);
      live.delete(this);
    }
  }

  private pki(file: string): string {
    return join(this.dir, 'pki', file);
  }

  private clientCertificate(name: string): { cert: string; key: string } {
    return {
      cert: readFileSync(this.pki(`${name}.crt`), 'utf8'),
      key: readFileSync(this.pki(`${name}.key`), 'utf8'),
    };
  }

  private timeLeft(): number {
    return Math.max(this.deadline - Date.now(), 1000);
  }

  /** Records what a process that takes this lease over after our death must clean up. */
  private record(): void {
    recordLease(this.leasePath, {
      index: this.index,
      dir: this.dir,
      ownsDir: this.ownsDir,
      pids: this.children.map((child) => child.pid),
    });
  }

  private spawn(name: string, command: string, args: string[], stdinPipe = false): ManagedProcess {
    // A signal can stop the control plane while it starts: nothing more starts after that.
    if (this.stopping) throw new Error(`the control plane was stopped before ${name} started`);
    const child = new ManagedProcess(name, command, args, {
      logPath: join(this.dir, `${name}.log`),
      cwd: REPO_ROOT,
      stdinPipe,
    });
    this.children.push(child);
    this.record();
    return child;
  }

  /** Runs a program to its end; fails with its output unless it exits 0. */
  private async run(name: string, command: string, args: string[]): Promise<void> {
    const child = this.spawn(name, command, args);
    await waitFor(`${name} to finish`, async () => (child.running ? undefined : true), {
      timeoutMs: this.timeLeft(),
    });
    if (child.exitCode !== 0) throw new Error(child.describeExit());
  }

  private async waitHealthy(
    child: ManagedProcess,
    url: string,
    tls: Parameters<typeof httpGet>[1],
  ): Promise<void> {
    const started = performance.now();
    await waitFor(
      `${child.name} at ${url}`,
      async () => {
        const answer = await httpGet(url, tls);
        if (answer.status === 200) return true;
        throw new Error(`${answer.status} ${answer.body.trim().split('\n').slice(-5).join(' ')}`);
      },
      { timeoutMs: this.timeLeft(), processes: [child] },
    );
    this.options.log?.(`${child.name} is up (${((performance.now() - started) / 1000).toFixed(1)}s)`);
  }

  /** The port of one of this instance's servers, from its leased index. */
  private port(server: keyof typeof PORT_OFFSETS): number {
    return instancePort(this.index, PORT_OFFSETS[server]);
  }

  private async startEtcd(): Promise<string> {
    const [client, peer, metrics] = [
      this.port('etcdClient'),
      this.port('etcdPeer'),
      this.port('etcdMetrics'),
    ];
    const clientURL = `https://127.0.0.1:${client}`;
    const peerURL = `https://127.0.0.1:${peer}`;
    const etcd = this.spawn('etcd', this.binaries.etcd, [
      '--name=tg',
      `--data-dir=${join(this.dir, 'etcd')}`,
      `--listen-client-urls=${clientURL}`,
      `--advertise-client-urls=${clientURL}`,
      `--listen-peer-urls=${peerURL}`,
      `--initial-advertise-peer-urls=${peerURL}`,
      `--initial-cluster=tg=${peerURL}`,
      '--initial-cluster-state=new',
      `--listen-metrics-urls=http://127.0.0.1:${metrics}`,
      // As kubeadm runs it: TLS with client certificates from the etcd CA only.
      `--cert-file=${this.pki('etcd-server.crt')}`,
      `--key-file=${this.pki('etcd-server.key')}`,
      `--trusted-ca-file=${this.pki('etcd-ca.crt')}`,
      '--client-cert-auth=true',
      `--peer-cert-file=${this.pki('etcd-server.crt')}`,
      `--peer-key-file=${this.pki('etcd-server.key')}`,
      `--peer-trusted-ca-file=${this.pki('etcd-ca.crt')}`,
      '--peer-client-cert-auth=true',
    ]);
    await this.waitHealthy(etcd, `http://127.0.0.1:${metrics}/readyz`, {});
    this.etcd = {
      url: clientURL,
      ca: this.pki('etcd-ca.crt'),
      cert: this.pki('apiserver-etcd-client.crt'),
      key: this.pki('apiserver-etcd-client.key'),
    };
    return clientURL;
  }

  private async startApiServer(port: number, etcd: string): Promise<void> {
    const apiServer = this.spawn('kube-apiserver', this.binaries.kubeApiserver, [
      '--bind-address=0.0.0.0',
      `--secure-port=${port}`,
      `--advertise-address=${this.network.hostIP}`,
      `--tls-cert-file=${this.pki('apiserver.crt')}`,
      `--tls-private-key-file=${this.pki('apiserver.key')}`,
      `--client-ca-file=${this.pki('ca.crt')}`,
      `--etcd-servers=${etcd}`,
      `--etcd-cafile=${this.pki('etcd-ca.crt')}`,
      `--etcd-certfile=${this.pki('apiserver-etcd-client.crt')}`,
      `--etcd-keyfile=${this.pki('apiserver-etcd-client.key')}`,
      '--authorization-mode=Node,RBAC',
      '--enable-admission-plugins=NodeRestriction',
      // As kubeadm sets it: Pod Security admission, not a blanket ban, decides about privileged pods.
      '--allow-privileged=true',
      `--service-cluster-ip-range=${SERVICE_CIDR}`,
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      `--service-account-key-file=${this.pki('sa.pub')}`,
      `--service-account-signing-key-file=${this.pki('sa.key')}`,
      `--kubelet-client-certificate=${this.pki('apiserver-kubelet-client.crt')}`,
      `--kubelet-client-key=${this.pki('apiserver-kubelet-client.key')}`,
      `--kubelet-certificate-authority=${this.pki('ca.crt')}`,
      '--kubelet-preferred-address-types=InternalIP',
      `--cert-dir=${join(this.dir, 'kube-apiserver')}`,
      // Secrets (which the plugin never watches) are watched straight from etcd, without the watch
      // cache, so that a test can see the real 410 Gone of a watch from a compacted resourceVersion.
      '--watch-cache-sizes=secrets#0',
    ]);
    await this.waitHealthy(apiServer, `${this.url}/readyz`, {
      ca: this.ca,
      ...this.clientCertificate('admin'),
    });
  }

  /** A kubeconfig for a component's client certificate, at the loopback address. */
  private componentKubeconfig(name: string): string {
    return writeRealKubeconfig(
      join(this.dir, `${name}.kubeconfig`),
      { url: this.url, ca: this.ca },
      this.clientCertificate(name),
      {
        context: name,
      },
    );
  }

  private async startControllerManager(): Promise<void> {
    const port = this.port('controllerManager');
    const kubeconfig = this.componentKubeconfig('controller-manager');
    const controllerManager = this.spawn('kube-controller-manager', this.binaries.kubeControllerManager, [
      `--kubeconfig=${kubeconfig}`,
      `--authentication-kubeconfig=${kubeconfig}`,
      `--authorization-kubeconfig=${kubeconfig}`,
      '--bind-address=127.0.0.1',
      `--secure-port=${port}`,
      `--cert-dir=${join(this.dir, 'kube-controller-manager')}`,
      '--use-service-account-credentials=true',
      `--service-account-private-key-file=${this.pki('sa.key')}`,
      `--root-ca-file=${this.pki('ca.crt')}`,
      `--cluster-signing-cert-file=${this.pki('ca.crt')}`,
      `--cluster-signing-key-file=${this.pki('ca.key')}`,
      '--leader-elect=false',
      '--controllers=*',
      // The Node gets its pod range from the node IPAM controller, as in a kubeadm cluster.
      '--allocate-node-cidrs=true',
      `--cluster-cidr=${this.network.podCIDR}`,
      '--node-cidr-mask-size=24',
      `--service-cluster-ip-range=${SERVICE_CIDR}`,
    ]);
    // Its serving certificate is self-signed; kubeadm's probes do not verify it either.
    await this.waitHealthy(controllerManager, `https://127.0.0.1:${port}/healthz`, { insecure: true });
  }

  private async startScheduler(): Promise<void> {
    const port = this.port('scheduler');
    const kubeconfig = this.componentKubeconfig('scheduler');
    const scheduler = this.spawn('kube-scheduler', this.binaries.kubeScheduler, [
      `--kubeconfig=${kubeconfig}`,
      `--authentication-kubeconfig=${kubeconfig}`,
      `--authorization-kubeconfig=${kubeconfig}`,
      '--bind-address=127.0.0.1',
      `--secure-port=${port}`,
      `--cert-dir=${join(this.dir, 'kube-scheduler')}`,
      '--leader-elect=false',
    ]);
    await this.waitHealthy(scheduler, `https://127.0.0.1:${port}/healthz`, { insecure: true });
  }

  /**
   * A token of kube-system/service-controller, the cloud-provider service controller's account,
   * which Kubernetes' bootstrap RBAC lets write services/status: the node agent gives LoadBalancer
   * Services their addresses with it, as a cloud controller manager (or MetalLB's) would.
   */
  private async serviceControllerToken(): Promise<string> {
    const admin = { ca: this.ca, ...this.clientCertificate('admin') };
    const accounts = `${this.url}/api/v1/namespaces/kube-system/serviceaccounts`;
    return waitFor(
      'a token of the service controller',
      async () => {
        const made = await httpSend(
          'POST',
          accounts,
          {
            apiVersion: 'v1',
            kind: 'ServiceAccount',
            metadata: { name: 'service-controller', namespace: 'kube-system' },
          },
          admin,
        );
        if (made.status !== 201 && made.status !== 409)
          throw new Error(`create serviceaccount: ${made.status} ${made.body}`);
        const answer = await httpSend(
          'POST',
          `${accounts}/service-controller/token`,
          {
            apiVersion: 'authentication.k8s.io/v1',
            kind: 'TokenRequest',
            spec: { expirationSeconds: 7 * 24 * 3600 },
          },
          admin,
        );
        if (answer.status !== 201) throw new Error(`token request: ${answer.status} ${answer.body}`);
        return (JSON.parse(answer.body) as { status: { token: string } }).status.token;
      },
      { timeoutMs: this.timeLeft() },
    );
  }

  private async startNodeAgent(apiServerPort: number): Promise<void> {
    const state = join(this.dir, 'node-agent');
    mkdirSync(state, { recursive: true });
    const pair = (name: string) => ({ cert: this.pki(`${name}.crt`), key: this.pki(`${name}.key`) });
    const config = join(state, 'config.json');
    writeFileSync(
      config,
      JSON.stringify(
        {
          index: this.index,
          nodeName: this.nodeName,
          nodeIP: this.network.nodeIP,
          podCIDR: this.network.podCIDR,
          loadBalancerCIDR: this.network.loadBalancerCIDR,
          clusterDNS: CLUSTER_DNS_IP,
          apiServer: `https://${this.network.hostIP}:${apiServerPort}`,
          ca: this.pki('ca.crt'),
          node: pair('node'),
          proxy: pair('kube-proxy'),
          serviceController: { token: await this.serviceControllerToken() },
          serving: pair('kubelet'),
          // The CA that signed the API server's kubelet client certificate.
          kubeletClientCA: this.pki('ca.crt'),
          kubeletPort: KUBELET_PORT,
          bin: this.binaries.dir,
          dir: state,
        },
        null,
        2,
      ),
    );
    // nsenter rather than `ip netns exec`: the agent stays in the host's mount namespace, so the pod
    // network namespaces it adds are seen (and cleaned up) from the host like the node's own.
    const agent = this.spawn(
      'node-agent',
      'nsenter',
      [
        `--net=/run/netns/${this.network.netns}`,
        process.execPath,
        '--import',
        'tsx',
        this.options.nodeAgent,
        '--config',
        config,
      ],
      true,
    );
    const started = performance.now();
    const tls = { ca: this.ca, ...this.clientCertificate('admin') };
    await waitFor(
      `the Node ${this.nodeName} to be Ready`,
      async () => {
        const answer = await httpGet(`${this.url}/api/v1/nodes/${this.nodeName}`, tls);
        if (answer.status !== 200) throw new Error(`GET node: ${answer.status}`);
        const conditions = (
          JSON.parse(answer.body) as { status?: { conditions?: { type: string; status: string }[] } }
        ).status?.conditions;
        return conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? true : undefined;
      },
      { timeoutMs: this.timeLeft(), processes: [agent] },
    );
    this.options.log?.(
      `the Node ${this.nodeName} is Ready (${((performance.now() - started) / 1000).toFixed(1)}s)`,
    );
  }
}

/**
 * Leases the lowest free instance index. First every lease whose holder died is taken over and
 * cleaned (its processes, network and temporary folder), whatever its index.
 */
export function leaseIndex(options: { log?: (line: string) => void }): { index: number; path: string } {
  sweepDeadLeases();
  for (let index = FIRST_INDEX; index <= LAST_INDEX; index++) {
    if (!tryLock(leasePath(index), cleanUpAfter(index))) continue;
    const usedElsewhere = addressesUsedElsewhere(nodeNetwork(index));
    if (usedElsewhere === undefined) return { index, path: leasePath(index) };
    options.log?.(`skipping index ${index}, whose addresses are in use: ${usedElsewhere}`);
    releaseLock(leasePath(index));
  }
  throw new Error(`all ${LAST_INDEX} real control plane indexes are taken (leases in ${LEASE_DIR})`);
}

export const leasePath = (index: number) => join(LEASE_DIR, `${index}.lock`);

/**
 * The port of one of a leased instance's servers (a Kubernetes control plane's or a kcp's). They lie
 * below the kernel's ephemeral range (32768 and up), so no port another process is handed can take
 * one between our choosing it and the server binding it, as happened with ports picked free.
 */
export function instancePort(index: number, offset: number): number {
  return INSTANCE_PORTS_BASE + index * PORTS_PER_INSTANCE + offset;
}

/** What a lease records for whoever takes it over after its holder died. */
interface LeaseRecord extends LockRecord {
  index?: number;
  dir?: string;
  ownsDir?: boolean;
  pids?: number[];
}

/** Writes what a process that takes the lease over after its holder's death must clean up. */
export function recordLease(path: string, record: Omit<LeaseRecord, 'pid'>): void {
  updateLock(path, record);
}

/** Takes over every lease whose holder died, cleans up after it, and lets it go. */
export function sweepDeadLeases(): void {
  mkdirSync(LEASE_DIR, { recursive: true });
  for (const file of readdirSync(LEASE_DIR)) {
    const index = Number.parseInt(file, 10);
    if (file !== `${index}.lock`) continue;
    const record = readLock(leasePath(index));
    if (record && !alive(record.pid) && tryLock(leasePath(index), cleanUpAfter(index)))
      releaseLock(leasePath(index));
  }
}

/**
 * Kills the process groups a dead holder recorded, those still running a command line that names its
 * folder: the pid may have been reused since.
 */
export function killRecordedProcesses(record: { pids?: number[]; dir?: string }): void {
  for (const pid of record.pids ?? []) {
    let commandLine = '';
    try {
      commandLine = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    if (!record.dir || !commandLine.includes(record.dir)) continue;
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // Gone meanwhile.
    }
  }
}

/**
 * Removes what a dead holder of the index left: its processes, its network, its temporary folder. A
 * kcp's lease has no network; removing one that is not there does nothing.
 */
function cleanUpAfter(index: number): (lock: LockRecord) => void {
  return (lock) => {
    const record = lock as LeaseRecord;
    killRecordedProcesses(record);
    removeNodeNetwork(nodeNetwork(index));
    if (record.ownsDir && record.dir) rmSync(record.dir, { recursive: true, force: true, maxRetries: 3 });
  };
}

/** What the exit hooks stop: every real control plane (Kubernetes or kcp) still running. */
export interface StoppedOnExit {
  /** Synchronous, for process exit. */
  killNow(): void;
  stop(): Promise<void>;
}

const live = new Set<StoppedOnExit>();
let hooksInstalled = false;

/** Stops `owner` on every way out of this process, until `stop()` removes it with forgetOnExit. */
export function stopOnExit(owner: StoppedOnExit): void {
  live.add(owner);
  installExitHooks();
}

export function forgetOnExit(owner: StoppedOnExit): void {
  live.delete(owner);
}

/**
 * A Node parent cannot make its children die with it (no PR_SET_PDEATHSIG), so: on exit (normal,
 * process.exit, an uncaught exception) every process group is killed and the network removed
 * synchronously; on SIGINT, SIGTERM and SIGHUP everything is stopped, then the signal is raised
 * again unless someone else listens for it. A holder killed with SIGKILL is cleaned up after by
 * the next start (see leaseIndex).
 */
function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', () => {
    for (const environment of live) environment.killNow();
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = () => {
      void Promise.allSettled([...live].map((environment) => environment.stop())).then(() => {
        if (process.listenerCount(signal) > 1) return;
        process.off(signal, onSignal);
        process.kill(process.pid, signal);
      });
    };
    process.on(signal, onSignal);
  }
}
