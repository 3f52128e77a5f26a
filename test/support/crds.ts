/**
 * The CustomResourceDefinitions the exposure tests install, read from the Go module cache at the
 * versions test/real/crds/go.mod pins (`go mod download` fetches them through the module proxy the
 * first time). Never copied into the repository.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadAll } from 'js-yaml';
import type { KubeObject } from '../../src/manifests/types.ts';
import { REPO_ROOT } from './cli.ts';

const CRDS_MODULE = join(REPO_ROOT, 'test/real/crds');
const GO = ['/usr/local/go/bin/go', 'go'].find((go) => go === 'go' || existsSync(go)) ?? 'go';

/** Where a module pinned in test/real/crds/go.mod is unpacked. */
function moduleDir(module: string): string {
  let output: string;
  try {
    output = execFileSync(GO, ['mod', 'download', '-json', module], { cwd: CRDS_MODULE, encoding: 'utf8' });
  } catch (error) {
    const stdout = (error as { stdout?: string }).stdout;
    if (!stdout) {
      throw new Error(
        `the --expose tests read ${module}'s CRDs from the Go module cache, and \`go mod download\` failed in ${CRDS_MODULE}: ${String(error)}; install Go 1.26 or later (or run .ci/run)`,
        { cause: error },
      );
    }
    output = stdout;
  }
  const { Dir, Error: failure } = JSON.parse(output) as { Dir?: string; Error?: string };
  if (!Dir) throw new Error(`go mod download ${module}: ${failure ?? 'no directory'}`);
  return Dir;
}

function crdsIn(file: string): KubeObject[] {
  return loadAll(readFileSync(file, 'utf8')).filter(
    (document): document is KubeObject =>
      typeof document === 'object' &&
      document !== null &&
      (document as KubeObject).kind === 'CustomResourceDefinition',
  );
}

/** Gateway API's standard channel: GatewayClass, Gateway and HTTPRoute (sigs.k8s.io/gateway-api). */
export function gatewayApiCrds(): KubeObject[] {
  const dir = join(moduleDir('sigs.k8s.io/gateway-api'), 'config/crd/standard');
  return ['gatewayclasses', 'gateways', 'httproutes'].flatMap((plural) =>
    crdsIn(join(dir, `gateway.networking.k8s.io_${plural}.yaml`)),
  );
}

/** OpenShift's Route (github.com/openshift/api), as MicroShift installs it. */
export function openshiftRouteCrds(): KubeObject[] {
  return crdsIn(
    join(moduleDir('github.com/openshift/api'), 'route/v1/zz_generated.crd-manifests/routes.crd.yaml'),
  );
}
