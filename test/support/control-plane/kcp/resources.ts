/**
 * The resource types kcp mode adds (tenancy.kcp.io, apis.kcp.io, core.kcp.io, or a legacy kcp's
 * tenancy.kcp.dev), what a logical cluster serves before any APIBinding, and the well-known names
 * (labels, annotations) kcp puts on its objects.
 */
import { RESOURCE_TYPES, type ResourceType } from '../resources.ts';

export const PHASE_LABEL = 'tenancy.kcp.io/phase';
export const LEGACY_PHASE_LABEL = 'tenancy.kcp.dev/phase';
/** On the LogicalCluster object and on WorkspaceTypes: the canonical workspace path. */
export const PATH_ANNOTATION = 'kcp.io/path';
export const TENANCY_PATH_ANNOTATION = 'tenancy.kcp.io/path';
/** On the LogicalCluster object: its workspace type, as 'root:universal'. */
export const TYPE_ANNOTATION = 'internal.tenancy.kcp.io/type';
/** The one LogicalCluster object in every logical cluster. */
export const LOGICAL_CLUSTER_NAME = 'cluster';
/** Where WorkspaceTypes live here (kcp resolves them up the hierarchy; all of ours are in root). */
export const TYPES_PATH = 'root';

function kcpType(
  groupVersion: string,
  kind: string,
  plural: string,
  traits: { short?: string[]; status?: true; name?: ResourceType['nameRule'] } = {},
): ResourceType {
  const [group, version] = groupVersion.split('/') as [string, string];
  return {
    group,
    version,
    kind,
    plural,
    singular: kind.toLowerCase(),
    namespaced: false,
    shortNames: traits.short ?? [],
    categories: ['kcp'],
    subresources: traits.status ? ['status'] : [],
    nameRule: traits.name ?? 'subdomain',
    // kcp serves these like custom resources: no strategic merge patch.
    strategicMerge: false,
    graceful: false,
  };
}

export const WORKSPACES = kcpType('tenancy.kcp.io/v1alpha1', 'Workspace', 'workspaces', {
  short: ['ws'],
  status: true,
  name: 'workspace',
});
export const WORKSPACE_TYPES = kcpType('tenancy.kcp.io/v1alpha1', 'WorkspaceType', 'workspacetypes');
export const API_EXPORTS = kcpType('apis.kcp.io/v1alpha1', 'APIExport', 'apiexports');
export const API_BINDINGS = kcpType('apis.kcp.io/v1alpha1', 'APIBinding', 'apibindings', { status: true });
export const LOGICAL_CLUSTERS = kcpType('core.kcp.io/v1alpha1', 'LogicalCluster', 'logicalclusters');
/** kcp before 2023 (v0.10 and older). */
export const LEGACY_WORKSPACES = kcpType('tenancy.kcp.dev/v1beta1', 'Workspace', 'workspaces', {
  short: ['ws'],
  status: true,
  name: 'workspace',
});

const KCP_TYPES = [WORKSPACES, WORKSPACE_TYPES, API_EXPORTS, API_BINDINGS, LOGICAL_CLUSTERS];

/** Core types every logical cluster serves; the rest of Kubernetes comes only through APIBindings. */
const CORE = ['namespaces', 'configmaps', 'secrets', 'serviceaccounts', 'events'];
const coreTypes = RESOURCE_TYPES.filter((t) => t.group === '' && CORE.includes(t.plural));

/** What a logical cluster serves before any APIBinding. */
export const baseTypes = (legacy: boolean): ResourceType[] => [
  ...coreTypes,
  ...(legacy ? [LEGACY_WORKSPACES] : KCP_TYPES),
];

/** Every type kcp mode knows, in discovery order (core first, kcp's groups last). */
const CATALOG = [...RESOURCE_TYPES, ...KCP_TYPES, LEGACY_WORKSPACES];

/** `types` without duplicates, in discovery order. */
export const inDiscoveryOrder = (types: Iterable<ResourceType>): ResourceType[] => {
  const wanted = new Set(types);
  return CATALOG.filter((t) => wanted.has(t));
};

/** A type an APIExport can offer: any built-in type, by group ('' for core) and plural. */
export const bindableType = (group: string, plural: string): ResourceType | undefined =>
  RESOURCE_TYPES.find((t) => t.group === group && t.plural === plural);

/** Any type kcp mode knows, by plural (the first in discovery order). */
export const anyTypeByPlural = (plural: string): ResourceType | undefined =>
  CATALOG.find((t) => t.plural === plural);
