/**
 * KubeClient.resourceTypeOf: the resource a kind is served as, found in the server's discovery
 * document as kubectl finds it, for kinds this tool does not know in advance (what a TriggerTemplate
 * creates). Against the local control plane with Tekton Pipelines' own Pipeline CRD, a kind the tool
 * has no entry for (read from the Go module cache at the version test/real/tekton/go.mod pins).
 */
import { join } from 'node:path';
import { dump } from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeClient } from '../../src/kube/client.ts';
import { resolveKubeTarget } from '../../src/kube/kubeconfig.ts';
import { type Kubectl, kubectlFor } from '../control-plane/helpers.ts';
import { REPO_ROOT } from '../support/cli.ts';
import { type ControlPlane, startControlPlane } from '../support/control-plane/index.ts';
import { crdsIn, moduleDir } from '../support/crds.ts';

let plane: ControlPlane;
let kubectl: Kubectl;
let kube: KubeClient;

beforeAll(async () => {
  plane = await startControlPlane();
  kubectl = kubectlFor(plane);
  kube = new KubeClient(
    resolveKubeTarget({ kubeconfig: join(kubectl.dir, 'kubeconfig.yaml'), requestTimeoutMs: 10_000 }),
  );
});
afterAll(async () => {
  await kube.close();
  kubectl.cleanup();
  await plane.stop();
});

describe('resourceTypeOf', () => {
  it('is undefined for a kind the server does not serve, and the served resource once a CRD serves it', async () => {
    expect(await kube.resourceTypeOf('tekton.dev/v1', 'Pipeline')).toBeUndefined();
    const crd = join(
      moduleDir('github.com/tektoncd/pipeline', join(REPO_ROOT, 'test/real/tekton')),
      'config/300-crds/300-pipeline.yaml',
    );
    const applied = await kubectl.withInput(
      crdsIn(crd)
        .map((o) => dump(o))
        .join('---\n'),
      'apply',
      '--server-side',
      '-f',
      '-',
    );
    expect(applied.code, applied.stderr).toBe(0);
    const established = await kubectl(
      'wait',
      '--for=condition=Established',
      '--timeout=30s',
      'crd/pipelines.tekton.dev',
    );
    expect(established.code, established.stderr).toBe(0);

    expect(await kube.resourceTypeOf('tekton.dev/v1', 'Pipeline')).toEqual({
      apiVersion: 'tekton.dev/v1',
      kind: 'Pipeline',
      resource: 'pipelines',
      namespaced: true,
    });
    // Once found, the client reads and lists the kind like the ones it knows.
    expect(await kube.list('tekton.dev/v1', 'Pipeline', { namespace: 'default' })).toEqual([]);
    expect(await kube.resourceTypeOf('tekton.dev/v1', 'NoSuchKind')).toBeUndefined();
  });
});
