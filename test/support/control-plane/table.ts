/** meta.k8s.io/v1 Table rendering for `kubectl get`, with the real server's columns per kind. */
import { isObject, type Json, type JsonObject } from './json.ts';
import type { KubeObject } from './types.ts';

type Cell = string | number;

interface Column {
  name: string;
  type: 'string' | 'integer' | 'date';
  /** 0 = always shown; 1 = only with -o wide. */
  priority?: number;
  format?: string;
  cell: (o: KubeObject) => Cell;
}

const get = (o: Json | undefined, ...path: string[]): Json | undefined =>
  path.reduce<Json | undefined>((v, key) => (isObject(v) ? v[key] : undefined), o);
const num = (o: KubeObject, ...path: string[]) => Number(get(o as unknown as Json, ...path) ?? 0);
const str = (o: KubeObject, ...path: string[]) => {
  const v = get(o as unknown as Json, ...path);
  return v === undefined || v === null ? '' : String(v);
};
const items = (o: KubeObject, ...path: string[]): JsonObject[] => {
  const v = get(o as unknown as Json, ...path);
  return Array.isArray(v) ? v.filter(isObject) : [];
};
const none = (s: string) => s || '<none>';

/** Kubernetes' duration.HumanDuration, as in the AGE column. */
function humanDuration(seconds: number): string {
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return seconds % 60 ? `${minutes}m${seconds % 60}s` : `${minutes}m`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return minutes % 60 ? `${hours}h${minutes % 60}m` : `${hours}h`;
  if (hours < 48) return `${hours}h`;
  const days = Math.floor(hours / 24);
  if (hours < 24 * 8) return hours % 24 ? `${days}d${hours % 24}h` : `${days}d`;
  return `${days}d`;
}

const age = (o: KubeObject) =>
  humanDuration(Math.floor((Date.now() - Date.parse(String(o.metadata.creationTimestamp))) / 1000));

const NAME: Column = { name: 'Name', type: 'string', format: 'name', cell: (o) => o.metadata.name };
const AGE: Column = { name: 'Age', type: 'string', cell: age };
const containers = (o: KubeObject, ...spec: string[]) => items(o, ...spec, 'containers');
/** spec.selector as `k=v,...`: a LabelSelector's matchLabels, or a Service's plain map. */
const selector = (o: KubeObject) => {
  const spec = get(o as unknown as Json, 'spec', 'selector');
  const labels = get(spec, 'matchLabels') ?? spec ?? {};
  return none(
    Object.entries(isObject(labels) ? labels : {})
      .map(([k, v]) => `${k}=${v}`)
      .join(','),
  );
};
const workloadWide = (...spec: string[]): Column[] => [
  {
    name: 'Containers',
    type: 'string',
    priority: 1,
    cell: (o) =>
      containers(o, ...spec)
        .map((c) => c.name)
        .join(','),
  },
  {
    name: 'Images',
    type: 'string',
    priority: 1,
    cell: (o) =>
      containers(o, ...spec)
        .map((c) => c.image)
        .join(','),
  },
  { name: 'Selector', type: 'string', priority: 1, cell: selector },
];

function podStatus(o: KubeObject): string {
  if (o.metadata.deletionTimestamp) return 'Terminating';
  const waiting = items(o, 'status', 'containerStatuses')
    .map((c) => get(c, 'state', 'waiting', 'reason'))
    .find((r) => typeof r === 'string');
  return typeof waiting === 'string' ? waiting : str(o, 'status', 'phase') || 'Pending';
}

const servicePorts = (o: KubeObject) =>
  none(
    items(o, 'spec', 'ports')
      .map((p) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ''}/${p.protocol ?? 'TCP'}`)
      .join(','),
  );

/** The ENDPOINTS column: ip:port per port and ready address, the first three then "+ N more...". */
function endpointList(o: KubeObject): string {
  const subsets = items(o, 'subsets');
  if (subsets.length === 0) return '<none>';
  const all = subsets.flatMap((subset) => {
    const ips = (Array.isArray(subset.addresses) ? subset.addresses.filter(isObject) : []).map((a) =>
      String(a.ip),
    );
    const ports = Array.isArray(subset.ports) ? subset.ports.filter(isObject) : [];
    return ports.length === 0 ? ips : ports.flatMap((p) => ips.map((ip) => `${ip}:${p.port}`));
  });
  const shown = all.slice(0, 3).join(',');
  return all.length > 3 ? `${shown} + ${all.length - 3} more...` : shown;
}

const COLUMNS: Record<string, Column[]> = {
  Namespace: [NAME, { name: 'Status', type: 'string', cell: (o) => str(o, 'status', 'phase') }, AGE],
  ConfigMap: [NAME, { name: 'Data', type: 'integer', cell: (o) => Object.keys(o.data ?? {}).length }, AGE],
  Secret: [
    NAME,
    { name: 'Type', type: 'string', cell: (o) => str(o, 'type') || 'Opaque' },
    { name: 'Data', type: 'integer', cell: (o) => Object.keys(o.data ?? {}).length },
    AGE,
  ],
  Service: [
    NAME,
    { name: 'Type', type: 'string', cell: (o) => str(o, 'spec', 'type') },
    { name: 'Cluster-IP', type: 'string', cell: (o) => none(str(o, 'spec', 'clusterIP')) },
    { name: 'External-IP', type: 'string', cell: () => '<none>' },
    { name: 'Port(s)', type: 'string', cell: servicePorts },
    AGE,
    { name: 'Selector', type: 'string', priority: 1, cell: selector },
  ],
  Endpoints: [NAME, { name: 'Endpoints', type: 'string', cell: endpointList }, AGE],
  ServiceAccount: [NAME, { name: 'Secrets', type: 'integer', cell: (o) => items(o, 'secrets').length }, AGE],
  Pod: [
    NAME,
    {
      name: 'Ready',
      type: 'string',
      cell: (o) =>
        `${items(o, 'status', 'containerStatuses').filter((c) => c.ready).length}/${containers(o, 'spec').length}`,
    },
    { name: 'Status', type: 'string', cell: podStatus },
    {
      name: 'Restarts',
      type: 'string',
      cell: (o) =>
        String(items(o, 'status', 'containerStatuses').reduce((n, c) => n + Number(c.restartCount ?? 0), 0)),
    },
    AGE,
    { name: 'IP', type: 'string', priority: 1, cell: (o) => none(str(o, 'status', 'podIP')) },
    { name: 'Node', type: 'string', priority: 1, cell: (o) => none(str(o, 'spec', 'nodeName')) },
  ],
  Deployment: [
    NAME,
    {
      name: 'Ready',
      type: 'string',
      cell: (o) => `${num(o, 'status', 'readyReplicas')}/${num(o, 'spec', 'replicas')}`,
    },
    { name: 'Up-to-date', type: 'integer', cell: (o) => num(o, 'status', 'updatedReplicas') },
    { name: 'Available', type: 'integer', cell: (o) => num(o, 'status', 'availableReplicas') },
    AGE,
    ...workloadWide('spec', 'template', 'spec'),
  ],
  ReplicaSet: [
    NAME,
    { name: 'Desired', type: 'integer', cell: (o) => num(o, 'spec', 'replicas') },
    { name: 'Current', type: 'integer', cell: (o) => num(o, 'status', 'replicas') },
    { name: 'Ready', type: 'integer', cell: (o) => num(o, 'status', 'readyReplicas') },
    AGE,
    ...workloadWide('spec', 'template', 'spec'),
  ],
  Ingress: [
    NAME,
    { name: 'Class', type: 'string', cell: (o) => none(str(o, 'spec', 'ingressClassName')) },
    {
      name: 'Hosts',
      type: 'string',
      cell: (o) =>
        items(o, 'spec', 'rules')
          .map((r) => r.host ?? '*')
          .join(',') || '*',
    },
    { name: 'Address', type: 'string', cell: () => '' },
    { name: 'Ports', type: 'string', cell: (o) => (items(o, 'spec', 'tls').length ? '80, 443' : '80') },
    AGE,
  ],
  IngressClass: [
    NAME,
    { name: 'Controller', type: 'string', cell: (o) => str(o, 'spec', 'controller') },
    AGE,
  ],
  PodDisruptionBudget: [
    NAME,
    { name: 'Min Available', type: 'string', cell: (o) => str(o, 'spec', 'minAvailable') || 'N/A' },
    { name: 'Max Unavailable', type: 'string', cell: (o) => str(o, 'spec', 'maxUnavailable') || 'N/A' },
    { name: 'Allowed Disruptions', type: 'integer', cell: (o) => num(o, 'status', 'disruptionsAllowed') },
    AGE,
  ],
  // kcp's printer columns (kcp mode); a legacy tenancy.kcp.dev Workspace keeps its URL in status.
  Workspace: [
    NAME,
    { name: 'Type', type: 'string', cell: (o) => str(o, 'spec', 'type', 'name') },
    { name: 'Region', type: 'string', cell: (o) => o.metadata.labels?.region ?? '' },
    { name: 'Phase', type: 'string', cell: (o) => str(o, 'status', 'phase') },
    { name: 'URL', type: 'string', cell: (o) => str(o, 'spec', 'URL') || str(o, 'status', 'URL') },
    AGE,
  ],
  APIBinding: [
    NAME,
    AGE,
    {
      name: 'Ready',
      type: 'string',
      cell: (o) => String(items(o, 'status', 'conditions').find((c) => c.type === 'Ready')?.status ?? ''),
    },
  ],
  LogicalCluster: [
    NAME,
    { name: 'Phase', type: 'string', cell: (o) => str(o, 'status', 'phase') },
    { name: 'URL', type: 'string', cell: (o) => str(o, 'status', 'URL') },
    AGE,
  ],
};

export type IncludeObject = 'None' | 'Metadata' | 'Object';

export const wantsTable = (accept: string | undefined) => /as=Table/.test(accept ?? '');

export function toTable(
  kind: string,
  objects: KubeObject[],
  include: IncludeObject,
  resourceVersion: string,
) {
  const columns = COLUMNS[kind] ?? [NAME, AGE];
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion },
    columnDefinitions: columns.map((c) => ({
      name: c.name,
      type: c.type,
      format: c.format ?? '',
      description: '',
      priority: c.priority ?? 0,
    })),
    rows: objects.map((o) => ({
      cells: columns.map((c) => c.cell(o)),
      ...(include === 'None' ? {} : { object: include === 'Object' ? o : partialMetadata(o) }),
    })),
  };
}

const partialMetadata = (o: KubeObject) => ({
  kind: 'PartialObjectMetadata',
  apiVersion: 'meta.k8s.io/v1',
  metadata: o.metadata,
});
