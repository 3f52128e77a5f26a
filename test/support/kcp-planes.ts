/**
 * The kcp servers a workspace scenario runs on, as a table (like clusters.ts for Kubernetes):
 * `npm test` has the local kcp imitation of test/support; the real run (vitest.real.config.ts,
 * project real-kcp) has a real kcp v0.26.0 built from test/real/kcp/go.mod, shared by the run.
 * Both hold the same workspaces: root:org (an organization, the user's), root:org:secret (closed
 * to the outsider), root:compute with the APIExport "kubernetes", and a workspace type "stuck"
 * whose initializer nobody clears. The outsider (on the real kcp its "user") may enter root:org
 * and list its workspaces, and has no access to root:org:secret or root:org:pending. Scenarios read back through kubectl only, so both answer alike.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import { type CommandResult, runExecutable } from './cli.ts';
import { COMPUTE_EXPORT_RESOURCES, startControlPlane } from './control-plane/index.ts';
import { writeRealKubeconfig } from '../real/kubeconfig.ts';

export interface ProvidedRealKcp {
  /** https://127.0.0.1:PORT */
  url: string;
  ca: string;
  tokens: { admin: string; user: string };
}

declare module 'vitest' {
  export interface ProvidedContext {
    realKcp: ProvidedRealKcp;
  }
}

export const ORG = 'root:org';
export const SECRET = 'root:org:secret';
/** Made by the suite with the stuck type; the outsider has no access to it. */
export const PENDING = 'root:org:pending';
export const BIND = 'root:compute:kubernetes';

export interface KcpUnderTest {
  readonly name: 'local kcp imitation' | 'real kcp';
  /** <url>/clusters/<path> */
  workspaceUrl(path: string): string;
  /** A fresh kubeconfig file pointing at `workspace`, as the admin or as an outsider to root:org:secret. */
  kubeconfig(workspace: string, options?: { user?: 'admin' | 'outsider'; namespace?: string }): string;
  /** kubectl as the admin, in a workspace. */
  kubectl(workspace: string, ...args: string[]): Promise<CommandResult>;
  close(): Promise<void>;
}

export interface KcpRow {
  name: KcpUnderTest['name'];
  connect(): Promise<KcpUnderTest>;
}

const freshFile = () => join(mkdtempSync(join(tmpdir(), 'tg-kcp-')), 'kubeconfig');

function withKubectl(plane: Omit<KcpUnderTest, 'kubectl'>): KcpUnderTest {
  return {
    ...plane,
    kubectl: (workspace, ...args) =>
      runExecutable('kubectl', args, { KUBECONFIG: plane.kubeconfig(workspace) }),
  };
}

const local: KcpRow = {
  name: 'local kcp imitation',
  async connect() {
    const plane = await startControlPlane({
      kcp: {
        workspaces: [
          { path: ORG, type: 'organization' },
          { path: SECRET },
          { path: 'root:compute', type: 'organization', exports: { kubernetes: COMPUTE_EXPORT_RESOURCES } },
        ],
        workspaceTypes: [{ name: 'stuck', stuck: true }],
      },
      users: {
        'admin-token': { name: 'admin' },
        'outsider-token': { name: 'outsider', deny: [{ workspace: SECRET }, { workspace: PENDING }] },
      },
    });
    return withKubectl({
      name: 'local kcp imitation',
      workspaceUrl: (path) => plane.workspaceUrl(path),
      kubeconfig: (workspace, options = {}) =>
        plane.writeKubeconfig(freshFile(), {
          workspace,
          namespace: options.namespace,
          token: options.user === 'outsider' ? 'outsider-token' : 'admin-token',
        }),
      close: () => plane.stop(),
    });
  },
};

/** In root: a type that extends universal (so an organization may hold it) with an initializer nobody clears. */
const STUCK_TYPE = {
  apiVersion: 'tenancy.kcp.io/v1alpha1',
  kind: 'WorkspaceType',
  metadata: { name: 'stuck' },
  spec: { initializer: true, extend: { with: [{ name: 'universal', path: 'root' }] } },
};

/** In root:org: the ordinary user may enter it and see its workspaces, nothing more. */
const MEMBER_ACCESS = [
  {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name: 'org-member' },
    rules: [
      { nonResourceURLs: ['/'], verbs: ['access'] },
      { apiGroups: ['tenancy.kcp.io'], resources: ['workspaces'], verbs: ['get', 'list', 'watch'] },
    ],
  },
  {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: 'org-member-user' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'org-member' },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'user' }],
  },
];

const SECRET_WORKSPACE = {
  apiVersion: 'tenancy.kcp.io/v1alpha1',
  kind: 'Workspace',
  metadata: { name: 'secret' },
  spec: { type: { name: 'universal', path: 'root' } },
};

const real = (provided: ProvidedRealKcp): KcpRow => ({
  name: 'real kcp',
  async connect() {
    const workspaceUrl = (path: string) => `${provided.url}/clusters/${path}`;
    const plane = withKubectl({
      name: 'real kcp',
      workspaceUrl,
      kubeconfig: (workspace, options = {}) =>
        writeRealKubeconfig(
          freshFile(),
          { url: workspaceUrl(workspace), ca: provided.ca },
          { token: options.user === 'outsider' ? provided.tokens.user : provided.tokens.admin },
          { context: 'kcp', namespace: options.namespace },
        ),
      close: async () => undefined,
    });
    // The same fixtures as the imitation's (kubectl apply: the second suite of the run finds them).
    const apply = async (workspace: string, objects: object[]) => {
      const file = join(mkdtempSync(join(tmpdir(), 'tg-kcp-')), 'objects.json');
      writeFileSync(file, JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }));
      const applied = await plane.kubectl(workspace, 'apply', '-f', file);
      if (applied.exitCode !== 0) throw new Error(`kubectl apply in ${workspace}: ${applied.stderr}`);
    };
    await apply('root', [STUCK_TYPE]);
    await apply(ORG, [...MEMBER_ACCESS, SECRET_WORKSPACE]);
    const ready = await plane.kubectl(
      ORG,
      'wait',
      '--for=jsonpath={.status.phase}=Ready',
      '--timeout=120s',
      'workspace/secret',
    );
    if (ready.exitCode !== 0) throw new Error(`workspace root:org:secret is not Ready: ${ready.stderr}`);
    return plane;
  },
});

/** The kcp servers of this run: the real one where the real-kcp project provides it, else the imitation. */
export function kcpPlanes(): KcpRow[] {
  const provided = inject('realKcp') as ProvidedRealKcp | undefined;
  return provided ? [real(provided)] : [local];
}

let serial = 0;
/** A workspace name no other test of this run uses. */
export function freshWorkspace(prefix: string): string {
  serial += 1;
  return `${prefix}-${process.pid.toString(36)}-${serial}`;
}
