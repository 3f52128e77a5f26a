/**
 * A real kcp server (v0.26.0, built from test/real/kcp/go.mod), one object owning its process:
 * `kcp start` with its embedded etcd, in a folder of its own, listening on loopback only (API server
 * and etcd on the ports of an instance index it leases, as the Kubernetes control plane does). It writes admin.kubeconfig in that folder with two users: kcp-admin
 * (subject to kcp's authorization, admin of every workspace) and "user" (an ordinary user, the
 * "user" battery). stop() and every exit path leave no process and no folder behind.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as yaml from 'js-yaml';
import { runExecutable } from '../support/cli.ts';
import { buildKcpBinaries, type KcpBinaries } from './binaries.ts';
import { instancePort, leaseIndex, recordLease } from './environment.ts';
import { OwnedServer, startOwned } from './owned-server.ts';
import { writeRealKubeconfig } from './kubeconfig.ts';
import { ManagedProcess } from './processes.ts';
import { httpGet, waitFor } from './wait.ts';

export interface RealKcpOptions {
  binaries?: KcpBinaries;
  /** The deadline for the start (default 4 minutes: two shared cores start slowly). */
  timeoutMs?: number;
  log?: (line: string) => void;
}

export interface KcpKubeconfigOptions {
  /** The workspace the context points at, e.g. 'root:org' (default root). */
  workspace?: string;
  /** 'admin' (kcp-admin, the default) or 'user' (an ordinary user). */
  user?: 'admin' | 'user';
  context?: string;
  namespace?: string;
}

export interface RealKcp {
  /** The leased instance index, which its ports and lease file follow. */
  index: number;
  /** https://127.0.0.1:PORT, without /clusters/… */
  url: string;
  /** The server's CA, PEM. */
  ca: string;
  dir: string;
  /** The bearer tokens of kcp-admin and of the ordinary "user". */
  tokens: { admin: string; user: string };
  /** The URL of a workspace, as kubectl ws writes it: <url>/clusters/<path>. */
  workspaceUrl(path: string): string;
  writeKubeconfig(path: string, options?: KcpKubeconfigOptions): string;
  stop(): Promise<void>;
}

interface AdminKubeconfig {
  clusters: Array<{ name: string; cluster: { server: string; 'certificate-authority-data': string } }>;
  users: Array<{ name: string; user: { token: string } }>;
}

/** Builds (unless given binaries) and starts kcp; on failure nothing is left running. */
export async function startRealKcp(options: RealKcpOptions = {}): Promise<RealKcp> {
  const binaries = options.binaries ?? (await buildKcpBinaries({ log: options.log }));
  return startOwned(new KcpServer(binaries, options, leaseIndex(options)), 'kcp');
}

/** kcp's servers among its instance's ports. */
const PORT_OFFSETS = { apiServer: 0, etcdClient: 1, etcdPeer: 2 } as const;

class KcpServer extends OwnedServer implements RealKcp {
  readonly index: number;
  url = '';
  ca = '';
  tokens = { admin: '', user: '' };

  constructor(
    private readonly binaries: KcpBinaries,
    private readonly options: RealKcpOptions,
    lease: { index: number; path: string },
  ) {
    super(mkdtempSync(join(tmpdir(), `tgr-kcp-${lease.index}-`)), lease.path);
    this.index = lease.index;
    recordLease(this.lease, { index: this.index, dir: this.dir, ownsDir: true, pids: [] });
  }

  async start(): Promise<void> {
    const timeoutMs = this.options.timeoutMs ?? 240_000;
    const deadline = Date.now() + timeoutMs;
    const [port, etcdClient, etcdPeer] = [
      instancePort(this.index, PORT_OFFSETS.apiServer),
      instancePort(this.index, PORT_OFFSETS.etcdClient),
      instancePort(this.index, PORT_OFFSETS.etcdPeer),
    ];
    const started = performance.now();
    this.process = new ManagedProcess(
      'kcp',
      this.binaries.kcp,
      [
        'start',
        `--root-directory=${join(this.dir, 'root')}`,
        '--bind-address=127.0.0.1',
        `--secure-port=${port}`,
        `--embedded-etcd-client-port=${etcdClient}`,
        `--embedded-etcd-peer-port=${etcdPeer}`,
        '--batteries-included=admin,user,workspace-types',
      ],
      { logPath: join(this.dir, 'kcp.log'), cwd: this.dir },
    );
    recordLease(this.lease, {
      index: this.index,
      dir: this.dir,
      ownsDir: true,
      pids: [this.process.pid],
    });
    const adminKubeconfig = join(this.dir, 'root', 'admin.kubeconfig');
    const processes = [this.process];
    const admin = await waitFor(
      `kcp to write ${adminKubeconfig}`,
      async () => (existsSync(adminKubeconfig) ? readAdminKubeconfig(adminKubeconfig) : undefined),
      { timeoutMs, processes },
    );
    this.url = `https://127.0.0.1:${port}`;
    this.ca = admin.ca;
    this.tokens = { admin: admin.tokens['kcp-admin'] ?? '', user: admin.tokens.user ?? '' };
    // Ready: /readyz answers, and root lists its workspace types (the workspace-types battery is in).
    await waitFor(
      `kcp at ${this.url} to be ready`,
      async () => {
        const readyz = await httpGet(`${this.url}/readyz`, { ca: this.ca });
        if (readyz.status !== 200) throw new Error(`/readyz: ${readyz.status} ${readyz.body.slice(-300)}`);
        const types = await kubectlJson(this, 'root', ['get', 'workspacetypes', '-o', 'json']);
        const names = (types.items as Array<{ metadata: { name: string } }>).map((t) => t.metadata.name);
        return names.includes('organization') && names.includes('universal') ? true : undefined;
      },
      { timeoutMs: Math.max(deadline - Date.now(), 1000), processes, intervalMs: 500 },
    );
    this.options.log?.(`kcp is up (${((performance.now() - started) / 1000).toFixed(1)}s)`);
  }

  workspaceUrl(path: string): string {
    return `${this.url}/clusters/${path}`;
  }

  writeKubeconfig(path: string, options: KcpKubeconfigOptions = {}): string {
    const token = options.user === 'user' ? this.tokens.user : this.tokens.admin;
    return writeRealKubeconfig(
      path,
      { url: this.workspaceUrl(options.workspace ?? 'root'), ca: this.ca },
      { token },
      { context: options.context ?? 'kcp', namespace: options.namespace },
    );
  }
}

function readAdminKubeconfig(path: string): { ca: string; tokens: Record<string, string> } | undefined {
  const config = yaml.load(readFileSync(path, 'utf8')) as AdminKubeconfig | undefined;
  const caData = config?.clusters?.find((cluster) => cluster.name === 'root')?.cluster[
    'certificate-authority-data'
  ];
  if (!caData) return undefined;
  const tokens = Object.fromEntries((config?.users ?? []).map((user) => [user.name, user.user.token]));
  return { ca: Buffer.from(caData, 'base64').toString(), tokens };
}

/** `kubectl … -o json` as kcp-admin in a workspace; rejects with kubectl's error. */
export async function kubectlJson(
  kcp: Pick<RealKcp, 'writeKubeconfig' | 'dir'>,
  workspace: string,
  args: string[],
): Promise<Record<string, unknown>> {
  const kubeconfig = kcp.writeKubeconfig(
    join(kcp.dir, 'kubectl', `${workspace.replaceAll(':', '_')}.kubeconfig`),
    { workspace },
  );
  const result = await runExecutable('kubectl', args, { KUBECONFIG: kubeconfig });
  if (result.exitCode !== 0) throw new Error(`kubectl ${args.join(' ')}: ${result.stderr.trim()}`);
  return JSON.parse(result.stdout) as Record<string, unknown>;
}
