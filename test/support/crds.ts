/**
 * The CustomResourceDefinitions the exposure tests install, read from the Go module cache at the
 * versions test/real/crds/go.mod pins (`go mod download` fetches them through the module proxy the
 * first time). Never copied into the repository.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadAll } from 'js-yaml';
import type { KubeObject } from '../../src/manifests/types.ts';
import { REPO_ROOT } from './cli.ts';

const CRDS_MODULE = join(REPO_ROOT, 'test/real/crds');
const GO = ['/usr/local/go/bin/go', 'go'].find((go) => go === 'go' || existsSync(go)) ?? 'go';

/** Where a module pinned in the go.mod of `pinnedIn` (test/real/crds by default) is unpacked. */
export function moduleDir(module: string, pinnedIn = CRDS_MODULE): string {
  let output: string;
  try {
    output = execFileSync(GO, ['mod', 'download', '-json', module], { cwd: pinnedIn, encoding: 'utf8' });
  } catch (error) {
    const stdout = (error as { stdout?: string }).stdout;
    if (!stdout) {
      throw new Error(
        `the tests read ${module}'s manifests from the Go module cache, and \`go mod download\` failed in ${pinnedIn}: ${String(error)}; install Go 1.26 or later (or run .ci/run)`,
        { cause: error },
      );
    }
    output = stdout;
  }
  const { Dir, Error: failure } = JSON.parse(output) as { Dir?: string; Error?: string };
  if (!Dir) throw new Error(`go mod download ${module}: ${failure ?? 'no directory'}`);
  return Dir;
}

export function crdsIn(file: string): KubeObject[] {
  return loadAll(readFileSync(file, 'utf8')).filter(
    (document): document is KubeObject =>
      typeof document === 'object' &&
      document !== null &&
      (document as KubeObject).kind === 'CustomResourceDefinition',
  );
}

/**
 * Gateway API's standard channel (sigs.k8s.io/gateway-api): GatewayClass, Gateway, HTTPRoute,
 * GRPCRoute, ReferenceGrant and BackendTLSPolicy, every kind a Gateway controller (Traefik) watches.
 */
export function gatewayApiCrds(): KubeObject[] {
  const dir = join(moduleDir('sigs.k8s.io/gateway-api'), 'config/crd/standard');
  return readdirSync(dir)
    .filter((file) => file.endsWith('.yaml'))
    .sort()
    .flatMap((file) => crdsIn(join(dir, file)));
}

/** OpenShift's Route (github.com/openshift/api), as MicroShift installs it. */
export function openshiftRouteCrds(): KubeObject[] {
  return crdsIn(
    join(moduleDir('github.com/openshift/api'), 'route/v1/zz_generated.crd-manifests/routes.crd.yaml'),
  );
}
