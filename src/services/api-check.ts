/**
 * Before install writes anything: does this cluster serve every kind the gateway is made of? A kcp
 * workspace often does not (its APIs come from bindings), and a half-applied gateway helps nobody.
 */
import { ExitCode, GatewayError } from '../errors.ts';
import { explainInaccessibleWorkspace } from '../kcp/access.ts';
import { KCP_TENANCY_GROUP } from '../kcp/detect.ts';
import { parseWorkspaceUrl } from '../kcp/paths.ts';
import type { KubeClient } from '../kube/client.ts';
import { servedApis } from '../kube/discovery.ts';
import { apiStatusOf } from '../kube/errors.ts';
import { resourceType } from '../kube/resources.ts';
import type { KubeObject } from '../manifests/types.ts';

const qualified = (apiVersion: string, resource: string) =>
  apiVersion.includes('/') ? `${resource}.${apiVersion.slice(0, apiVersion.indexOf('/'))}` : resource;

function joinWords(words: string[]): string {
  return words.length < 2 ? (words[0] ?? '') : `${words.slice(0, -1).join(', ')} and ${words.at(-1)}`;
}

/** The APIs install --expose may need besides the built-in ones, and how a cluster gets them. */
const EXPOSURE_APIS: Record<string, { api: string; why: string; next: string[] }> = {
  'httproutes.gateway.networking.k8s.io': {
    api: 'HTTPRoutes (gateway.networking.k8s.io/v1)',
    why: '--expose httproute creates a Gateway API HTTPRoute, and the Gateway API CRDs are not installed here',
    next: [
      'install the Gateway API CRDs: kubectl apply --server-side -f https://github.com/kubernetes-sigs/gateway-api/releases/download/v1.6.3/standard-install.yaml (a Gateway controller such as Envoy Gateway, Istio or Cilium usually brings them)',
      'or expose the gateway another way: --expose ingress, route or none',
    ],
  },
  'routes.route.openshift.io': {
    api: 'Routes (route.openshift.io/v1)',
    why: '--expose route creates an OpenShift Route, which only OpenShift, OKD and MicroShift serve',
    next: [
      'run it against an OpenShift cluster, or expose the gateway another way: --expose ingress, httproute or none',
    ],
  },
};

/** `rerun`: the install command line as the user would repeat it, for the hint to add --bind. */
export async function checkServedApis(kube: KubeClient, objects: KubeObject[], rerun: string): Promise<void> {
  const needed = new Map<string, { apiVersion: string; resource: string }>();
  for (const object of objects) {
    const { resource } = resourceType(object.apiVersion, object.kind);
    needed.set(qualified(object.apiVersion, resource), { apiVersion: object.apiVersion, resource });
  }
  let apis: Awaited<ReturnType<typeof servedApis>>;
  try {
    apis = await servedApis(
      kube,
      [...needed.values()].map((entry) => entry.apiVersion),
    );
  } catch (error) {
    const workspace = parseWorkspaceUrl(kube.target.server);
    if (workspace && apiStatusOf(error)?.code === 403)
      throw await explainInaccessibleWorkspace(kube, workspace.base, workspace.path);
    throw error;
  }
  const missing = [...needed]
    .filter(([, entry]) => !apis.serves(entry.apiVersion, entry.resource))
    .map(([name]) => name);
  if (missing.length === 0) return;
  const list = joinWords(missing);
  const workspace = parseWorkspaceUrl(kube.target.server);
  if (apis.groups.has(KCP_TENANCY_GROUP)) {
    const where = workspace ? `workspace ${workspace.path}` : 'this kcp workspace';
    throw new GatewayError(`${where} does not serve ${list}`, {
      why: 'a kcp workspace serves only the APIs its type and its APIBindings bring, and the gateway is a Deployment with Services and an Ingress',
      next: [
        `bind an APIExport that provides them: ${rerun} --bind PATH:EXPORT, e.g. --bind root:compute:kubernetes`,
        'ask your kcp admins which export that is: kubectl get apiexports, in the workspace that provides them',
      ],
      exitCode: ExitCode.clusterState,
    });
  }
  const exposure = missing.map((name) => EXPOSURE_APIS[name]).find((api) => api !== undefined);
  if (exposure) {
    throw new GatewayError(`the cluster does not serve ${exposure.api}`, {
      why: exposure.why,
      next: [...exposure.next, `kubectl --context ${kube.target.contextName} api-resources`],
      exitCode: ExitCode.clusterState,
    });
  }
  throw new GatewayError(`the cluster does not serve ${list}`, {
    why: 'the gateway is made of Namespaces, ConfigMaps, Services, a Deployment, a PodDisruptionBudget (policy/v1, Kubernetes 1.21+) and an Ingress (networking.k8s.io/v1, Kubernetes 1.19+)',
    next: [
      `kubectl --context ${kube.target.contextName} api-resources`,
      'install on a cluster that serves them',
    ],
    exitCode: ExitCode.clusterState,
  });
}
