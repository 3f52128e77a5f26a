/**
 * What a real cluster has besides its control plane, and ours gets once it has a Node: Tekton
 * Triggers (test/real/tekton.ts) and Traefik in front as the ingress controller and Gateway API
 * implementation (test/real/traefik.ts). Shared by the real suites' global setup and the sandbox.
 */
import { KubeClient } from '../../src/kube/client.ts';
import { resolveKubeTarget } from '../../src/kube/kubeconfig.ts';
import { buildTektonBinaries, buildTraefikBinaries, type BuildOptions } from './binaries.ts';
import { installTekton } from './tekton.ts';
import { installTraefik } from './traefik.ts';

/** Builds the add-ons' programs (seconds when nothing changed); the node agent runs their images. */
export async function buildAddOns(options: BuildOptions = {}): Promise<{ seconds: number }> {
  const tekton = await buildTektonBinaries(options);
  const traefik = await buildTraefikBinaries(options);
  return { seconds: tekton.seconds + traefik.seconds };
}

export interface AddOns {
  /** The address of Traefik's LoadBalancer Service, which the host reaches. */
  ingressAddress: string;
}

/** Installs Tekton Triggers and Traefik, at the same time, and waits until both serve. */
export async function installAddOns(
  kubeconfig: string,
  dir: string,
  log: (line: string) => void = () => undefined,
): Promise<AddOns> {
  const started = performance.now();
  const kube = new KubeClient(resolveKubeTarget({ kubeconfig, requestTimeoutMs: 30_000 }));
  try {
    const [, traefik] = await Promise.all([
      installTekton(kubeconfig, kube, dir),
      installTraefik(kubeconfig, kube, dir),
    ]);
    log(
      `Tekton Triggers and Traefik (at ${traefik.address}) are ready (${((performance.now() - started) / 1000).toFixed(1)}s)`,
    );
    return { ingressAddress: traefik.address };
  } finally {
    await kube.close();
  }
}
