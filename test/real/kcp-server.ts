/**
 * A real kcp server (v0.26.0, built from test/real/kcp/go.mod), one object owning its process:
 * `kcp start` with its embedded etcd, in a folder of its own, listening on loopback only (API server
 * and etcd on free ports). It writes admin.kubeconfig in that folder with two users: kcp-admin
 * (subject to kcp's authorization, admin of every workspace) and "user" (an ordinary user, the
 * "user" battery). stop() and every exit path leave no process and no folder behind.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as yaml from 'js-yaml';
import { runExecutable } from '../support/cli.ts';
import { freePort } from '../support/ports.ts';
import { buildKcpBinaries, type KcpBinaries } from './binaries.ts';
import { forgetOnExit, stopOnExit } from './environment.ts';
import { writeRealKubeconfig } from './kubeconfig.ts';
import { ManagedProcess } from './processes.ts';
import { httpGet, waitFor } from './wait.ts';

const STOP_GRACE_MS = 15_000;

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
  const server = new KcpServer(binaries, options);
  try {
    await server.start();
  } catch (error) {
    await server.stop({ keepDir: true });
    throw new Error(`${(error as Error).message}\n(kcp's log and state are in ${server.dir})`, {
      cause: error,
    });
  }
  return server;
}

class KcpServer implements RealKcp {
  readonly dir = mkdtempSync(join(tmpdir(), 'tgr-kcp-'));
  url = '';
  ca = '';
  tokens = { admin: '', user: '' };
  private process: ManagedProcess | undefined;
  private stopping: Promise<void> | undefined;

  constructor(
    private readonly binaries: KcpBinaries,
    private readonly options: RealKcpOptions,
  ) {
    stopOnExit(this);
  }

  async start(): Promise<void> {
    const timeoutMs = this.options.timeoutMs ?? 240_000;
    const deadline = Date.now() + timeoutMs;
    const [port, etcdClient, etcdPeer] = [await freePort(), await freePort(), await freePort()];
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

  stop(options: { keepDir?: boolean } = {}): Promise<void> {
    this.stopping ??= (async () => {
      try {
        await this.process?.stop(STOP_GRACE_MS);
        if (!options.keepDir) rmSync(this.dir, { recursive: true, force: true, maxRetries: 3 });
      } finally {
        forgetOnExit(this);
      }
    })();
    return this.stopping;
  }

  killNow(): void {
    this.process?.killNow();
    rmSync(this.dir, { recursive: true, force: true, maxRetries: 3 });
    forgetOnExit(this);
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
