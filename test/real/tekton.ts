/**
 * Tekton Triggers on the real control plane, as its release installs it: the manifests of the
 * module's config/ (CRDs, RBAC, ConfigMaps, the controller and core interceptors Deployments, the
 * ClusterInterceptors), read from the Go module cache at the versions test/real/tekton/go.mod pins,
 * and Tekton Pipelines' v1 PipelineRun and TaskRun CRDs (no Pipelines controller: a PipelineRun that
 * was created is the proof the tests look for). The images are ko's `ko://…/cmd/NAME`, which the
 * node agent runs from the programs built into test/real/.bin (buildTektonBinaries).
 *
 * Left out: the Triggers admission webhook (its Deployment, Service and webhook configurations), so
 * nothing is defaulted or validated on admission, as the tests' own objects are written in full.
 */
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KubeClient } from '../../src/kube/client.ts';
import type { KubeObject } from '../../src/manifests/types.ts';
import { runExecutable } from '../support/cli.ts';
import { moduleDir } from '../support/crds.ts';
import { eventually } from '../support/eventually.ts';
import { REAL_DIR } from './binaries.ts';

export const TEKTON_NAMESPACE = 'tekton-pipelines';
const TEKTON_MODULE = join(REAL_DIR, 'tekton');
const WEBHOOK_FILES = new Set([
  '500-webhooks.yaml',
  'webhook.yaml',
  'webhook-service.yaml',
  'config-leader-election-webhook.yaml',
]);

/**
 * The files the installation applies (after the namespace), CRDs first: kubectl reads them as they
 * are, since Tekton's YAML has what only Go's YAML reader accepts (trailing commas in flow sequences).
 */
export function tektonManifestFiles(): { crds: string[]; rest: string[] } {
  const config = join(moduleDir('github.com/tektoncd/triggers', TEKTON_MODULE), 'config');
  const yamlIn = (dir: string) =>
    readdirSync(dir)
      .filter((file) => file.endsWith('.yaml') && !WEBHOOK_FILES.has(file))
      .sort()
      .map((file) => join(dir, file));
  const pipelineCrds = join(moduleDir('github.com/tektoncd/pipeline', TEKTON_MODULE), 'config', '300-crds');
  const triggers = yamlIn(config);
  // Triggers' CRDs are its 300-*.yaml files.
  const isCrd = (file: string) => /\/300-[^/]+\.yaml$/.test(file);
  return {
    crds: [
      ...['300-pipelinerun.yaml', '300-taskrun.yaml'].map((file) => join(pipelineCrds, file)),
      ...triggers.filter(isCrd),
    ],
    rest: [...triggers.filter((file) => !isCrd(file)), ...yamlIn(join(config, 'interceptors'))],
  };
}

// As Tekton Pipelines' release makes it: its pods meet the restricted Pod Security standard.
const NAMESPACE: KubeObject = {
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: { name: TEKTON_NAMESPACE, labels: { 'pod-security.kubernetes.io/enforce': 'restricted' } },
};

/**
 * Applies Tekton Triggers (server-side, through the real kubectl) and waits until its controller and
 * core interceptors are available and every HTTPS ClusterInterceptor has its caBundle: the
 * EventListener sink refuses to start before.
 */
export async function installTekton(
  kubeconfig: string,
  kube: KubeClient,
  dir: string,
  timeoutMs = 180_000,
): Promise<void> {
  const namespace = join(dir, 'tekton-namespace.json');
  writeFileSync(namespace, JSON.stringify(NAMESPACE));
  const { crds, rest } = tektonManifestFiles();
  const kubectl = async (args: string[]) => {
    const done = await runExecutable('kubectl', args, { KUBECONFIG: kubeconfig });
    if (done.exitCode !== 0)
      throw new Error(`kubectl ${args.slice(0, 2).join(' ')} (Tekton Triggers) failed: ${done.stderr}`);
  };
  const apply = (files: string[]) =>
    kubectl([
      'apply',
      '--server-side',
      '--force-conflicts',
      '--field-manager=tekton-release',
      ...files.flatMap((f) => ['-f', f]),
    ]);
  await apply([namespace, ...crds]);
  await kubectl([
    'wait',
    '--for=condition=Established',
    `--timeout=${Math.round(timeoutMs / 1000)}s`,
    ...crds.flatMap((f) => ['-f', f]),
  ]);
  await apply(rest);
  await eventually(
    async () => {
      for (const name of ['tekton-triggers-controller', 'tekton-triggers-core-interceptors']) {
        const deployment = await kube.read<KubeObject & { status?: { availableReplicas?: number } }>({
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          name,
          namespace: TEKTON_NAMESPACE,
        });
        if (!deployment?.status?.availableReplicas)
          throw new Error(`deployment ${name} is not available yet`);
      }
      const interceptors = await kube.list<KubeObject & { spec?: { clientConfig?: { caBundle?: string } } }>(
        'triggers.tekton.dev/v1alpha1',
        'ClusterInterceptor',
        {},
      );
      const waiting = interceptors.filter(
        (i) => i.metadata.labels?.['server/type'] === 'https' && !i.spec?.clientConfig?.caBundle,
      );
      if (waiting.length > 0)
        throw new Error(
          `ClusterInterceptors without a caBundle yet: ${waiting.map((i) => i.metadata.name).join(', ')}`,
        );
    },
    { timeoutMs, intervalMs: 500 },
  );
}
