/**
 * The control planes a scenario runs on, as a table: one test body, a list of control planes (as
 * Kubernetes' and kcp's e2e frameworks do). `npm test`'s fast run has the local control plane of
 * test/support (with its data plane when HAProxy is installed); the real run (vitest.real.config.ts)
 * has the real kube-apiserver, kube-controller-manager, scheduler, etcd and node agent of test/real,
 * shared by the whole run. Scenarios read and assert through the API only, so both answer alike.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import { KubeClient } from '../../src/kube/client.ts';
import { resolveKubeTarget } from '../../src/kube/kubeconfig.ts';
import { compactEtcd, type EtcdConnection } from '../real/etcd.ts';
import { runExecutable } from './cli.ts';
import { startControlPlane, type ControlPlane, type UserSpec } from './control-plane/index.ts';
import { DEFAULT_TOKEN } from './control-plane/kubeconfig.ts';
import { eventually } from './eventually.ts';
import { findHaproxy } from './haproxy.ts';
import { kubeconfigForUser } from './kubeconfig.ts';

export interface ClusterUnderTest {
  readonly name: 'local' | 'real';
  /** A kubeconfig with cluster-admin rights. */
  readonly kubeconfig: string;
  /** A cluster-admin client for reading back what the commands did. */
  readonly kube: KubeClient;
  /** Whether gateway pods run real HAProxy (always on the real control plane). */
  readonly runsHaproxy: boolean;
  /**
   * A kubeconfig for a user who may read but not write in `namespace`: on the real control plane a
   * ServiceAccount bound to the built-in `view` ClusterRole, with a TokenRequest token; locally a
   * user whose writes the control plane denies.
   */
  readOnlyKubeconfig(namespace: string): Promise<string>;
  /**
   * A kubeconfig for a user who may run route add and install in `namespace` (and read namespaces
   * and nodes) but not pods/exec: on the real control plane a ServiceAccount with a Role of its own.
   */
  noExecKubeconfig(namespace: string): Promise<string>;
  /** Compacts the store's history (etcd's, on the real one): watches from older resourceVersions get 410 Gone. */
  compact(): Promise<void>;
  /**
   * The cluster's front door, where one runs (Traefik on the real control plane, test/real/traefik.ts):
   * the address of its LoadBalancer Service, which it publishes in Ingress and Gateway status.
   */
  readonly ingressAddress?: string;
  close(): Promise<void>;
}

export interface ControlPlaneRow {
  name: 'local' | 'real';
  connect(): Promise<ClusterUnderTest>;
}

function clientFor(kubeconfig: string): KubeClient {
  return new KubeClient(resolveKubeTarget({ kubeconfig, requestTimeoutMs: 30_000 }));
}

const READER_TOKEN = 'reader';
const WRITES = ['create', 'update', 'patch', 'delete', 'deletecollection'];

const local: ControlPlaneRow = {
  name: 'local',
  async connect() {
    const haproxy = findHaproxy() !== undefined;
    const users: Record<string, UserSpec> = { [DEFAULT_TOKEN]: { name: 'admin' } };
    const plane: ControlPlane = haproxy
      ? await startControlPlane({ dataPlane: true, users })
      : await startControlPlane({ users });
    const kubeconfig = plane.writeKubeconfig(join(mkdtempSync(join(tmpdir(), 'tg-cluster-')), 'kubeconfig'));
    const kube = clientFor(kubeconfig);
    return {
      name: 'local',
      kubeconfig,
      kube,
      runsHaproxy: haproxy,
      readOnlyKubeconfig: async (namespace) => {
        const token = `${READER_TOKEN}-${namespace}`;
        // The Authenticator reads this same object: the user exists from now on.
        users[token] = {
          name: `system:serviceaccount:${namespace}:reader`,
          deny: WRITES.map((verb) => ({ verb })),
          onlyNamespace: namespace,
        };
        return kubeconfigForUser(plane, { token });
      },
      noExecKubeconfig: async (namespace) => {
        const token = `editor-${namespace}`;
        users[token] = {
          name: `system:serviceaccount:${namespace}:editor`,
          deny: [{ resource: 'pods/exec' }],
        };
        return kubeconfigForUser(plane, { token });
      },
      compact: async () => plane.compact(),
      close: async () => {
        await kube.close();
        await plane.stop();
      },
    };
  },
};

/** What the real run's global setup provides (test/real/global-setup.ts). */
interface ProvidedPlane {
  url: string;
  ca: string;
  kubeconfig: string;
  etcd: EtcdConnection;
  ingressAddress?: string;
}

const real = ({ url, ca, kubeconfig, etcd, ingressAddress }: ProvidedPlane): ControlPlaneRow => ({
  name: 'real',
  async connect() {
    const plane = { url, ca };
    const kube = clientFor(kubeconfig);
    return {
      name: 'real',
      kubeconfig,
      kube,
      runsHaproxy: true,
      ...(ingressAddress ? { ingressAddress } : {}),
      readOnlyKubeconfig: async (namespace) => {
        const admin = (...args: string[]) =>
          runExecutable('kubectl', [...args, '-n', namespace], { KUBECONFIG: kubeconfig });
        for (const args of [
          ['create', 'serviceaccount', 'reader'],
          [
            'create',
            'rolebinding',
            'reader-view',
            '--clusterrole=view',
            `--serviceaccount=${namespace}:reader`,
          ],
        ]) {
          const made = await admin(...args);
          if (made.exitCode !== 0 && !made.stderr.includes('AlreadyExists')) throw new Error(made.stderr);
        }
        // The RBAC authorizer learns of a new RoleBinding from its informer, a moment later: wait for it.
        await eventually(
          async () => {
            const allowed = await admin(
              'auth',
              'can-i',
              'get',
              'configmaps',
              `--as=system:serviceaccount:${namespace}:reader`,
            );
            if (allowed.stdout.trim() !== 'yes')
              throw new Error(`the reader may not read yet: ${allowed.stderr}`);
          },
          { timeoutMs: 30_000 },
        );
        const token = await admin('create', 'token', 'reader', '--duration=1h');
        if (token.exitCode !== 0) throw new Error(token.stderr);
        return kubeconfigForUser(plane, { token: token.stdout.trim() });
      },
      noExecKubeconfig: async (namespace) => {
        const applied = await runExecutable(
          'sh',
          ['-c', 'printf "%s" "$0" | kubectl apply -f -', noExecRbac(namespace)],
          {
            KUBECONFIG: kubeconfig,
          },
        );
        if (applied.exitCode !== 0) throw new Error(applied.stderr);
        const as = `--as=system:serviceaccount:${namespace}:editor`;
        const can = (...args: string[]) =>
          runExecutable('kubectl', ['auth', 'can-i', ...args, as, '-n', namespace], {
            KUBECONFIG: kubeconfig,
          });
        // The RBAC authorizer learns of new bindings from its informer, a moment later: wait for them.
        await eventually(
          async () => {
            for (const args of [
              ['update', 'configmaps'],
              ['get', 'namespaces'],
            ]) {
              const allowed = await can(...args);
              if (allowed.stdout.trim() !== 'yes') throw new Error(`may not ${args.join(' ')} yet`);
            }
          },
          { timeoutMs: 30_000 },
        );
        expectNo(await can('create', 'pods', '--subresource=exec'));
        const token = await runExecutable(
          'kubectl',
          ['create', 'token', 'editor', '--duration=1h', '-n', namespace],
          { KUBECONFIG: kubeconfig },
        );
        if (token.exitCode !== 0) throw new Error(token.stderr);
        return kubeconfigForUser(plane, { token: token.stdout.trim() });
      },
      compact: async () => {
        await compactEtcd(etcd);
      },
      close: () => kube.close(),
    };
  },
});

function expectNo(answer: { stdout: string }): void {
  if (answer.stdout.trim() !== 'no') throw new Error(`the editor may exec into pods: ${answer.stdout}`);
}

/** Everything route add and install touch in `namespace`, and namespaces and nodes (install applies its own); no pods/exec. */
function noExecRbac(namespace: string): string {
  const resources = [
    'configmaps',
    'services',
    'serviceaccounts',
    'pods',
    'pods/log',
    'pods/proxy',
    'endpoints',
    'events',
    'deployments',
    'replicasets',
    'poddisruptionbudgets',
    'ingresses',
    'httproutes',
    'routes',
  ];
  return `apiVersion: v1
kind: ServiceAccount
metadata: { name: editor, namespace: ${namespace} }
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: { name: gateway-editor, namespace: ${namespace} }
rules:
  - apiGroups: ['', apps, policy, networking.k8s.io, gateway.networking.k8s.io, route.openshift.io]
    resources: [${resources.join(', ')}]
    verbs: ['*']
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: { name: gateway-editor, namespace: ${namespace} }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: Role, name: gateway-editor }
subjects: [{ kind: ServiceAccount, name: editor, namespace: ${namespace} }]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: { name: tg-editor-${namespace} }
rules:
  - apiGroups: ['']
    resources: [namespaces, nodes]
    verbs: [get, list, patch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: { name: tg-editor-${namespace} }
roleRef: { apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: tg-editor-${namespace} }
subjects: [{ kind: ServiceAccount, name: editor, namespace: ${namespace} }]
`;
}

/**
 * The control planes of this run: the real one where the real run's global setup provides it
 * (test/real/global-setup.ts), the local one otherwise.
 */
export function controlPlanes(): ControlPlaneRow[] {
  const provided = inject('realControlPlane') as ProvidedPlane | undefined;
  return provided ? [real(provided)] : [local];
}

let serial = 0;
/** A namespace name no other test of this run uses. */
export function freshNamespace(prefix: string): string {
  serial += 1;
  return `${prefix}-${process.pid.toString(36)}-${serial}`;
}
