/** The kinds this tool reads and writes, and where the API serves them. */
export interface ResourceType {
  apiVersion: string;
  kind: string;
  /** Plural resource name, as in URLs and `kubectl auth can-i`. */
  resource: string;
  namespaced: boolean;
}

const RESOURCE_TYPES: ResourceType[] = [
  { apiVersion: 'v1', kind: 'Namespace', resource: 'namespaces', namespaced: false },
  { apiVersion: 'v1', kind: 'ServiceAccount', resource: 'serviceaccounts', namespaced: true },
  { apiVersion: 'v1', kind: 'ConfigMap', resource: 'configmaps', namespaced: true },
  { apiVersion: 'v1', kind: 'Secret', resource: 'secrets', namespaced: true },
  { apiVersion: 'v1', kind: 'Service', resource: 'services', namespaced: true },
  { apiVersion: 'v1', kind: 'Endpoints', resource: 'endpoints', namespaced: true },
  // Read only: the port a named targetPort resolves to (a Gateway's public port).
  { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', resource: 'endpointslices', namespaced: true },
  { apiVersion: 'v1', kind: 'Pod', resource: 'pods', namespaced: true },
  { apiVersion: 'v1', kind: 'Event', resource: 'events', namespaced: true },
  // Read only, for the pod ranges install trusts by default (spec.podCIDRs).
  { apiVersion: 'v1', kind: 'Node', resource: 'nodes', namespaced: false },
  { apiVersion: 'apps/v1', kind: 'Deployment', resource: 'deployments', namespaced: true },
  { apiVersion: 'apps/v1', kind: 'ReplicaSet', resource: 'replicasets', namespaced: true },
  { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', resource: 'ingresses', namespaced: true },
  {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    resource: 'poddisruptionbudgets',
    namespaced: true,
  },
  // How the gateway is exposed besides an Ingress: Gateway API and OpenShift (install --expose).
  {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    resource: 'httproutes',
    namespaced: true,
  },
  { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', resource: 'gateways', namespaced: true },
  { apiVersion: 'route.openshift.io/v1', kind: 'Route', resource: 'routes', namespaced: true },
  // kcp: workspaces are children of the workspace that holds them; bindings bring APIs into one.
  { apiVersion: 'tenancy.kcp.io/v1alpha1', kind: 'Workspace', resource: 'workspaces', namespaced: false },
  { apiVersion: 'apis.kcp.io/v1alpha1', kind: 'APIBinding', resource: 'apibindings', namespaced: false },
  { apiVersion: 'apis.kcp.io/v1alpha1', kind: 'APIExport', resource: 'apiexports', namespaced: false },
  // Tekton Triggers: the listener behind a route, its triggers and what they check and create.
  ...(
    [
      ['v1beta1', 'EventListener', 'eventlisteners', true],
      ['v1beta1', 'Trigger', 'triggers', true],
      ['v1beta1', 'TriggerTemplate', 'triggertemplates', true],
      ['v1beta1', 'TriggerBinding', 'triggerbindings', true],
      ['v1beta1', 'ClusterTriggerBinding', 'clustertriggerbindings', false],
      ['v1alpha1', 'ClusterInterceptor', 'clusterinterceptors', false],
      ['v1alpha1', 'Interceptor', 'interceptors', true],
    ] as const
  ).map(([version, kind, resource, namespaced]) => ({
    apiVersion: `triggers.tekton.dev/${version}`,
    kind,
    resource,
    namespaced,
  })),
  // What a TriggerTemplate creates, most often (Tekton Pipelines).
  { apiVersion: 'tekton.dev/v1', kind: 'PipelineRun', resource: 'pipelineruns', namespaced: true },
  { apiVersion: 'tekton.dev/v1', kind: 'TaskRun', resource: 'taskruns', namespaced: true },
];

export function resourceType(apiVersion: string, kind: string): ResourceType {
  const found = RESOURCE_TYPES.find((type) => type.apiVersion === apiVersion && type.kind === kind);
  if (!found) throw new Error(`trigger-gateway does not handle ${kind} (${apiVersion})`);
  return found;
}

/** `app=x,tier=y`: matchLabels as a label selector. */
export const labelSelectorOf = (labels: Record<string, string>): string =>
  Object.entries(labels)
    .map(([key, value]) => `${key}=${value}`)
    .join(',');

/** URL path of a collection or, with a name, of one object. */
export function resourcePath(type: ResourceType, namespace?: string, name?: string): string {
  const base = type.apiVersion.includes('/') ? `/apis/${type.apiVersion}` : `/api/${type.apiVersion}`;
  const scope = type.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  const item = name ? `/${encodeURIComponent(name)}` : '';
  return `${base}${scope}/${type.resource}${item}`;
}
