/** The registry of served resource types: one line per kind. */

/** How object names are validated; `workspace` is kcp's rule for Workspace names. */
export type NameRule = 'subdomain' | 'label' | 'dns1035' | 'workspace';

export interface ResourceType {
  group: string;
  version: string;
  kind: string;
  plural: string;
  singular: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  subresources: string[];
  nameRule: NameRule;
  /** Built-in types accept strategic merge patch; custom resources answer 415 like the real server. */
  strategicMerge: boolean;
  /** Deletion leaves the object Terminating until a controller finalizes it (pods, namespaces). */
  graceful: boolean;
}

interface Traits {
  short?: string[];
  categories?: string[];
  sub?: string[];
  name?: NameRule;
  cluster?: true;
  crd?: true;
  graceful?: true;
}

function type(groupVersion: string, kind: string, plural: string, traits: Traits = {}): ResourceType {
  const [group, version] = groupVersion.includes('/') ? groupVersion.split('/') : ['', groupVersion];
  return {
    group: group ?? '',
    version: version ?? '',
    kind,
    plural,
    singular: kind.toLowerCase(),
    namespaced: !traits.cluster,
    shortNames: traits.short ?? [],
    categories: traits.categories ?? [],
    subresources: traits.sub ?? [],
    nameRule: traits.name ?? 'subdomain',
    strategicMerge: !traits.crd,
    graceful: traits.graceful ?? false,
  };
}

const ALL = ['all'];

export const RESOURCE_TYPES: readonly ResourceType[] = [
  type('v1', 'Namespace', 'namespaces', {
    short: ['ns'],
    sub: ['status'],
    name: 'label',
    cluster: true,
    graceful: true,
  }),
  // Read by install for the pod ranges it trusts (spec.podCIDRs), as the real server serves them.
  type('v1', 'Node', 'nodes', { short: ['no'], sub: ['status'], cluster: true }),
  type('v1', 'ConfigMap', 'configmaps', { short: ['cm'] }),
  type('v1', 'Secret', 'secrets'),
  type('v1', 'Service', 'services', { short: ['svc'], categories: ALL, sub: ['status'], name: 'dns1035' }),
  type('v1', 'ServiceAccount', 'serviceaccounts', { short: ['sa'] }),
  type('v1', 'Endpoints', 'endpoints', { short: ['ep'] }),
  type('v1', 'Pod', 'pods', { short: ['po'], categories: ALL, sub: ['status'], graceful: true }),
  type('v1', 'Event', 'events', { short: ['ev'] }),
  type('apps/v1', 'Deployment', 'deployments', {
    short: ['deploy'],
    categories: ALL,
    sub: ['status', 'scale'],
  }),
  type('apps/v1', 'ReplicaSet', 'replicasets', { short: ['rs'], categories: ALL, sub: ['status', 'scale'] }),
  type('networking.k8s.io/v1', 'Ingress', 'ingresses', { short: ['ing'], sub: ['status'] }),
  type('networking.k8s.io/v1', 'IngressClass', 'ingressclasses', { cluster: true }),
  type('policy/v1', 'PodDisruptionBudget', 'poddisruptionbudgets', { short: ['pdb'], sub: ['status'] }),
  type('apiextensions.k8s.io/v1', 'CustomResourceDefinition', 'customresourcedefinitions', {
    short: ['crd', 'crds'],
    categories: ['api-extensions'],
    sub: ['status'],
    cluster: true,
  }),
  type('triggers.tekton.dev/v1beta1', 'EventListener', 'eventlisteners', {
    short: ['el'],
    categories: ['tekton', 'tekton-triggers'],
    sub: ['status'],
    crd: true,
  }),
];

/**
 * A connect subresource: no stored object but a stream. `methods` maps each HTTP method to the RBAC
 * verbs it needs, all of them: a WebSocket GET on pods/portforward is checked as `get` (as up to 1.34)
 * and as `create` (the extra check 1.35 added, AuthorizePodWebsocketUpgradeCreatePermission), so a
 * user needs `create` for it as for SPDY's POST.
 */
export interface ConnectSubresource {
  kind: string;
  verbs: string[];
  methods: Record<string, string[]>;
  /** The rest of the URL path after the subresource is the request's own (pods/proxy/<path>). */
  subpath?: true;
}

/**
 * By plural, then subresource: pods/log (GET), pods/exec and pods/portforward (GET for WebSockets,
 * POST for SPDY)
 * and pods/proxy (each method its own verb, as RequestInfo maps methods: HEAD is get).
 */
export const CONNECT_SUBRESOURCES: Record<string, Record<string, ConnectSubresource>> = {
  pods: {
    log: { kind: 'Pod', verbs: ['get'], methods: { GET: ['get'] } },
    exec: {
      kind: 'PodExecOptions',
      verbs: ['create', 'get'],
      methods: { GET: ['get', 'create'], POST: ['create'] },
    },
    portforward: {
      kind: 'PodPortForwardOptions',
      verbs: ['create', 'get'],
      methods: { GET: ['get', 'create'], POST: ['create'] },
    },
    proxy: {
      kind: 'PodProxyOptions',
      verbs: ['create', 'delete', 'get', 'patch', 'update'],
      methods: {
        GET: ['get'],
        HEAD: ['get'],
        POST: ['create'],
        PUT: ['update'],
        PATCH: ['patch'],
        DELETE: ['delete'],
      },
      subpath: true,
    },
  },
};

export const connectSubresource = (t: ResourceType, subresource: string): ConnectSubresource | undefined =>
  t.group === '' ? CONNECT_SUBRESOURCES[t.plural]?.[subresource] : undefined;

export const apiVersionOf = (t: ResourceType) => (t.group ? `${t.group}/${t.version}` : t.version);

export function findByPath(group: string, version: string, plural: string): ResourceType | undefined {
  return RESOURCE_TYPES.find((t) => t.group === group && t.version === version && t.plural === plural);
}

export function findByKind(apiVersion: string, kind: string): ResourceType | undefined {
  return RESOURCE_TYPES.find((t) => apiVersionOf(t) === apiVersion && t.kind === kind);
}

export function findByPlural(plural: string): ResourceType | undefined {
  return RESOURCE_TYPES.find((t) => t.plural === plural);
}

export interface GroupVersion {
  group: string;
  version: string;
  types: ResourceType[];
}

/** Group versions in the order of `types` (core first when core comes first). */
function groupVersionsOf(types: readonly ResourceType[]): GroupVersion[] {
  const out: GroupVersion[] = [];
  for (const t of types) {
    const gv = out.find((g) => g.group === t.group && g.version === t.version);
    if (gv) gv.types.push(t);
    else out.push({ group: t.group, version: t.version, types: [t] });
  }
  return out;
}

/** Group versions of the plain control plane in discovery order (core first). */
export const groupVersions = (): GroupVersion[] => groupVersionsOf(RESOURCE_TYPES);

/**
 * The resource types one logical cluster serves: what its discovery, OpenAPI and URL parsing see.
 * Plain mode serves RESOURCE_TYPES; a kcp logical cluster serves its own set, which grows as
 * APIBindings bring resources in.
 */
export class ServedResources {
  private types: readonly ResourceType[];
  /** Bumped whenever the served set changes (OpenAPI documents are cached per generation). */
  private changes = 0;

  constructor(types: readonly ResourceType[] = RESOURCE_TYPES) {
    this.types = [...types];
  }

  get generation(): number {
    return this.changes;
  }

  all(): readonly ResourceType[] {
    return this.types;
  }

  byPath(group: string, version: string, plural: string): ResourceType | undefined {
    return this.types.find((t) => t.group === group && t.version === version && t.plural === plural);
  }

  byKind(apiVersion: string, kind: string): ResourceType | undefined {
    return this.types.find((t) => apiVersionOf(t) === apiVersion && t.kind === kind);
  }

  byPlural(plural: string): ResourceType | undefined {
    return this.types.find((t) => t.plural === plural);
  }

  groupVersions(): GroupVersion[] {
    return groupVersionsOf(this.types);
  }

  /** Serves exactly `types` from now on. */
  replace(types: readonly ResourceType[]): void {
    if (types.length === this.types.length && types.every((t, i) => t === this.types[i])) return;
    this.types = [...types];
    this.changes++;
  }
}

export const SUBRESOURCE_VERBS = ['get', 'patch', 'update'];
export const RESOURCE_VERBS = [
  'create',
  'delete',
  'deletecollection',
  'get',
  'list',
  'patch',
  'update',
  'watch',
];
