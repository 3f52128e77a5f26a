/**
 * vitest globalSetup of vitest.real.config.ts: builds and starts ONE real control plane for the
 * run, installs Tekton Triggers on it, and hands the tests its admin kubeconfig through
 * provide/inject ('realControlPlane'); the teardown stops it. The node agent runs when
 * test/real/node-agent/main.ts exists.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { buildAddOns, installAddOns } from './add-ons.ts';
import { buildRealBinaries } from './binaries.ts';
import { NODE_AGENT, startRealControlPlane } from './environment.ts';
import type { EtcdConnection } from './etcd.ts';

export interface ProvidedRealControlPlane {
  /** https://127.0.0.1:PORT */
  url: string;
  /** The cluster CA, PEM. */
  ca: string;
  /** An admin kubeconfig (client certificate, O=system:masters). */
  kubeconfig: string;
  nodeName: string;
  /** etcd behind the API server, to compact it. */
  etcd: EtcdConnection;
  /**
   * Whether the node agent runs (pods get scheduled and start). Tekton Triggers and Traefik are
   * installed then.
   */
  node: boolean;
  /** The address of Traefik's LoadBalancer Service, reachable from the host (when the node runs). */
  ingressAddress?: string;
  index: number;
}

declare module 'vitest' {
  export interface ProvidedContext {
    realControlPlane: ProvidedRealControlPlane;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const log = (line: string) => process.stderr.write(`[real control plane] ${line}\n`);
  const binaries = await buildRealBinaries({ log });
  const addOns = await buildAddOns({ log });
  log(`go build: ${binaries.seconds.toFixed(1)}s, Tekton Triggers and Traefik ${addOns.seconds.toFixed(1)}s`);
  const node = existsSync(NODE_AGENT);
  const started = performance.now();
  const plane = await startRealControlPlane({ binaries, node, log });
  log(
    `started in ${((performance.now() - started) / 1000).toFixed(1)}s (index ${plane.index}, node agent ${node ? 'on' : 'off'})`,
  );
  const kubeconfig = plane.writeKubeconfig(join(plane.dir, 'admin.kubeconfig'));
  let ingressAddress: string | undefined;
  if (node) {
    try {
      ingressAddress = (await installAddOns(kubeconfig, plane.dir, log)).ingressAddress;
    } catch (error) {
      await plane.stop();
      throw error;
    }
  }
  project.provide('realControlPlane', {
    url: plane.url,
    ca: plane.ca,
    kubeconfig,
    nodeName: plane.nodeName,
    etcd: plane.etcd,
    node,
    index: plane.index,
    ...(ingressAddress ? { ingressAddress } : {}),
  });
  return () => plane.stop();
}
