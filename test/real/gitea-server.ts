/**
 * A real Gitea (v1.26.0, built from test/real/gitea/go.mod), one object owning its process: sqlite in
 * a folder of its own, INSTALL_LOCK (no installer), an admin made with `gitea admin user create` and an
 * API token for it, listening on loopback. It sends webhooks from the host, as GitHub sends from the
 * internet: `[webhook] ALLOWED_HOST_LIST` admits loopback and the real control plane's Node, pod and
 * load balancer networks (Gitea refuses private addresses by default). stop() and every exit path leave no process
 * and no folder behind; a Gitea whose owner was killed with SIGKILL is cleaned up by the next start.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { basename, isAbsolute, join } from 'node:path';
import { promisify } from 'node:util';
import { alive, type LockRecord, readLock, releaseLock, tryLock, updateLock } from '../support/lock-file.ts';
import { freePort } from '../support/ports.ts';
import { buildGiteaBinaries, findGo, type GiteaBinaries, REAL_DIR } from './binaries.ts';
import { killRecordedProcesses, LEASE_DIR } from './environment.ts';
import { OwnedServer, startOwned } from './owned-server.ts';
import { ManagedProcess } from './processes.ts';
import { httpGet, waitFor } from './wait.ts';

const run = promisify(execFile);
const ADMIN = 'tg-admin';
/**
 * The real control plane's Node (10.244.<i>.0/24), pod (10.245.<i>.0/24) and load balancer
 * (10.246.<i>.0/24: Traefik's address, where a gateway's Ingress is reached) networks, and loopback.
 */
export const DEFAULT_ALLOWED_HOSTS = ['loopback', '10.244.0.0/16', '10.245.0.0/16', '10.246.0.0/16'];
/** Starts that lost their port to another process between freePort() and Gitea's bind. */
const PORT_ATTEMPTS = 3;

export interface RealGiteaOptions {
  binaries?: GiteaBinaries;
  /** What Gitea may send webhooks to ([webhook] ALLOWED_HOST_LIST). */
  allowedHosts?: string[];
  /**
   * A proxy for webhooks to host names matching `hosts` (a glob, e.g. *.hooks.test), which only it
   * resolves: names the tests give gateways' Ingresses. Those names are allowed hosts too.
   */
  webhookProxy?: { url: string; hosts: string };
  /** The deadline for the start (default 2 minutes). */
  timeoutMs?: number;
  log?: (line: string) => void;
}

export interface RealGitea {
  /** http://127.0.0.1:PORT: the server's root, what --api-url takes. */
  url: string;
  /** url + /api/v1 */
  apiUrl: string;
  dir: string;
  /** The pid of `gitea web` (a process group of its own). */
  readonly pid: number;
  /** Its sqlite database, where its own record of each delivery (hook_task) is. */
  database: string;
  admin: { username: string; password: string; token: string };
  /** A user, made with `gitea admin user create`; its password. */
  createUser(name: string, options?: { admin?: boolean; password?: string }): Promise<string>;
  /** An API token of `user` with these scopes (comma-separated, e.g. read:repository, or all). */
  createToken(user: string, scopes: string): Promise<string>;
  stop(): Promise<void>;
}

/** Builds (unless given binaries) and starts Gitea; on failure nothing is left running. */
export async function startRealGitea(options: RealGiteaOptions = {}): Promise<RealGitea> {
  sweepDeadGiteas();
  const binaries = options.binaries ?? (await buildGiteaBinaries({ log: options.log }));
  return startOwned(new GiteaServer(binaries, options), 'Gitea');
}

/** The folder Go's module cache holds Gitea's sources in: its templates and options serve the API. */
async function moduleDir(): Promise<string> {
  const { stdout } = await run(findGo(), ['list', '-m', '-f', '{{.Dir}}', 'code.gitea.io/gitea'], {
    cwd: join(REAL_DIR, 'gitea'),
  });
  return stdout.trim();
}

function appIni(
  dir: string,
  port: number,
  staticRoot: string,
  options: RealGiteaOptions,
  internalToken: string,
): string {
  const proxy = options.webhookProxy;
  const allowedHosts = [...(options.allowedHosts ?? DEFAULT_ALLOWED_HOSTS), ...(proxy ? [proxy.hosts] : [])];
  return `APP_NAME = trigger-gateway tests
RUN_MODE = prod
RUN_USER = ${process.env.USER ?? 'root'}
I_AM_BEING_UNSAFE_RUNNING_AS_ROOT = true
WORK_PATH = ${dir}

[server]
PROTOCOL = http
HTTP_ADDR = 127.0.0.1
HTTP_PORT = ${port}
ROOT_URL = http://127.0.0.1:${port}/
DISABLE_SSH = true
START_SSH_SERVER = false
OFFLINE_MODE = true
LFS_START_SERVER = false
STATIC_ROOT_PATH = ${staticRoot}
APP_DATA_PATH = ${join(dir, 'data')}

[database]
DB_TYPE = sqlite3
PATH = ${join(dir, 'data', 'gitea.db')}

[repository]
ROOT = ${join(dir, 'repositories')}

[security]
INSTALL_LOCK = true
SECRET_KEY = ${randomBytes(32).toString('hex')}
INTERNAL_TOKEN = ${internalToken}

[service]
DISABLE_REGISTRATION = true

[webhook]
ALLOWED_HOST_LIST = ${allowedHosts.join(',')}
${proxy ? `PROXY_URL = ${proxy.url}\nPROXY_HOSTS = ${proxy.hosts}\n` : ''}
[log]
MODE = console
LEVEL = info
ROOT_PATH = ${join(dir, 'log')}

[session]
PROVIDER = memory

[cache]
ADAPTER = memory

[queue]
TYPE = channel

[indexer]
ISSUE_INDEXER_TYPE = db
REPO_INDEXER_ENABLED = false

[cron]
ENABLED = false

[mailer]
ENABLED = false

[actions]
ENABLED = false

[oauth2]
ENABLED = false
`;
}

class GiteaServer extends OwnedServer implements RealGitea {
  readonly database: string;
  url = '';
  apiUrl = '';
  admin = { username: ADMIN, password: randomBytes(12).toString('hex'), token: '' };

  constructor(
    private readonly binaries: GiteaBinaries,
    private readonly options: RealGiteaOptions,
    lease = join(LEASE_DIR, `gitea-${process.pid}-${randomBytes(4).toString('hex')}.lock`),
  ) {
    super(mkdtempSync(join(tmpdir(), 'tgr-gitea-')), lease);
    this.database = join(this.dir, 'data', 'gitea.db');
    mkdirSync(LEASE_DIR, { recursive: true });
    tryLock(this.lease);
    updateLock(this.lease, { dir: this.dir, pids: [] });
  }

  get pid(): number {
    return this.process?.pid ?? -1;
  }

  private get config(): string {
    return join(this.dir, 'app.ini');
  }

  async createUser(name: string, options: { admin?: boolean; password?: string } = {}): Promise<string> {
    const password = options.password ?? randomBytes(12).toString('hex');
    await this.runAdmin([
      'user',
      'create',
      ...(options.admin ? ['--admin'] : []),
      '--username',
      name,
      '--password',
      password,
      '--email',
      `${name}@example.com`,
      '--must-change-password=false',
    ]);
    return password;
  }

  async createToken(user: string, scopes: string): Promise<string> {
    const name = `token-${randomBytes(4).toString('hex')}`;
    const output = await this.runAdmin([
      'user',
      'generate-access-token',
      '--username',
      user,
      '--token-name',
      name,
      '--scopes',
      scopes,
      '--raw',
    ]);
    // Gitea's warning about running as root comes first, on stdout too.
    return output.trim().split('\n').at(-1) ?? '';
  }

  private async runAdmin(args: string[]): Promise<string> {
    const { stdout } = await run(
      this.binaries.gitea,
      ['admin', ...args, '--config', this.config, '--work-path', this.dir],
      {
        timeout: 60_000,
      },
    );
    return stdout;
  }

  async start(): Promise<void> {
    const timeoutMs = this.options.timeoutMs ?? 120_000;
    const deadline = Date.now() + timeoutMs;
    const started = performance.now();
    const staticRoot = await moduleDir();
    const gitea = (args: string[]) =>
      run(this.binaries.gitea, [...args, '--config', this.config, '--work-path', this.dir], {
        timeout: 60_000,
      });
    const internalToken = (
      await run(this.binaries.gitea, ['generate', 'secret', 'INTERNAL_TOKEN'])
    ).stdout.trim();
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      writeFileSync(this.config, appIni(this.dir, port, staticRoot, this.options, internalToken));
      if (attempt === 1) {
        // The schema, the admin and its token, before the server opens: no wait on it for them.
        await gitea(['migrate']);
        await this.createUser(ADMIN, { admin: true, password: this.admin.password });
        this.admin.token = await this.createToken(ADMIN, 'all');
      }
      this.process = new ManagedProcess(
        'gitea',
        this.binaries.gitea,
        ['web', '--config', this.config, '--work-path', this.dir],
        {
          logPath: join(this.dir, 'gitea.log'),
          cwd: this.dir,
        },
      );
      updateLock(this.lease, { dir: this.dir, pids: [this.process.pid] });
      this.url = `http://127.0.0.1:${port}`;
      this.apiUrl = `${this.url}/api/v1`;
      try {
        await waitFor(
          `Gitea at ${this.url} to be ready`,
          async () => ((await httpGet(`${this.url}/api/healthz`, {})).status === 200 ? true : undefined),
          { timeoutMs: Math.max(deadline - Date.now(), 1000), processes: [this.process], intervalMs: 100 },
        );
        break;
      } catch (error) {
        const lostPort = !this.process.running && /address already in use/.test(this.process.tail(20));
        if (!lostPort || attempt >= PORT_ATTEMPTS) throw error;
      }
    }
    this.options.log?.(`Gitea is up at ${this.url} (${((performance.now() - started) / 1000).toFixed(1)}s)`);
  }
}

/** Removes what Giteas whose owners died left behind: their processes and folders. */
export function sweepDeadGiteas(): void {
  mkdirSync(LEASE_DIR, { recursive: true });
  const cleanUp = (lock: LockRecord) => {
    const record = lock as LockRecord & { dir?: string; pids?: number[] };
    killRecordedProcesses(record);
    // Only a folder this module made (under a test run's TMPDIR, which may have ended since).
    if (record.dir && isAbsolute(record.dir) && basename(record.dir).startsWith('tgr-gitea-'))
      rmSync(record.dir, { recursive: true, force: true, maxRetries: 3 });
  };
  for (const file of readdirSync(LEASE_DIR)) {
    if (!/^gitea-.*\.lock$/.test(file)) continue;
    const path = join(LEASE_DIR, file);
    const record = readLock(path);
    if (record && !alive(record.pid) && tryLock(path, cleanUp)) releaseLock(path);
  }
}
