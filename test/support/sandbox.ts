/**
 * The main job on a machine without a cluster: start a control plane, install the gateway with the
 * echo backend through the real kubectl, show what was created, and send webhooks through it.
 *
 *   npm run sandbox                  the local control plane of test/support; stays up until Ctrl-C
 *   npm run sandbox -- --real        the real one of test/real (Go, root and iproute2 needed)
 *   npm run sandbox -- --kcp         the local kcp imitation: an organization and a compute provider
 *   npm run sandbox -- --real --kcp  a real kcp built from test/real/kcp, prepared the same way
 *   npm run sandbox -- --once        exits after the webhooks (used by the tests)
 *
 * Ctrl-C, SIGTERM, SIGHUP, its parent dying (npm killed) and any failure stop every process it
 * started (HAProxy and the echo server included; the real control plane's programs and network
 * namespace too).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pluginPath, REPO_ROOT } from './cli.ts';
import { COMPUTE_EXPORT_RESOURCES, startControlPlane } from './control-plane/index.ts';
import { findHaproxy } from './haproxy.ts';

const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
const PARENT_CHECK_MS = 500;

/** What the sandbox runs on: a kubeconfig, a way to reach the gateway Service, and stop(). */
interface SandboxPlane {
  description: string;
  kubeconfig: string;
  /** Whether gateway pods run real HAProxy, so that webhooks can be sent through it. */
  servesTraffic: boolean;
  /** The base URL of the gateway Service's port 80, and what to close when done with it. */
  gatewayUrl(): Promise<{ url: string; close: () => void }>;
  stop(): Promise<void>;
  /** On kcp: the user's workspace and the --bind that brings the gateway's APIs into a workspace. */
  kcp?: { workspace: string; bind: string };
}

function run(command: string, args: string[], kubeconfig: string): Promise<number> {
  return new Promise((resolve) => {
    process.stdout.write(`\n$ ${command} ${args.join(' ')}\n`);
    const child = spawn(command, args, {
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, KUBECONFIG: kubeconfig, PATH: pluginPath() },
    });
    children.add(child);
    child.on('exit', (code) => {
      children.delete(child);
      resolve(code ?? 1);
    });
    child.on('error', (error) => {
      process.stderr.write(`cannot run ${command}: ${error.message}\n`);
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
    gatewayUrl: async () => {
      const { host, port } = plane.dataPlane!.serviceAddress('trigger-gateway', 'trigger-gateway', 80);
      return { url: `http://${host}:${port}`, close: () => undefined };
    },
    stop: () => plane.stop(),
  };
}

async function realPlane(): Promise<SandboxPlane> {
  // Loaded only here: a machine without Go never needs it.
  const { startRealSandbox } = await import('../real/start.ts');
  const { plane, kubeconfig } = await startRealSandbox();
  return {
    description: `Real control plane (Kubernetes v1.37.2) at ${plane.url}, its node in network namespace ${plane.network.netns} (kubeconfig: ${kubeconfig})`,
    kubeconfig,
    servesTraffic: true,
    // As a user would: kubectl port-forward to the gateway Service, through the API server and the node.
    gatewayUrl: () => portForward(kubeconfig),
    stop: () => plane.stop(),
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
    process.stdout.write(
      '\n(haproxy is not installed: the gateway pods are simulated, so no request is sent through them)\n',
    );
    return;
  }
  const gateway = await plane.gatewayUrl();
  try {
    for (const path of ['/trigger/push', '/github/push', '/unknown']) {
      const response = await fetch(`${gateway.url}${path}`, {
        method: 'POST',
        body: '{"ref":"refs/heads/main"}',
        signal: AbortSignal.timeout(30_000),
      });
      process.stdout.write(
        `\nPOST ${path} through the gateway (real HAProxy): ${response.status}\n${(await response.text()).slice(0, 300)}\n`,
      );
    }
  } finally {
    gateway.close();
  }
}

async function main(stopped: Promise<NodeJS.Signals>): Promise<number> {
  const once = process.argv.includes('--once');
  const directory = join(REPO_ROOT, '.sandbox');
  mkdirSync(directory, { recursive: true });
  const real = process.argv.includes('--real');
  const plane = await (process.argv.includes('--kcp')
    ? real
      ? realKcpPlane()
      : localKcpPlane(directory)
    : real
      ? realPlane()
      : localPlane(directory));
  onStop = () => plane.stop();
  process.stdout.write(`${plane.description}\n`);
  if (plane.kcp) return kcpSandbox(plane, plane.kcp, once, stopped);

  const steps = [
    ['trigger-gateway', 'install', '--with-echo'],
    ['get', 'deployments,services,ingresses,poddisruptionbudgets,configmaps', '-n', 'trigger-gateway'],
    ['get', 'deployments,services,pods', '-n', 'trigger'],
    ['trigger-gateway', 'route', 'add', '/github', 'httpecho.trigger:80', '--strip-prefix'],
    ['trigger-gateway', 'route', 'list'],
  ];
  for (const step of steps) {
    const code = await run('kubectl', step, plane.kubeconfig);
    if (code !== 0) return code;
  }
  await sendWebhooks(plane);
  if (once) return 0;
  phase = 'up';
  process.stdout.write(
    `\nThe sandbox stays up. In another shell:\n  export KUBECONFIG=${plane.kubeconfig} PATH=${join(REPO_ROOT, 'bin')}:$PATH\n  kubectl trigger-gateway install --replicas 3\nCtrl-C stops it.\n`,
  );
  const signal = await stopped;
  process.stderr.write(`${signal}: stopping the sandbox\n`);
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
  stopped: Promise<NodeJS.Signals>,
): Promise<number> {
  const code = await run('kubectl', ['trigger-gateway', 'workspace', 'current'], plane.kubeconfig);
  if (code !== 0) return code;
  process.stdout.write(
    `\nYou are in ${kcp.workspace}. Deployments, Services, Ingresses and PodDisruptionBudgets come from --bind ${kcp.bind}\n`,
  );
  if (once) return 0;
  phase = 'up';
  process.stdout.write(
    `\nThe sandbox stays up. In another shell:\n  export KUBECONFIG=${plane.kubeconfig} PATH=${join(REPO_ROOT, 'bin')}:$PATH\n` +
      `  kubectl trigger-gateway install --workspace gateway --bind ${kcp.bind} --no-wait\n` +
      '(--no-wait: kcp runs no pods, so nothing rolls the Deployment out)\nCtrl-C stops it.\n',
  );
  const signal = await stopped;
  process.stderr.write(`${signal}: stopping the sandbox\n`);
  return 0;
}

/** Stops what was started so far; set once the control plane is up. */
let onStop: () => Promise<void> = async () => undefined;
/** 'up' once the job is done and the sandbox waits for a signal to stop. */
let phase: 'starting' | 'up' | 'done' = 'starting';
let shuttingDown: Promise<never> | undefined;

function shutdown(code: number): Promise<never> {
  shuttingDown ??= (async () => {
    for (const child of children) child.kill();
    await onStop();
    process.exit(code);
  })();
  return shuttingDown;
}

// The handlers go first: a signal or a failure at any point stops what has been started by then.
const stopped = new Promise<NodeJS.Signals>((resolve) => {
  for (const signal of STOP_SIGNALS) process.on(signal, () => resolve(signal));
  // Whoever started it (npm, a shell) died without passing a signal on: as good as a closed terminal.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) resolve('SIGHUP');
  }, PARENT_CHECK_MS).unref();
});
void stopped.then((signal) => {
  // Before the job is done, a signal stops it with the shell's 128+n; once up, main() returns 0.
  if (phase === 'starting') void shutdown(128 + (signal === 'SIGINT' ? 2 : signal === 'SIGTERM' ? 15 : 1));
});
process.on('uncaughtException', (error) => {
  process.stderr.write(`sandbox failed: ${error.stack ?? error.message}\n`);
  void shutdown(1);
});

const code = await main(stopped).catch((error: unknown) => {
  process.stderr.write(
    `sandbox failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  return 1;
});
phase = 'done';
await shutdown(code);
