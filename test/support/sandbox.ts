/**
 * The main job on a machine without a cluster: start a control plane, install the gateway with the
 * echo backend through the real kubectl, show what was created, and send webhooks through it.
 *
 *   npm run sandbox                  the local control plane of test/support; stays up until Ctrl-C
 *   npm run sandbox -- --real        the real one of test/real (Go, root, iproute2 and nftables needed),
 *                                    with Tekton Triggers behind the gateway and Traefik in front
 *   npm run sandbox -- --real --gitea   and a real Gitea beside it: a user, a repository, webhook
 *                                    add, a commit, and the PipelineRun its push started
 *   npm run sandbox -- --kcp         the local kcp imitation: an organization and a compute provider
 *   npm run sandbox -- --real --kcp  a real kcp built from test/real/kcp, prepared the same way
 *   npm run sandbox -- --once        exits after the webhooks (used by the tests)
 *
 * Ctrl-C, SIGTERM, SIGHUP, its parent dying (npm killed), its output going away (`| tee` killed by
 * the same Ctrl-C, a closed terminal) and any failure stop every process it started (HAProxy and the
 * echo server included; the real control plane's programs and network namespace, and Gitea, too), within
 * SHUTDOWN_LIMIT_MS: past that, process.exit's hooks kill whatever is left.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pluginPath, REPO_ROOT } from './cli.ts';
import { COMPUTE_EXPORT_RESOURCES, startControlPlane } from './control-plane/index.ts';
import { findHaproxy } from './haproxy.ts';

const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
const PARENT_CHECK_MS = 500;
/** How long an orderly stop may take before the exit hooks kill everything at once. */
const SHUTDOWN_LIMIT_MS = 15_000;

/**
 * Whether stdout and stderr still lead somewhere. A reader that died (`| tee` stopped by the same
 * Ctrl-C) turns every write into EPIPE: writing on would only raise more errors.
 */
let outputGone = false;
const say = (text: string) => {
  if (!outputGone) process.stdout.write(text);
};
const complain = (text: string) => {
  if (!outputGone) process.stderr.write(text);
};

/**
 * The line to paste into another shell: the plugin's bin/ first, and the repository's pinned Node
 * before the machine's, whose own may be older than the 22 the plugin needs.
 */
function exportLine(kubeconfig: string): string {
  const node = join(REPO_ROOT, 'node_modules', 'node', 'bin');
  return `export KUBECONFIG=${kubeconfig} PATH=${join(REPO_ROOT, 'bin')}:${node}:$PATH`;
}

/** What the sandbox runs on: a kubeconfig, a way to reach the gateway Service, and stop(). */
interface SandboxPlane {
  description: string;
  kubeconfig: string;
  /** Whether gateway pods run real HAProxy, so that webhooks can be sent through it. */
  servesTraffic: boolean;
  /** The base URL of the gateway (its Service, or the ingress in front), and what to close after. */
  gatewayUrl(): Promise<{ url: string; close: () => void }>;
  /** After install: what makes routes and proves them (a listener of its own, route add, test). */
  routeSteps: string[][];
  /** The paths the webhooks are sent to, through gatewayUrl. */
  webhookPaths: string[];
  /** After the webhooks: a forge's own (Gitea's) webhook to the listener, and what else to try. */
  forge?: { journey: () => Promise<number>; tryNext: string };
  stop(): Promise<void>;
  /** On kcp: the user's workspace and the --bind that brings the gateway's APIs into a workspace. */
  kcp?: { workspace: string; bind: string };
}

function run(
  command: string,
  args: string[],
  kubeconfig: string,
  env: Record<string, string> = {},
): Promise<number> {
  return new Promise((resolve) => {
    say(`\n$ ${command} ${args.join(' ')}\n`);
    const child = spawn(command, args, {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, ...env, KUBECONFIG: kubeconfig, PATH: pluginPath() },
    });
    children.add(child);
    child.on('exit', (code) => {
      children.delete(child);
      resolve(code ?? 1);
    });
    child.on('error', (error) => {
      complain(`cannot run ${command}: ${error.message}\n`);
      resolve(127);
    });
  });
}

/** kubectl's own children (a port-forward), killed on the way out. */
const children = new Set<ChildProcess>();

async function localPlane(directory: string): Promise<SandboxPlane> {
  // With Debian's haproxy installed, the gateway pods run it for real and the sandbox sends webhooks.
  const haproxy = findHaproxy() !== undefined;
  const plane = haproxy ? await startControlPlane({ dataPlane: true }) : await startControlPlane();
  const kubeconfig = plane.writeKubeconfig(join(directory, 'kubeconfig'), { context: 'sandbox' });
  return {
    description: `Local control plane at ${plane.url} (kubeconfig: ${kubeconfig})`,
    kubeconfig,
    servesTraffic: haproxy,
    routeSteps: [
      ['trigger-gateway', 'route', 'add', '/github', 'httpecho.trigger:80', '--strip-prefix'],
      ['trigger-gateway', 'route', 'list'],
    ],
    webhookPaths: ['/trigger/push', '/github/push', '/unknown'],
    gatewayUrl: async () => {
      const { host, port } = plane.dataPlane!.serviceAddress('trigger-gateway', 'trigger-gateway', 80);
      return { url: `http://${host}:${port}`, close: () => undefined };
    },
    stop: () => plane.stop(),
  };
}

async function realPlane(directory: string, withGitea: boolean): Promise<SandboxPlane> {
  // Loaded only here: a machine without Go never needs them.
  const { startRealSandbox } = await import('../real/start.ts');
  const { writeListener } = await import('../real/listeners.ts');
  const { giteaJourney, startSandboxGitea } = await import('../real/sandbox-gitea.ts');
  const { plane, kubeconfig, addOns } = await startRealSandbox();
  const ingress = addOns?.ingressAddress;
  let gitea: Awaited<ReturnType<typeof startSandboxGitea>> | undefined;
  // From here on, a stop stops Gitea too.
  onStop = async () => {
    await gitea?.gitea.stop();
    await plane.stop();
  };
  if (withGitea) gitea = await startSandboxGitea((line) => complain(`${line}\n`));
  // The platform team's listener: GitHub's interceptor checks a secret of its own, kept in a Secret.
  const listener = writeListener(join(directory, 'real', 'github-listener.yaml'), {
    namespace: 'ci',
    name: 'github-listener',
    provider: 'github',
    secretName: 'github-webhook',
    eventTypes: ['push', 'pull_request'],
  });
  return {
    description:
      `Real control plane (Kubernetes v1.37.2) at ${plane.url}, its node in network namespace ${plane.network.netns} (kubeconfig: ${kubeconfig})` +
      (ingress ? `\nTekton Triggers runs in it, and Traefik in front at http://${ingress}` : ''),
    kubeconfig,
    servesTraffic: true,
    routeSteps: [
      ['apply', '-f', listener],
      ['wait', '--for=condition=Ready', 'eventlistener/github-listener', '-n', 'ci', '--timeout=120s'],
      [
        'trigger-gateway',
        'route',
        'add',
        '/github',
        '--event-listener',
        'github-listener',
        '--listener-namespace',
        'ci',
      ],
      ['trigger-gateway', 'route', 'list'],
      ['trigger-gateway', 'test', '/github'],
      ['get', 'pipelineruns', '-n', 'ci'],
    ],
    webhookPaths: ['/trigger/push', '/unknown'],
    // As a webhook arrives: through the cluster's ingress, Traefik, at its load balancer's address.
    gatewayUrl: async () =>
      ingress ? { url: `http://${ingress}`, close: () => undefined } : portForward(kubeconfig),
    ...(gitea
      ? {
          forge: {
            journey: () =>
              giteaJourney(gitea, kubeconfig, 'ci', {
                say,
                run: (command, args, env) => run(command, args, kubeconfig, env),
              }),
            tryNext: `kubectl trigger-gateway webhook test /github --repo ${gitea.repository} --provider gitea --api-url ${gitea.gitea.url}   # with GITEA_TOKEN as above`,
          },
        }
      : {}),
    stop: onStop,
  };
}

/** The local kcp imitation, with the same workspaces as the real kcp sandbox. */
async function localKcpPlane(directory: string): Promise<SandboxPlane> {
  const plane = await startControlPlane({
    kcp: {
      workspaces: [
        { path: 'root:org', type: 'organization' },
        { path: 'root:compute', type: 'organization', exports: { kubernetes: COMPUTE_EXPORT_RESOURCES } },
      ],
    },
  });
  const kubeconfig = plane.writeKubeconfig(join(directory, 'kcp.kubeconfig'), {
    context: 'sandbox',
    workspace: 'root:org',
  });
  return {
    description: `Local kcp imitation at ${plane.url} (kubeconfig: ${kubeconfig})`,
    kubeconfig,
    servesTraffic: false,
    routeSteps: [],
    webhookPaths: [],
    gatewayUrl: () => Promise.reject(new Error('the kcp sandbox sends no webhooks')),
    stop: () => plane.stop(),
    kcp: { workspace: 'root:org', bind: 'root:compute:kubernetes' },
  };
}

async function realKcpPlane(): Promise<SandboxPlane> {
  const { startRealKcpSandbox } = await import('../real/start.ts');
  const { KCP_VERSION } = await import('../real/binaries.ts');
  const sandbox = await startRealKcpSandbox();
  return {
    description: `Real kcp ${KCP_VERSION} at ${sandbox.kcp.url}, its state in ${sandbox.kcp.dir} (kubeconfig: ${sandbox.kubeconfig})`,
    kubeconfig: sandbox.kubeconfig,
    servesTraffic: false,
    routeSteps: [],
    webhookPaths: [],
    gatewayUrl: () => Promise.reject(new Error('the kcp sandbox sends no webhooks')),
    stop: () => sandbox.kcp.stop(),
    kcp: { workspace: sandbox.org, bind: sandbox.bind },
  };
}

function portForward(kubeconfig: string): Promise<{ url: string; close: () => void }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      'kubectl',
      ['port-forward', '-n', 'trigger-gateway', 'service/trigger-gateway', '--address', '127.0.0.1', ':80'],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, KUBECONFIG: kubeconfig } },
    );
    children.add(child);
    let output = '';
    const close = () => {
      children.delete(child);
      child.kill();
    };
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const port = /Forwarding from 127\.0\.0\.1:(\d+)/.exec(output)?.[1];
      if (port) resolve({ url: `http://127.0.0.1:${port}`, close });
    });
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => reject(new Error(`kubectl port-forward exited (${code}):\n${output}`)));
  });
}

async function sendWebhooks(plane: SandboxPlane): Promise<void> {
  if (!plane.servesTraffic) {
    say('\n(haproxy is not installed: the gateway pods are simulated, so no request is sent through them)\n');
    return;
  }
  const gateway = await plane.gatewayUrl();
  try {
    for (const path of plane.webhookPaths) {
      const response = await fetch(`${gateway.url}${path}`, {
        method: 'POST',
        body: '{"ref":"refs/heads/main"}',
        signal: AbortSignal.timeout(30_000),
      });
      say(
        `\nPOST ${path} through the gateway (real HAProxy): ${response.status}\n${(await response.text()).slice(0, 300)}\n`,
      );
    }
  } finally {
    gateway.close();
  }
}

async function main(stopped: Promise<string>): Promise<number> {
  const once = process.argv.includes('--once');
  const directory = join(REPO_ROOT, '.sandbox');
  mkdirSync(directory, { recursive: true });
  const real = process.argv.includes('--real');
  const gitea = process.argv.includes('--gitea');
  if (gitea && (!real || process.argv.includes('--kcp'))) {
    complain(
      '--gitea goes with --real (and not --kcp): Gitea sends its webhooks to the real control plane\n',
    );
    return 2;
  }
  const plane = await (process.argv.includes('--kcp')
    ? real
      ? realKcpPlane()
      : localKcpPlane(directory)
    : real
      ? realPlane(directory, gitea)
      : localPlane(directory));
  onStop = () => plane.stop();
  say(`${plane.description}\n`);
  if (plane.kcp) return kcpSandbox(plane, plane.kcp, once, stopped);

  const steps = [
    ['trigger-gateway', 'install', '--with-echo'],
    ['get', 'deployments,services,ingresses,poddisruptionbudgets,configmaps', '-n', 'trigger-gateway'],
    ['get', 'deployments,services,pods', '-n', 'trigger'],
    ...plane.routeSteps,
  ];
  for (const step of steps) {
    const code = await run('kubectl', step, plane.kubeconfig);
    if (code !== 0) return code;
  }
  await sendWebhooks(plane);
  if (plane.forge) {
    const code = await plane.forge.journey();
    if (code !== 0) return code;
  }
  if (once) return 0;
  phase = 'up';
  say(
    `\nThe sandbox stays up. In another shell:\n  ${exportLine(plane.kubeconfig)}\n  ${plane.forge?.tryNext ?? 'kubectl trigger-gateway install --replicas 3'}\nCtrl-C stops it.\n`,
  );
  const signal = await stopped;
  complain(`${signal}: stopping the sandbox\n`);
  return 0;
}

/**
 * On kcp the gateway needs a workspace with the compute APIs bound: the sandbox shows where the user
 * is and prints the install command with its --bind, and stays up.
 */
async function kcpSandbox(
  plane: SandboxPlane,
  kcp: { workspace: string; bind: string },
  once: boolean,
  stopped: Promise<string>,
): Promise<number> {
  const code = await run('kubectl', ['trigger-gateway', 'workspace', 'current'], plane.kubeconfig);
  if (code !== 0) return code;
  say(
    `\nYou are in ${kcp.workspace}. Deployments, Services, Ingresses and PodDisruptionBudgets come from --bind ${kcp.bind}\n`,
  );
  if (once) return 0;
  phase = 'up';
  say(
    `\nThe sandbox stays up. In another shell:\n  ${exportLine(plane.kubeconfig)}\n` +
      `  kubectl trigger-gateway install --workspace gateway --bind ${kcp.bind} --no-wait\n` +
      '(--no-wait: kcp runs no pods, so nothing rolls the Deployment out)\nCtrl-C stops it.\n',
  );
  const signal = await stopped;
  complain(`${signal}: stopping the sandbox\n`);
  return 0;
}

const SIGNAL_NUMBERS = { SIGHUP: 1, SIGINT: 2, SIGPIPE: 13, SIGTERM: 15 } as const;

/** Stops what was started so far; set once the control plane is up. */
let onStop: () => Promise<void> = async () => undefined;
/** 'up' once the job is done and the sandbox waits for a signal to stop. */
let phase: 'starting' | 'up' | 'done' = 'starting';
let shuttingDown: Promise<never> | undefined;

function shutdown(code: number): Promise<never> {
  shuttingDown ??= (async () => {
    // A stop that hangs must not keep anything running: exit's hooks then kill it all at once.
    setTimeout(() => {
      complain(`the stop took over ${SHUTDOWN_LIMIT_MS / 1000}s: killing what is left\n`);
      process.exit(code);
    }, SHUTDOWN_LIMIT_MS);
    for (const child of children) child.kill();
    await onStop().catch((error: unknown) =>
      complain(`stopping failed: ${error instanceof Error ? error.message : String(error)}\n`),
    );
    process.exit(code);
  })();
  return shuttingDown;
}

// The handlers go first: a signal or a failure at any point stops what has been started by then.
const stopped = new Promise<keyof typeof SIGNAL_NUMBERS>((resolve) => {
  for (const signal of STOP_SIGNALS) process.on(signal, () => resolve(signal));
  // The reader of our output is gone (EPIPE): as good as a closed terminal, and nothing more is written.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', () => {
      outputGone = true;
      resolve('SIGPIPE');
    });
  }
  // Whoever started it (npm, a shell) died without passing a signal on: as good as a closed terminal.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) resolve('SIGHUP');
  }, PARENT_CHECK_MS).unref();
});
void stopped.then((signal) => {
  // Before the job is done, a signal stops it with the shell's 128+n; once up, main() returns 0.
  if (phase === 'starting') void shutdown(128 + SIGNAL_NUMBERS[signal]);
});
process.on('uncaughtException', (error) => {
  complain(`sandbox failed: ${error.stack ?? error.message}\n`);
  void shutdown(1);
});

const code = await main(stopped).catch((error: unknown) => {
  complain(`sandbox failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  return 1;
});
phase = 'done';
await shutdown(code);
