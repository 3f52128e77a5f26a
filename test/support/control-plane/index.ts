/**
 * An in-process fake Kubernetes API server ("local control plane") that the real kubectl and
 * @kubernetes/client-node can talk to over HTTPS; test/control-plane/*.test.ts shows it in use.
 * Besides the REST verbs it serves pods/log (pod-logs.ts: the data plane's process output) and
 * pods/portforward (port-forward/: SPDY/3.1, SPDY over WebSocket, and the WebSocket channel protocol).
 */
import { Authenticator } from './auth.ts';
import { DEFAULT_TOKEN, writeKubeconfig } from './kubeconfig.ts';
import { findByKind, findByPlural } from './resources.ts';
import { Router } from './router.ts';
import { listen } from './server.ts';
import { CA_CERT } from './tls.ts';
import { LocalDataPlane } from './data-plane/index.ts';
import type {
  ControlPlane,
  ControlPlaneOptions,
  ControlPlaneWithDataPlane,
  DataPlaneOptions,
  KubeObject,
  PodRuntime,
  RequestRecord,
} from './types.ts';
import { Workspace } from './workspace.ts';

export type {
  AccessRule,
  ControlPlane,
  ControlPlaneOptions,
  ControlPlaneWithDataPlane,
  DataPlane,
  DataPlaneOptions,
  DataPlaneProcess,
  KubeconfigOptions,
  KubeObject,
  PodRef,
  PodRuntime,
  RequestRecord,
  UserSpec,
} from './types.ts';

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
  const fallback = options.podRuntime ?? instantPodRuntime;
  const dataPlane = options.dataPlane
    ? new LocalDataPlane(options.dataPlane === true ? {} : options.dataPlane, fallback)
    : undefined;
  const workspace = new Workspace(dataPlane ?? fallback, dataPlane?.logSource);
  dataPlane?.attach(workspace.store);
  const authenticator = new Authenticator(options.users ?? { [DEFAULT_TOKEN]: { name: 'admin' } });
  const requests: RequestRecord[] = [];
  let http: Awaited<ReturnType<typeof listen>>;
  try {
    http = await listen(() => router, requests);
  } catch (error) {
    await workspace.stop();
    await dataPlane?.close();
    throw error;
  }
  const router = new Router(
    authenticator,
    () => http.address,
    () => workspace,
  );

  const put = (object: KubeObject): KubeObject => {
    const type = findByKind(object.apiVersion, object.kind);
    if (!type) throw new Error(`unknown kind ${object.apiVersion} ${object.kind}`);
    const namespace = type.namespaced ? (object.metadata.namespace ?? 'default') : undefined;
    const exists = workspace.store.get(type.plural, namespace, object.metadata.name);
    const { resourceVersion: _ignored, ...metadata } = object.metadata;
    const input = { ...object, metadata: { ...metadata, ...(namespace ? { namespace } : {}) } };
    const stored = exists
      ? workspace.objects.update(type, input)
      : workspace.objects.create(type, namespace, input);
    if (object.status === undefined || !type.subresources.includes('status')) return stored;
    return workspace.objects.update(type, { ...stored, status: object.status }, { subresource: 'status' });
  };

  return {
    url: http.url,
    ca: CA_CERT,
    requests,
    writeKubeconfig: (path, opts) => writeKubeconfig(http.url, path, opts),
    get: (resource, name, namespace) =>
      workspace.store.get(resource, findByPlural(resource)?.namespaced ? namespace : undefined, name),
    list: (resource, namespace) => workspace.store.list(resource, namespace),
    put,
    ...(dataPlane ? { dataPlane } : {}),
    stop: async () => {
      await workspace.stop();
      await dataPlane?.close();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.server.close(() => resolve()));
    },
  };
}
