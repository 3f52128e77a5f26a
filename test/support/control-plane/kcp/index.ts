/**
 * kcp mode: logical clusters, each its own Workspace (store, objects, controllers, served types),
 * addressed as /clusters/<workspace path or logical cluster id>/; root holds the WorkspaceTypes;
 * the workspaces, APIExports and APIBindings asked for are created at start.
 */
import { randomInt } from 'node:crypto';
import { isPublicPath, workspaceDenied } from '../auth.ts';
import type { ApiRequest } from '../request.ts';
import { apiVersionOf, type ResourceType, ServedResources } from '../resources.ts';
import type { Tenancy } from '../router.ts';
import { ApiError, forbidden } from '../status.ts';
import type { KcpOptions, KcpWorkspaceSeed, KubeObject, PodRuntime } from '../types.ts';
import { Workspace } from '../workspace.ts';
import { workspaceAccessDenied } from './access.ts';
import { admitWorkspace, type WorkspaceAdmission } from './admission.ts';
import { BindingController, schemaName } from './binding-controller.ts';
import {
  API_BINDINGS,
  API_EXPORTS,
  baseTypes,
  bindableType,
  inDiscoveryOrder,
  LEGACY_PHASE_LABEL,
  LEGACY_WORKSPACES,
  LOGICAL_CLUSTER_NAME,
  LOGICAL_CLUSTERS,
  PATH_ANNOTATION,
  PHASE_LABEL,
  TENANCY_PATH_ANNOTATION,
  TYPE_ANNOTATION,
  WORKSPACE_TYPES,
  WORKSPACES,
} from './resources.ts';
import { WorkspaceController, type WorkspaceHost } from './workspace-controller.ts';
import {
  BUILT_IN_TYPES,
  qualified,
  typeReference,
  workspaceTypeInfo,
  workspaceTypeObject,
} from './workspace-types.ts';

export interface LogicalCluster {
  id: string;
  /** Its workspace path, e.g. 'root:org'. */
  path: string;
  /** Its workspace type, e.g. 'root:organization'. */
  type: string;
  /** The id of the logical cluster holding its Workspace object (none for root). */
  parent?: string;
  workspace: Workspace;
  workspaces: WorkspaceController;
  /** None in a legacy kcp (no apis.kcp.io). */
  bindings?: BindingController;
}

const ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
const split = (path: string) => {
  const colon = path.lastIndexOf(':');
  return { parent: path.slice(0, Math.max(colon, 0)), name: path.slice(colon + 1) };
};

export class Kcp implements Tenancy, WorkspaceHost {
  readonly legacy: boolean;
  readonly phaseLabel: string;
  readonly root: LogicalCluster;
  private readonly clusters = new Map<string, LogicalCluster>();
  /** Workspace path -> logical cluster id. */
  private readonly paths = new Map<string, string>();
  /** Types (qualified) whose initializer nobody clears. */
  private readonly stuck: Set<string>;
  private readonly stopping: Array<Promise<void>> = [];
  private seeding = false;

  constructor(
    private readonly options: KcpOptions,
    private readonly runtime: PodRuntime,
    private readonly baseUrl: string,
  ) {
    this.legacy = options.legacy ?? false;
    this.phaseLabel = this.legacy ? LEGACY_PHASE_LABEL : PHASE_LABEL;
    const extraTypes = options.workspaceTypes ?? [];
    this.stuck = new Set(extraTypes.filter((t) => t.stuck).map((t) => qualified(typeReference(t.name))));
    this.root = this.open('root', 'root', 'root:root');
    const types = new Map([...BUILT_IN_TYPES, ...extraTypes].map((t) => [t.name, t]));
    for (const type of types.values()) {
      this.root.workspace.objects.create(WORKSPACE_TYPES, undefined, workspaceTypeObject(type));
    }
  }

  /** Creates the workspaces, then the APIExports, then the APIBindings of `options.workspaces`. */
  seed(): void {
    const depth = (s: KcpWorkspaceSeed) => s.path.split(':').length;
    const seeds = [...(this.options.workspaces ?? [])].sort((a, b) => depth(a) - depth(b));
    for (const seed of seeds) {
      if (seed.path !== 'root') this.seedWorkspace(seed);
    }
    for (const seed of seeds) {
      for (const [name, resources] of Object.entries(seed.exports ?? {})) {
        this.seedExport(seed.path, name, resources);
      }
    }
    // Seeded bindings skip the admission: a test may seed one to an export that never appears.
    this.seeding = true;
    try {
      for (const seed of seeds) {
        for (const reference of seed.bindings ?? []) this.seedBinding(seed.path, reference);
      }
    } finally {
      this.seeding = false;
    }
  }

  /** The logical cluster with this workspace path or id. */
  find(name: string): LogicalCluster | undefined {
    return this.clusters.get(this.paths.get(name) ?? name);
  }

  split(path: string): { cluster?: string; path: string } {
    const match = path.match(/^\/clusters\/([^/]+)(\/.*)?$/);
    if (!match) return { path };
    return { cluster: decodeURIComponent(match[1] ?? ''), path: match[2] ?? '/' };
  }

  enter(cluster: string | undefined, req: ApiRequest): { workspace: Workspace; path: string } {
    const target = cluster === undefined ? this.root : this.find(cluster);
    // Like kcp v0.26's workspace content authorizer: open once Initializing (its LogicalCluster is
    // there), closed before (Scheduling) and to users without access.
    if (target && this.enterable(target) && !workspaceDenied(req.user, target.path)) {
      return { workspace: target.workspace, path: target.path };
    }
    if (isPublicPath(req.path)) return { workspace: this.root.workspace, path: this.root.path };
    throw workspaceAccessDenied(req);
  }

  /**
   * kcp v0.26 checks the "bind" verb on the export when an APIBinding is created, and answers a
   * missing export with the same 403 as a missing permission.
   */
  private admitBinding(path: string, t: ResourceType, object: KubeObject): void {
    const spec = object.spec as { reference?: { export?: { path?: string; name?: string } } } | undefined;
    const ref = spec?.reference?.export;
    if (!ref?.name || this.seeding) return;
    const home = this.find(ref.path || path);
    if (home?.workspace.store.get(API_EXPORTS.plural, undefined, ref.name)) return;
    throw forbidden(
      t,
      object.metadata.name,
      `unable to create APIBinding: no permission to bind to export ${ref.path || path}:${ref.name}`,
    );
  }

  private enterable(cluster: LogicalCluster): boolean {
    const object = cluster.workspace.store.get('logicalclusters', undefined, LOGICAL_CLUSTER_NAME);
    const phase = (object?.status as { phase?: string } | undefined)?.phase;
    return phase === 'Initializing' || phase === 'Ready';
  }

  url(path: string): string {
    return `${this.baseUrl}/clusters/${path}`;
  }

  initializerStuck(type: string): boolean {
    return this.stuck.has(type);
  }

  createCluster(path: string, type: string): string {
    let id: string;
    do id = Array.from({ length: 16 }, () => ID_ALPHABET[randomInt(ID_ALPHABET.length)]).join('');
    while (this.clusters.has(id));
    this.open(id, path, type, this.paths.get(split(path).parent));
    return id;
  }

  removeCluster(id: string): void {
    const cluster = this.clusters.get(id);
    if (!cluster) return;
    for (const child of [...this.clusters.values()]) {
      if (child.parent === id) this.removeCluster(child.id);
    }
    this.clusters.delete(id);
    if (this.paths.get(cluster.path) === id) this.paths.delete(cluster.path);
    this.stopping.push(cluster.workspace.stop());
  }

  clusterPhase(id: string, phase: string): void {
    const store = this.clusters.get(id)?.workspace.store;
    const object = store?.get('logicalclusters', undefined, LOGICAL_CLUSTER_NAME);
    if (!store || !object) return;
    store.update('logicalclusters', { ...object, status: { ...(object.status as object), phase } });
  }

  async stop(): Promise<void> {
    const all = [...this.clusters.values()];
    this.clusters.clear();
    this.paths.clear();
    await Promise.all([...all.map((c) => c.workspace.stop()), ...this.stopping]);
  }

  private open(id: string, path: string, type: string, parent?: string): LogicalCluster {
    const resources = new ServedResources(baseTypes(this.legacy));
    const base = resources.all();
    let workspaces: WorkspaceController | undefined;
    let bindings: BindingController | undefined;
    const workspace = new Workspace(this.runtime, {
      resources,
      admission: (t, object) => {
        if (t.plural === 'workspaces') admitWorkspace(this.admission(type), t, object);
        if (t.plural === API_BINDINGS.plural) this.admitBinding(path, t, object);
      },
      controllers: (objects, queue) => {
        workspaces = new WorkspaceController(objects, queue, path, this);
        if (this.legacy) return [workspaces];
        const home = (p: string) => {
          const found = this.find(p);
          return found && { id: found.id, store: found.workspace.store };
        };
        const serve = (bound: ResourceType[]) => resources.replace(inDiscoveryOrder([...base, ...bound]));
        bindings = new BindingController(objects, queue, path, home, serve);
        return [workspaces, bindings];
      },
    });
    if (!workspaces) throw new Error('kcp: the workspace controller did not start');
    const cluster: LogicalCluster = {
      id,
      path,
      type,
      ...(parent ? { parent } : {}),
      workspace,
      workspaces,
      ...(bindings ? { bindings } : {}),
    };
    this.clusters.set(id, cluster);
    this.paths.set(path, id);
    workspace.store.subscribe((event) => {
      if (event.resource !== 'apiexports' || event.type !== 'ADDED') return;
      for (const other of this.clusters.values()) other.bindings?.retry();
    });
    workspace.objects.create(LOGICAL_CLUSTERS, undefined, {
      apiVersion: apiVersionOf(LOGICAL_CLUSTERS),
      kind: LOGICAL_CLUSTERS.kind,
      metadata: {
        name: LOGICAL_CLUSTER_NAME,
        annotations: { [PATH_ANNOTATION]: path, [TENANCY_PATH_ANNOTATION]: path, [TYPE_ANNOTATION]: type },
      },
      spec: {},
      status: { phase: parent ? 'Scheduling' : 'Ready', URL: this.url(path) },
    });
    return cluster;
  }

  private admission(type: string): WorkspaceAdmission {
    const workspaceType = (name: string) => {
      const object = this.root.workspace.store.get('workspacetypes', undefined, name);
      return object && workspaceTypeInfo(object);
    };
    return {
      parentType: () => workspaceType(typeReference(type).name),
      workspaceType,
      phaseLabel: this.phaseLabel,
    };
  }

  private seedWorkspace(seed: KcpWorkspaceSeed): void {
    const { parent: parentPath, name } = split(seed.path);
    const parent = this.find(parentPath);
    if (!seed.path.startsWith('root:') || !parent) {
      throw new Error(`kcp: cannot create workspace ${seed.path}: no parent workspace "${parentPath}"`);
    }
    const type = this.legacy ? LEGACY_WORKSPACES : WORKSPACES;
    const object: KubeObject = {
      apiVersion: apiVersionOf(type),
      kind: type.kind,
      metadata: { name },
      spec: seed.type ? { type: { name: seed.type } } : {},
    };
    seeding(`workspace ${seed.path}`, () => parent.workspace.objects.create(type, undefined, object));
    parent.workspaces.settle(name);
  }

  private seedExport(path: string, name: string, resources: string[]): void {
    const cluster = this.find(path);
    if (this.legacy) throw new Error('kcp: a legacy kcp serves no APIExports (apis.kcp.io)');
    if (!cluster) throw new Error(`kcp: cannot create APIExport ${path}:${name}: no workspace ${path}`);
    const schemas = resources.map((resource) => {
      const dot = resource.indexOf('.');
      const [plural, group] = dot < 0 ? [resource, ''] : [resource.slice(0, dot), resource.slice(dot + 1)];
      if (!bindableType(group, plural)) {
        throw new Error(`kcp: APIExport ${path}:${name}: unknown resource "${resource}"`);
      }
      return schemaName(group, plural);
    });
    seeding(`APIExport ${path}:${name}`, () =>
      cluster.workspace.objects.create(API_EXPORTS, undefined, {
        apiVersion: apiVersionOf(API_EXPORTS),
        kind: API_EXPORTS.kind,
        metadata: { name },
        spec: { latestResourceSchemas: schemas },
      }),
    );
  }

  private seedBinding(path: string, reference: string): void {
    const cluster = this.find(path);
    const { parent: exportPath, name: exportName } = split(reference);
    if (!cluster?.bindings) {
      throw new Error(`kcp: cannot bind ${reference} in ${path}: no such workspace or no apis.kcp.io`);
    }
    const taken = (name: string) => cluster.workspace.store.get('apibindings', undefined, name);
    let name = exportName;
    for (let n = 2; taken(name); n++) name = `${exportName}-${n}`;
    seeding(`APIBinding ${path}:${name}`, () =>
      cluster.workspace.objects.create(API_BINDINGS, undefined, {
        apiVersion: apiVersionOf(API_BINDINGS),
        kind: API_BINDINGS.kind,
        metadata: { name },
        spec: { reference: { export: { path: exportPath, name: exportName } } },
      }),
    );
    cluster.bindings.reconcile(name);
  }
}

/** Runs a seeding write; an API error becomes an Error saying what could not be created. */
function seeding(what: string, write: () => unknown): void {
  try {
    write();
  } catch (error) {
    if (error instanceof ApiError) throw new Error(`kcp: cannot create ${what}: ${error.message}`);
    throw error;
  }
}
