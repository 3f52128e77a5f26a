/**
 * Exec credential plugins (client.authentication.k8s.io ExecCredential): the command a kubeconfig user
 * runs for a token or a client certificate (aws eks get-token, gke-gcloud-auth-plugin, kubelogin), run
 * the way kubectl runs it, and its answer kept until it expires.
 */
import type { ChildProcess } from 'node:child_process';
import { ExitCode, GatewayError } from '../errors.ts';

const API_VERSIONS = ['client.authentication.k8s.io/v1', 'client.authentication.k8s.io/v1beta1'];
const INTERACTIVE_MODES = ['Never', 'IfAvailable', 'Always'] as const;
type InteractiveMode = (typeof INTERACTIVE_MODES)[number];

/** The name of the cluster extension whose `extension` reaches the plugin as spec.cluster.config. */
export const EXEC_CLUSTER_EXTENSION = 'client.authentication.k8s.io/exec';

// A credential this close to its expirationTimestamp is renewed before use, not sent to be refused.
const RENEW_BEFORE_EXPIRY_MS = 10_000;

/** A kubeconfig user's `exec` entry, checked. */
export interface ExecConfig {
  apiVersion: string;
  command: string;
  args: string[];
  env: Array<{ name: string; value: string }>;
  installHint?: string | undefined;
  interactiveMode: InteractiveMode;
  provideClusterInfo: boolean;
}

/** spec.cluster, for plugins with provideClusterInfo: the kubeconfig's cluster, as kubectl encodes it. */
export interface ExecClusterInfo {
  server: string;
  'tls-server-name'?: string;
  'insecure-skip-tls-verify'?: boolean;
  /** base64, as []byte is in JSON. */
  'certificate-authority-data'?: string;
  config?: unknown;
}

/** What the plugin answered: a bearer token, a client certificate with its key (PEM), or both. */
export interface IssuedCredential {
  token?: string | undefined;
  cert?: string | undefined;
  key?: string | undefined;
  /** Milliseconds since the epoch; without one the credential serves the whole process. */
  expiresAt?: number | undefined;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Checks a kubeconfig `exec` entry as kubectl does when it loads it; throws what is wrong with it. */
export function parseExecConfig(exec: unknown): ExecConfig {
  if (!isRecord(exec)) throw new Error('its exec entry is not a mapping');
  const { apiVersion, command, args = [], env = [], installHint, interactiveMode } = exec;
  if (typeof apiVersion !== 'string' || !API_VERSIONS.includes(apiVersion)) {
    throw new Error(
      `its exec plugin has apiVersion ${JSON.stringify(apiVersion)}; kubectl and this plugin run ${API_VERSIONS.join(' and ')}`,
    );
  }
  if (typeof command !== 'string' || command === '') throw new Error('its exec entry has no command');
  if (!Array.isArray(args) || !args.every((arg) => typeof arg === 'string'))
    throw new Error('its exec args are not a list of strings');
  if (!Array.isArray(env) || !env.every((entry) => isRecord(entry) && typeof entry.name === 'string'))
    throw new Error('its exec env is not a list of {name, value}');
  // v1 makes the mode explicit; v1beta1 defaults to IfAvailable.
  const mode = interactiveMode ?? (apiVersion.endsWith('/v1beta1') ? 'IfAvailable' : undefined);
  if (!INTERACTIVE_MODES.includes(mode as InteractiveMode)) {
    throw new Error(
      mode === undefined
        ? `its exec plugin (${apiVersion}) has no interactiveMode, which that version requires (Never, IfAvailable or Always)`
        : `its exec interactiveMode ${JSON.stringify(mode)} is not Never, IfAvailable or Always`,
    );
  }
  return {
    apiVersion,
    command,
    args: args as string[],
    env: (env as Array<{ name: string; value?: unknown }>).map(({ name, value }) => ({
      name,
      value: value === undefined || value === null ? '' : String(value),
    })),
    installHint:
      typeof installHint === 'string' && installHint.trim() !== '' ? installHint.trim() : undefined,
    interactiveMode: mode as InteractiveMode,
    provideClusterInfo: exec.provideClusterInfo === true,
  };
}

/** Where the plugin meets the terminal; a seam for tests (a vitest worker's stdin is what it is). */
export interface PluginTerminal {
  stdinIsTerminal(): boolean;
}

const processTerminal: PluginTerminal = {
  stdinIsTerminal: () => process.getBuiltinModule('node:tty').isatty(0),
};

/**
 * One kubeconfig user's plugin, run at most once at a time and again only when its credential expires
 * or the API server refused it, as kubectl's authenticator does.
 */
export class CredentialPlugin {
  private issued: IssuedCredential | undefined;
  private running: Promise<IssuedCredential> | undefined;

  constructor(
    readonly config: ExecConfig,
    private readonly cluster: ExecClusterInfo,
    private readonly contextName: string,
    private readonly terminal: PluginTerminal = processTerminal,
  ) {}

  /**
   * The credential to send: the one issued before while it is fresh, else the plugin's new answer. A
   * plugin that cannot ask anyone (no terminal) is stopped after `timeoutMs` (--request-timeout; 0: never).
   */
  credential(timeoutMs = 0): Promise<IssuedCredential> {
    const issued = this.issued;
    if (issued && (issued.expiresAt === undefined || Date.now() < issued.expiresAt - RENEW_BEFORE_EXPIRY_MS))
      return Promise.resolve(issued);
    this.running ??= this.run(timeoutMs).then(
      (fresh) => {
        this.issued = fresh;
        this.running = undefined;
        return fresh;
      },
      (error: unknown) => {
        this.running = undefined;
        throw error;
      },
    );
    return this.running;
  }

  /** After a 401 for `refused`: the next credential() runs the plugin again, unless a newer one came since. */
  discard(refused: IssuedCredential): void {
    if (this.issued === refused) this.issued = undefined;
  }

  private async run(timeoutMs: number): Promise<IssuedCredential> {
    const { config } = this;
    const interactive = this.interactive();
    const execInfo = {
      apiVersion: config.apiVersion,
      kind: 'ExecCredential',
      spec: { interactive, ...(config.provideClusterInfo ? { cluster: this.cluster } : {}) },
    };
    const env = {
      ...process.env,
      ...Object.fromEntries(config.env.map(({ name, value }) => [name, value])),
      KUBERNETES_EXEC_INFO: JSON.stringify(execInfo),
    };
    const child = process.getBuiltinModule('node:child_process').spawn(config.command, config.args, {
      env,
      // Prompts need the terminal (stdin, and stderr where plugins write them); stdout is the answer.
      stdio: [interactive ? 'inherit' : 'ignore', 'pipe', interactive ? 'inherit' : 'pipe'],
    });
    // Someone signing in at the terminal takes the time it takes; Ctrl-C is theirs.
    const outcome = await finished(child, interactive ? 0 : timeoutMs);
    if ('timedOut' in outcome) throw this.timedOut(timeoutMs);
    if ('error' in outcome) throw this.notStarted(outcome.error);
    if (outcome.code !== 0) throw this.failed(outcome);
    return this.parse(outcome.stdout);
  }

  private interactive(): boolean {
    const mode = this.config.interactiveMode;
    if (mode === 'Never') return false;
    const terminal = this.terminal.stdinIsTerminal();
    if (mode === 'Always' && !terminal) {
      throw this.error(`the credential plugin ${this.config.command} needs a terminal, and has none`, {
        why: 'the kubeconfig sets its interactiveMode to Always, and standard input is not a terminal',
        next: [
          'run the command in a terminal',
          'or sign in with the tool behind the plugin first, so that it answers without asking',
        ],
      });
    }
    return terminal;
  }

  private notStarted(error: NodeJS.ErrnoException): GatewayError {
    const { command, installHint } = this.config;
    if (error.code === 'ENOENT') {
      return this.error(`the credential plugin ${command} was not found`, {
        why: `the kubeconfig's user for context "${this.contextName}" gets its credentials by running ${command}, which is ${command.includes('/') ? 'not there' : 'not on PATH'}`,
        next: installHint
          ? [installHint]
          : ['install it, or fix the command of the user: kubectl config view --minify'],
        cause: error,
      });
    }
    return this.error(
      `the credential plugin ${command} could not be started (${error.code ?? error.message})`,
      {
        why: error.code === 'EACCES' ? 'it is not executable by you' : error.message,
        next: ['check the command of the user: kubectl config view --minify'],
        cause: error,
      },
    );
  }

  private timedOut(timeoutMs: number): GatewayError {
    const { command } = this.config;
    return new GatewayError(
      `the credential plugin ${command} did not answer within ${timeoutMs / 1000}s (--request-timeout)`,
      {
        why: 'it was stopped then; without a terminal it cannot ask anyone to sign in, so it was waiting for something else: a network, a lock, a browser',
        next: [
          `run it by hand to see what it waits for (its command and args: kubectl --context ${this.contextName} config view --minify)`,
          'raise the limit, e.g. --request-timeout=2m',
        ],
        exitCode: ExitCode.unreachable,
      },
    );
  }

  private failed(outcome: Exited): GatewayError {
    const how = outcome.code === null ? `was stopped by ${outcome.signal}` : `exited with ${outcome.code}`;
    const last = outcome.said.at(-1);
    return this.error(`the credential plugin ${this.config.command} ${how}`, {
      why:
        last === undefined
          ? 'it gave no reason here; its own output, if any, is above'
          : outcome.said.length === 1
            ? `it said: ${last}`
            : `it ended with: ${last} (all it said is above)`,
      next: [
        'sign in again with the tool behind the plugin (aws sso login, gcloud auth login, az login, …)',
        `then check: kubectl --context ${this.contextName} auth whoami`,
      ],
    });
  }

  /** Reads the plugin's answer; nothing of its output goes into a message, as it may hold the secret. */
  private parse(stdout: string): IssuedCredential {
    const wrongAnswer = (why: string) =>
      this.error(`the credential plugin ${this.config.command} did not answer with an ExecCredential`, {
        why,
        next: [
          `check that the kubeconfig asks for the apiVersion the plugin speaks (${this.config.apiVersion} now)`,
          'update the plugin, or fix its command and args: kubectl config view --minify',
        ],
      });
    let answer: unknown;
    try {
      answer = JSON.parse(stdout);
    } catch {
      throw wrongAnswer(
        stdout.trim() === ''
          ? 'it printed nothing on standard output'
          : `what it printed on standard output (${Buffer.byteLength(stdout)} bytes) is not JSON`,
      );
    }
    if (!isRecord(answer)) throw wrongAnswer('what it printed is JSON, but not an object');
    if (answer.kind !== 'ExecCredential' || answer.apiVersion !== this.config.apiVersion) {
      throw wrongAnswer(
        `it answered with kind ${JSON.stringify(answer.kind)}, apiVersion ${JSON.stringify(answer.apiVersion)}; the kubeconfig asks for an ExecCredential of ${this.config.apiVersion}`,
      );
    }
    const status = answer.status;
    if (!isRecord(status)) throw wrongAnswer('its ExecCredential has no status');
    const text = (field: string) => {
      const value = status[field];
      if (value === undefined || value === null || value === '') return undefined;
      if (typeof value !== 'string') throw wrongAnswer(`its status.${field} is not a string`);
      return value;
    };
    const token = text('token');
    const cert = text('clientCertificateData');
    const key = text('clientKeyData');
    const expiration = text('expirationTimestamp');
    if (token === undefined && cert === undefined && key === undefined)
      throw wrongAnswer('its status has neither a token nor a client certificate and key');
    if ((cert === undefined) !== (key === undefined))
      throw wrongAnswer(
        `its status has ${cert === undefined ? 'clientKeyData without clientCertificateData' : 'clientCertificateData without clientKeyData'}`,
      );
    if (cert !== undefined && key !== undefined) {
      const problem = keyPairProblem(cert, key);
      if (problem) throw wrongAnswer(`its client certificate ${problem}`);
    }
    const expiresAt = expiration === undefined ? undefined : Date.parse(expiration);
    if (expiresAt !== undefined && Number.isNaN(expiresAt))
      throw wrongAnswer(
        `its status.expirationTimestamp ${JSON.stringify(expiration)} is not an RFC 3339 time`,
      );
    return { token, cert, key, expiresAt };
  }

  private error(message: string, details: { why: string; next: string[]; cause?: unknown }): GatewayError {
    return new GatewayError(message, { ...details, exitCode: ExitCode.environment });
  }
}

/** Why a PEM certificate and key cannot be used together, or undefined when they can. */
function keyPairProblem(cert: string, key: string): string | undefined {
  const crypto = process.getBuiltinModule('node:crypto');
  let certificate: InstanceType<typeof crypto.X509Certificate>;
  try {
    certificate = new crypto.X509Certificate(cert);
  } catch {
    return 'is not a PEM certificate';
  }
  try {
    return certificate.checkPrivateKey(crypto.createPrivateKey(key)) ? undefined : 'does not match its key';
  } catch {
    return 'comes with a key that is not a PEM private key';
  }
}

interface Exited {
  code: number | null;
  signal: string | null;
  stdout: string;
  /** The lines of its stderr that say something (the last ones, when it said a lot). */
  said: string[];
}

type Finished = { error: NodeJS.ErrnoException } | { timedOut: true } | Exited;

/**
 * The plugin's exit and output; its stderr is passed on as it comes, and kept for the reason it gives.
 * After `limitMs` (0: none) the plugin is killed, and its pipes closed.
 */
function finished(child: ChildProcess, limitMs: number): Promise<Finished> {
  return new Promise((resolve) => {
    const timer =
      limitMs > 0
        ? setTimeout(() => {
            child.kill('SIGKILL');
            child.stdout?.destroy();
            child.stderr?.destroy();
            resolve({ timedOut: true });
          }, limitMs)
        : undefined;
    child.once('exit', () => clearTimeout(timer));
    const stdout: Buffer[] = [];
    let stderrTail = '';
    child.stdout?.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => {
      process.stderr.write(chunk);
      stderrTail = (stderrTail + chunk.toString('utf8')).slice(-2000);
    });
    child.once('error', (error: NodeJS.ErrnoException) => resolve({ error }));
    child.once('close', (code, signal) => {
      resolve({
        code,
        signal,
        stdout: Buffer.concat(stdout).toString('utf8'),
        // Lines of punctuation only (a closing bracket) are no reason.
        said: stderrTail
          .split('\n')
          .map((line) => line.trim().slice(0, 500))
          .filter((line) => /[\p{L}\p{N}]/u.test(line)),
      });
    });
  });
}
