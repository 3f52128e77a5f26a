/**
 * The real control plane on its own, for trying things by hand:
 *
 *   npx tsx test/real/start.ts [--no-node]
 *
 * (the node agent runs when test/real/node-agent/main.ts exists, unless --no-node);
 * builds the programs, starts the control plane, writes .sandbox/real/kubeconfig and stays up until
 * SIGINT, SIGTERM or SIGHUP, which stop everything.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type AddOns, buildAddOns, installAddOns } from './add-ons.ts';
import { REAL_DIR, buildRealBinaries } from './binaries.ts';
import { NODE_AGENT, type RealControlPlane, startRealControlPlane } from './environment.ts';
import { type PreparedKcp, prepareKcpForTheGateway } from './kcp-provider.ts';
import { type RealKcp, startRealKcp } from './kcp-server.ts';

export const REAL_SANDBOX_KUBECONFIG = join(REAL_DIR, '..', '..', '.sandbox', 'real', 'kubeconfig');

export interface RealSandbox {
  plane: RealControlPlane;
  kubeconfig: string;
  /** With a Node: Tekton Triggers and Traefik run, and this is Traefik's address. */
  addOns?: AddOns;
}

/**
 * Builds and starts a real control plane, writes its admin kubeconfig and, with a Node, installs
 * Tekton Triggers and Traefik (for npm run sandbox).
 */
export async function startRealSandbox(
  options: { node?: boolean; kubeconfig?: string; log?: (line: string) => void } = {},
): Promise<RealSandbox> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const node = options.node ?? existsSync(NODE_AGENT);
  const build = await buildRealBinaries({ log });
  const addOnsBuild = node ? await buildAddOns({ log }) : { seconds: 0 };
  log(`built the real control plane and its add-ons in ${(build.seconds + addOnsBuild.seconds).toFixed(1)}s`);
  const plane = await startRealControlPlane({ binaries: build, node, log });
  const kubeconfig = plane.writeKubeconfig(options.kubeconfig ?? REAL_SANDBOX_KUBECONFIG, {
    context: 'real',
  });
  if (!node) return { plane, kubeconfig };
  try {
    return { plane, kubeconfig, addOns: await installAddOns(kubeconfig, plane.dir, log) };
  } catch (error) {
    await plane.stop();
    throw error;
  }
}

export const REAL_KCP_SANDBOX_KUBECONFIG = join(REAL_DIR, '..', '..', '.sandbox', 'real-kcp', 'kubeconfig');

export interface RealKcpSandbox extends PreparedKcp {
  kcp: RealKcp;
  kubeconfig: string;
}

/**
 * Builds and starts a real kcp, prepares the user's organization and the compute provider, and
 * writes a kubeconfig (kcp-admin) pointing at the organization (for npm run sandbox -- --real --kcp).
 */
export async function startRealKcpSandbox(
  options: { kubeconfig?: string; log?: (line: string) => void } = {},
): Promise<RealKcpSandbox> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const kcp = await startRealKcp({ log });
  try {
    const prepared = await prepareKcpForTheGateway(kcp);
    const kubeconfig = kcp.writeKubeconfig(options.kubeconfig ?? REAL_KCP_SANDBOX_KUBECONFIG, {
      workspace: prepared.org,
      context: 'real-kcp',
    });
    return { kcp, kubeconfig, ...prepared };
  } catch (error) {
    await kcp.stop();
    throw error;
  }
}

/** Resolves with the first of SIGINT, SIGTERM and SIGHUP. */
export function untilStopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const)
      process.once(signal, () => resolve(signal));
  });
}

async function main(): Promise<number> {
  // The signal handlers go first, so that a signal during the start stops what was started.
  const stopSignal = untilStopSignal();
  const node = !process.argv.includes('--no-node') && existsSync(NODE_AGENT);
  if (!node) process.stderr.write('without the node agent: pods are created but stay Pending\n');
  const started = await Promise.race([startRealSandbox({ node }), stopSignal]);
  if (typeof started === 'string') {
    // The exit hooks kill the build and whatever had started, and remove the network.
    process.stderr.write(`${started} during the start: stopping\n`);
    process.exit(1);
  }
  const { plane, kubeconfig } = started;
  process.stdout.write(
    `The real control plane is up at ${plane.url} (Kubernetes v1.37.2, network namespace ${plane.network.netns}, logs in ${plane.dir}).\n` +
      `export KUBECONFIG=${kubeconfig}\nCtrl-C stops it.\n`,
  );
  const signal = await stopSignal;
  process.stderr.write(`${signal}: stopping\n`);
  await plane.stop();
  return 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) process.exitCode = await main();
