/**
 * An in-process fake Kubernetes API server ("local control plane") that the real kubectl and
 * @kubernetes/client-node can talk to over HTTPS; test/control-plane/*.test.ts shows it in use.
 * Besides the REST verbs it serves pods/log (pod-logs.ts: the data plane's process output),
 * pods/portforward (port-forward/: SPDY/3.1, SPDY over WebSocket, and the WebSocket channel protocol),
 * pods/proxy (pod-proxy.ts: plain HTTP to the pod, which only the data plane's pods answer) and
 * pods/exec (exec/: WebSocket v5/v4 channels and SPDY, run by the data plane in the pod's view).
 * With `kcp` it imitates kcp instead (kcp/): workspaces as logical clusters under /clusters/<path>/.
 */
import { Authenticator } from './auth.ts';
import { Kcp } from './kcp/index.ts';
import { DEFAULT_TOKEN, writeKubeconfig } from './kubeconfig.ts';
import { objectAccess } from './object-access.ts';
import { Router, singleCluster, type Tenancy } from './router.ts';
import { listen } from './server.ts';
import { ADMIN_CLIENT_CERT, ADMIN_CLIENT_KEY, CA_CERT } from './tls.ts';
import { LocalDataPlane } from './data-plane/index.ts';
import type {
  ControlPlane,
  ControlPlaneOptions,
  ControlPlaneWithDataPlane,
  DataPlaneOptions,
  PodRuntime,
  RequestRecord,
} from './types.ts';
import { Workspace } from './workspace.ts';

export type {
  AccessRule,
  ClusterObjects,
  ControlPlane,
  ControlPlaneOptions,
  ControlPlaneWithDataPlane,
  DataPlane,
  DataPlaneOptions,
  DataPlaneProcess,
  KcpOptions,
  KcpWorkspaceSeed,
  KcpWorkspaceTypeSeed,
  KubeconfigOptions,
  KubeObject,
  PodRef,
  PodRuntime,
  RequestRecord,
  Stall,
  StallCandidate,
  StalledRequest,
  UserSpec,
} from './types.ts';

/** What a kcp compute provider exports: everything the gateway runs on, for `exports` in kcp mode. */
export const COMPUTE_EXPORT_RESOURCES = [
  'services',
  'pods',
  'endpoints',
  'deployments.apps',
  'replicasets.apps',
  'ingresses.networking.k8s.io',
  'ingressclasses.networking.k8s.io',
  'poddisruptionbudgets.policy',
];

/** Every pod is Ready as soon as it starts. */
export const instantPodRuntime: PodRuntime = {
  start: async () => 'ready',
  stop: async () => undefined,
};

export async function startControlPlane(
  options: ControlPlaneOptions & { dataPlane: true | DataPlaneOptions },
): Promise<ControlPlaneWithDataPlane>;
export async function startControlPlane(options?: ControlPlaneOptions): Promise<ControlPlane>;
export async function startControlPlane(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
  if (options.kcp && options.dataPlane) {
    throw new Error('startControlPlane: kcp mode does not support dataPlane (use one or the other)');
  }
  const fallback = options.podRuntime ?? instantPodRuntime;
  const dataPlane = options.dataPlane
    ? new LocalDataPlane(options.dataPlane === true ? {} : options.dataPlane, fallback)
    : undefined;
  const single = options.kcp
    ? undefined
    : new Workspace(
        dataPlane ?? fallback,
        dataPlane ? { logSources: dataPlane.logSource, exec: dataPlane.exec } : {},
      );
  if (single) dataPlane?.attach(single.store);
  const authenticator = new Authenticator(options.users ?? { [DEFAULT_TOKEN]: { name: 'admin' } });
  const requests: RequestRecord[] = [];
  let http: Awaited<ReturnType<typeof listen>>;
  try {
    http = await listen(() => router, requests);
  } catch (error) {
    await single?.stop();
    await dataPlane?.close();
    throw error;
  }
  const closeHttp = async () => {
    http.closeAllConnections();
    await new Promise<void>((resolve) => http.server.close(() => resolve()));
  };
  let kcp: Kcp | undefined;
  try {
    kcp = options.kcp ? new Kcp(options.kcp === true ? {} : options.kcp, fallback, http.url) : undefined;
    kcp?.seed();
  } catch (error) {
    await kcp?.stop();
    await closeHttp();
    throw error;
  }
  // Plain mode: the one logical cluster; kcp mode: root, also served at URLs without /clusters/.
  const main = kcp ? kcp.root.workspace : (single as Workspace);
  const tenancy: Tenancy = kcp ?? singleCluster(main);
  const router = new Router(authenticator, () => http.address, tenancy);
  const kcpOnly = (what: string): Kcp => {
    if (!kcp) throw new Error(`${what} is for kcp mode only (startControlPlane({ kcp: true }))`);
    return kcp;
  };

  return {
    url: http.url,
    ca: CA_CERT,
    adminCertificate: { cert: ADMIN_CLIENT_CERT, key: ADMIN_CLIENT_KEY },
    requests,
    stall: (match) => http.stall(match),
    writeKubeconfig: (path, opts) => writeKubeconfig(http.url, path, opts),
    workspaceUrl: (path) => kcpOnly('workspaceUrl').url(path),
    cluster: (path) => {
      const found = kcpOnly('cluster').find(path);
      return found && objectAccess(found.workspace);
    },
    compact: () => main.store.compact(),
    ...objectAccess(main),
    ...(dataPlane ? { dataPlane } : {}),
    stop: async () => {
      await (kcp ? kcp.stop() : single?.stop());
      await dataPlane?.close();
      await closeHttp();
    },
  };
}
