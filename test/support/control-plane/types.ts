/** Public types of the fake control plane (re-exported from index.ts). */

export interface ObjectMeta {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  [k: string]: unknown;
}

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [k: string]: unknown;
}

/** A deny rule; an undefined field matches anything. `resource` is the plural, or `plural/subresource`. */
export interface AccessRule {
  verb?: string;
  resource?: string;
  namespace?: string;
  /**
   * kcp mode: the rule applies only in the workspace with this path (e.g. 'root:org'). A rule with
   * nothing but `workspace` shuts the user out of that workspace: kcp's "workspace access not permitted".
   */
  workspace?: string;
}

/** Everything is allowed except what a deny rule matches. */
export interface UserSpec {
  name: string;
  deny?: AccessRule[];
  /**
   * The only namespace the user may touch, as for a user whose rights come from a RoleBinding there:
   * any other namespace, and anything cluster-scoped, is forbidden.
   */
  onlyNamespace?: string;
}

export interface PodRuntime {
  /**
   * Called when a pod is created; resolve when it should count as Ready,
   * or with 'never-ready' to leave it Running but not Ready.
   */
  start(pod: KubeObject): Promise<'ready' | 'never-ready'>;
  /** Called when a pod is deleted; the pod disappears from the API once this resolves. */
  stop(pod: KubeObject): Promise<void>;
  /** The pod's IP, asked for once before start(); default 127.0.0.<2..251>, handed out in turn. */
  podIP?(pod: KubeObject): string;
  /** The containers of a pod start() left never-ready because they exited, with their exit codes. */
  exitedContainers?(pod: KubeObject): Array<{ name: string; exitCode: number | null }>;
}

export interface DataPlaneOptions {
  /** The HAProxy binary; default HAPROXY_BIN, /usr/sbin/haproxy, then haproxy on PATH. */
  haproxyBin?: string;
  /** How long a container may take to pass its readiness check before its pod fails; default 6000. */
  readyTimeoutMs?: number;
}

/** A pod as the data plane accessors take it: the object, or "namespace/name" (the latest pod of that name). */
export type PodRef = KubeObject | string;

/** A container the data plane runs as a local process. */
export interface DataPlaneProcess {
  namespace: string;
  pod: string;
  uid: string;
  podIP: string;
  container: string;
  image: string;
  kind: 'haproxy' | 'echo';
  pid: number;
  /** False once the process has exited (pod stopped, or the process died). */
  running: boolean;
  exitCode: number | null;
}

/** Pods as local processes, Services as loopback listeners, a DNS for <svc>.<ns>.svc.cluster.local. */
export interface DataPlane {
  /** Where to connect to reach a Service's port: its own loopback address and (as root) the same port. */
  serviceAddress(namespace: string, name: string, port: number): { host: string; port: number };
  /** The pod IP and a container port (a number, a port name, or by default the first declared port). */
  podAddress(pod: PodRef, port?: number | string): { host: string; port: number };
  /** Every process started, running or not, in start order by pod. */
  processes(): DataPlaneProcess[];
  /** A container's stdout and stderr so far (default: the first container run as a process); kept after the pod is gone. */
  logs(pod: PodRef, container?: string): string;
  /** What the cluster DNS answers for an A query: addresses, or undefined for NXDOMAIN. */
  lookup(name: string): string[] | undefined;
  /** Resolves once every Service listener opened so far is listening. */
  settled(): Promise<void>;
}

/** A workspace kcp mode creates at start, Ready at once (unless its type is `stuck`). */
export interface KcpWorkspaceSeed {
  /** e.g. 'root:org', 'root:compute'; its parent is created first (or listed earlier). */
  path: string;
  /** WorkspaceType name in root; default: the parent type's default child type. */
  type?: string;
  /**
   * APIExports in that workspace: export name -> resources as 'plural' (core) or 'plural.group',
   * e.g. { kubernetes: ['services', 'pods', 'deployments.apps', 'ingresses.networking.k8s.io'] }.
   */
  exports?: Record<string, string[]>;
  /** Exports bound at start (Bound at once), as 'root:compute:kubernetes' (path:exportName). */
  bindings?: string[];
}

/** A WorkspaceType kcp mode creates in root besides the built-ins (root, organization, universal, team). */
export interface KcpWorkspaceTypeSeed {
  name: string;
  /** Type names ('organization' or 'root:organization') a parent workspace must have. */
  limitAllowedParents?: string[];
  /** Type names a child workspace must have. */
  limitAllowedChildren?: string[];
  /** Default: universal. */
  defaultChildWorkspaceType?: string;
  /** An initializer nobody ever clears: workspaces of this type stay Initializing. */
  stuck?: boolean;
}

/** An imitation of kcp (kcp.io): workspaces as logical clusters under /clusters/<path>. */
export interface KcpOptions {
  /** An old kcp (before 2023): serves only tenancy.kcp.dev/v1beta1 Workspaces, no tenancy.kcp.io, no apis.kcp.io. */
  legacy?: boolean;
  /** Workspaces created at start (parents first, each Ready at once). */
  workspaces?: KcpWorkspaceSeed[];
  /** Extra WorkspaceTypes (in root) besides the built-ins. */
  workspaceTypes?: KcpWorkspaceTypeSeed[];
}

export interface ControlPlaneOptions {
  /** Bearer token -> user; default { 'admin-token': { name: 'admin' } }. */
  users?: Record<string, UserSpec>;
  /** Default: every pod is Ready at once. With dataPlane, the runtime for pods it does not run itself. */
  podRuntime?: PodRuntime;
  /** Run HAProxy and echo pods as local processes and serve Services and DNS on loopback; default off. */
  dataPlane?: boolean | DataPlaneOptions;
  /** Imitate kcp: /clusters/<workspace>/ URLs, one store per logical cluster; not with dataPlane. */
  kcp?: boolean | KcpOptions;
}

export interface RequestRecord {
  method: string;
  path: string;
  query: string;
  contentType?: string;
  user: string;
  status: number;
  /** For a connection upgrade (port-forward): the Upgrade header sent and, once switched, the protocol spoken. */
  upgrade?: { requested: string; protocol?: string };
  /** For a streamed answer (log follow, watch, pod proxy): true while it is open, false once it ended. */
  streaming?: boolean;
}

export interface KubeconfigOptions {
  context?: string;
  namespace?: string;
  token?: string;
  cluster?: string;
  /** kcp mode: the workspace path the server URL addresses (`<url>/clusters/<workspace>`). */
  workspace?: string;
}

/** Direct object access inside one logical cluster (test seeding and assertions). */
export interface ClusterObjects {
  /** `resource` is the plural, e.g. 'configmaps'. */
  get(resource: string, name: string, namespace?: string): KubeObject | undefined;
  list(resource: string, namespace?: string): KubeObject[];
  /** Seeds an object directly (assigns uid/resourceVersion/creationTimestamp); creates or replaces. */
  put(object: KubeObject): KubeObject;
}

/** get/list/put act on the only logical cluster, in kcp mode on root. */
export interface ControlPlane extends ClusterObjects {
  /** https://127.0.0.1:<random port> (kubectl sends bearer tokens over TLS only). */
  url: string;
  /** PEM of the CA that signed the server certificate, for clients other than kubeconfig users. */
  ca: string;
  /** A client certificate and key (PEM) the control plane authenticates as user "kubernetes-admin". */
  adminCertificate: { cert: string; key: string };
  /** Writes a complete kubeconfig (cluster, user with the token, context, current-context); returns its path. */
  writeKubeconfig(path: string, opts?: KubeconfigOptions): string;
  /** kcp mode only (throws otherwise): `${url}/clusters/${path}`. */
  workspaceUrl(path: string): string;
  /**
   * kcp mode only (throws otherwise): object access inside one logical cluster, by workspace path
   * (or logical cluster id); undefined if it does not exist.
   */
  cluster(path: string): ClusterObjects | undefined;
  /** Every request served, in order. */
  requests: RequestRecord[];
  /** Forgets the change history as etcd's compaction does: watches from older resourceVersions get 410 Gone. */
  compact(): void;
  /**
   * From now on, requests that `match` accepts are read and never answered (upgrades included), like
   * an API server that hangs: for timeout tests. Each is recorded with a promise of its connection's close.
   */
  stall(match: (request: StallCandidate) => boolean): Stall;
  /** Set when started with `dataPlane`. */
  dataPlane?: DataPlane;
  /** Stops the controllers, every pod (and its processes), the data plane, then the API server. */
  stop(): Promise<void>;
}

export interface StallCandidate {
  method: string;
  path: string;
  query: URLSearchParams;
  upgrade: boolean;
}

export interface StalledRequest {
  method: string;
  path: string;
  upgrade: boolean;
  /** Resolves when the client closes the connection the request came on. */
  closed: Promise<void>;
}

export interface Stall {
  /** The requests held so far. */
  requests: StalledRequest[];
  /** Requests that arrive from now on are answered again (the held ones stay held). */
  end(): void;
}

export interface ControlPlaneWithDataPlane extends ControlPlane {
  dataPlane: DataPlane;
}
