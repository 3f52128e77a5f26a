/**
 * What a user of a real kcp finds: an organization workspace of their own (root:org), and a provider
 * workspace (root:compute) with an APIExport "kubernetes" serving what the gateway runs on:
 * Deployments, Services, Ingresses and PodDisruptionBudgets, as kcp APIResourceSchemas. kcp itself
 * serves none of them; a workspace gets them by binding the export (install --bind).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runExecutable } from '../support/cli.ts';
import type { RealKcp } from './kcp-server.ts';

export const ORG_WORKSPACE = 'root:org';
export const PROVIDER_WORKSPACE = 'root:compute';
export const COMPUTE_EXPORT = 'kubernetes';
/** What `install --bind` takes. */
export const COMPUTE_BIND = `${PROVIDER_WORKSPACE}:${COMPUTE_EXPORT}`;

interface ExportedType {
  group: string;
  version: string;
  kind: string;
  plural: string;
  shortNames?: string[];
  scale?: boolean;
}

/** The types the gateway's manifests use that kcp does not serve itself. */
const EXPORTED_TYPES: ExportedType[] = [
  {
    group: 'apps',
    version: 'v1',
    kind: 'Deployment',
    plural: 'deployments',
    shortNames: ['deploy'],
    scale: true,
  },
  { group: '', version: 'v1', kind: 'Service', plural: 'services', shortNames: ['svc'] },
  { group: 'networking.k8s.io', version: 'v1', kind: 'Ingress', plural: 'ingresses', shortNames: ['ing'] },
  {
    group: 'policy',
    version: 'v1',
    kind: 'PodDisruptionBudget',
    plural: 'poddisruptionbudgets',
    shortNames: ['pdb'],
  },
];

// kcp names schemas <prefix>.<plural>.<group>, "core" for the core group.
const schemaName = (type: ExportedType) => `v1.${type.plural}.${type.group || 'core'}`;

/** A structural schema that keeps every field: what the gateway writes is read back unchanged. */
const OPEN_OBJECT = { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };

function apiResourceSchema(type: ExportedType): Record<string, unknown> {
  return {
    apiVersion: 'apis.kcp.io/v1alpha1',
    kind: 'APIResourceSchema',
    metadata: {
      name: schemaName(type),
      // kcp, as Kubernetes for CRDs, wants *.k8s.io groups approved: these are Kubernetes' own types.
      annotations: { 'api-approved.kubernetes.io': 'https://github.com/kubernetes/kubernetes' },
    },
    spec: {
      group: type.group,
      names: {
        kind: type.kind,
        listKind: `${type.kind}List`,
        plural: type.plural,
        singular: type.kind.toLowerCase(),
        shortNames: type.shortNames ?? [],
      },
      scope: 'Namespaced',
      versions: [
        {
          name: type.version,
          served: true,
          storage: true,
          schema: { type: 'object', properties: { spec: OPEN_OBJECT, status: OPEN_OBJECT } },
          subresources: {
            status: {},
            ...(type.scale
              ? { scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas' } }
              : {}),
          },
        },
      ],
    },
  };
}

function workspace(name: string): Record<string, unknown> {
  return {
    apiVersion: 'tenancy.kcp.io/v1alpha1',
    kind: 'Workspace',
    metadata: { name },
    spec: { type: { name: 'organization', path: 'root' } },
  };
}

export interface PreparedKcp {
  /** The user's own workspace. */
  org: string;
  /** What to pass to install --bind. */
  bind: string;
}

/** Creates root:org and root:compute (waiting until Ready), then the schemas and the export. */
export async function prepareKcpForTheGateway(kcp: RealKcp): Promise<PreparedKcp> {
  const dir = join(kcp.dir, 'provider');
  mkdirSync(dir, { recursive: true });
  const kubectl = async (workspacePath: string, args: string[]) => {
    const kubeconfig = kcp.writeKubeconfig(join(dir, `${workspacePath.replaceAll(':', '_')}.kubeconfig`), {
      workspace: workspacePath,
    });
    const result = await runExecutable('kubectl', args, { KUBECONFIG: kubeconfig });
    if (result.exitCode !== 0)
      throw new Error(`kubectl ${args.join(' ')} in ${workspacePath} failed: ${result.stderr.trim()}`);
  };
  const apply = async (workspacePath: string, name: string, objects: Record<string, unknown>[]) => {
    const file = join(dir, `${name}.json`);
    writeFileSync(file, JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }));
    await kubectl(workspacePath, ['apply', '-f', file]);
  };
  const names = [ORG_WORKSPACE, PROVIDER_WORKSPACE].map((path) => path.slice('root:'.length));
  await apply('root', 'workspaces', names.map(workspace));
  await kubectl('root', [
    'wait',
    '--for=jsonpath={.status.phase}=Ready',
    '--timeout=120s',
    ...names.map((name) => `workspace/${name}`),
  ]);
  await apply(PROVIDER_WORKSPACE, 'schemas', EXPORTED_TYPES.map(apiResourceSchema));
  await apply(PROVIDER_WORKSPACE, 'export', [
    {
      apiVersion: 'apis.kcp.io/v1alpha1',
      kind: 'APIExport',
      metadata: { name: COMPUTE_EXPORT },
      spec: { latestResourceSchemas: EXPORTED_TYPES.map(schemaName) },
    },
  ]);
  return { org: ORG_WORKSPACE, bind: COMPUTE_BIND };
}
