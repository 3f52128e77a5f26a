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
}

/** Everything is allowed except what a deny rule matches. */
export interface UserSpec {
  name: string;
  deny?: AccessRule[];
}

export interface PodRuntime {
  /**
   * Called when a pod is created; resolve when it should count as Ready,
   * or with 'never-ready' to leave it Running but not Ready.
   */
  start(pod: KubeObject): Promise<'ready' | 'never-ready'>;
  /** Called when a pod is deleted; the pod disappears from the API once this resolves. */
  stop(pod: KubeObject): Promise<void>;
}

export interface ControlPlaneOptions {
  /** Bearer token -> user; default { 'admin-token': { name: 'admin' } }. */
  users?: Record<string, UserSpec>;
  /** Default: every pod is Ready at once. */
  podRuntime?: PodRuntime;
}

export interface RequestRecord {
  method: string;
  path: string;
  query: string;
  contentType?: string;
  user: string;
  status: number;
}

export interface KubeconfigOptions {
  context?: string;
  namespace?: string;
  token?: string;
  cluster?: string;
}

export interface ControlPlane {
  /** https://127.0.0.1:<random port> (kubectl sends bearer tokens over TLS only). */
  url: string;
  /** PEM of the CA that signed the server certificate, for clients other than kubeconfig users. */
  ca: string;
  /** Writes a complete kubeconfig (cluster, user with the token, context, current-context); returns its path. */
  writeKubeconfig(path: string, opts?: KubeconfigOptions): string;
  /** `resource` is the plural, e.g. 'configmaps'. */
  get(resource: string, name: string, namespace?: string): KubeObject | undefined;
  list(resource: string, namespace?: string): KubeObject[];
  /** Seeds an object directly (assigns uid/resourceVersion/creationTimestamp); creates or replaces. */
  put(object: KubeObject): KubeObject;
  /** Every request served, in order. */
  requests: RequestRecord[];
  stop(): Promise<void>;
}
