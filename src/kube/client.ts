import type { IncomingMessage } from 'node:http';
import type { RequestOptions } from 'node:https';
import { ExitCode, GatewayError } from '../errors.ts';
import type { KubeObject } from '../manifests/types.ts';
import { authorizationHeader, tlsOptions } from './credentials.ts';
import { apiStatusOf, explainKubeError, KubeHttpError, type RequestDescription } from './errors.ts';
import type { KubeTarget } from './kubeconfig.ts';
import { resourcePath, resourceType } from './resources.ts';
import {
  type Agent,
  agentFor,
  isSuccess,
  readText,
  send,
  type SendOptions,
  type TlsOptions,
} from './transport.ts';

/** Someone else changed the object since we read it (409 on an update with a resourceVersion). */
export class ConflictError extends GatewayError {
  constructor(readonly request: RequestDescription) {
    super(`${request.resource}/${request.name ?? ''} changed while it was being updated`, {
      why: 'another client updated it at the same moment',
      next: ['run the command again'],
      exitCode: ExitCode.clusterState,
    });
  }
}

export const FIELD_MANAGER = 'kubectl-trigger-gateway';
const USER_AGENT = 'kubectl-trigger-gateway';

export interface ObjectRef {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string | undefined;
}

export interface ApplyOptions {
  dryRun?: boolean;
  /** Take over fields another manager set to a different value (we own what we install). */
  force?: boolean;
}

export interface ListOptions {
  namespace?: string | undefined;
  labelSelector?: string | undefined;
  fieldSelector?: string | undefined;
}

export interface WatchEvent<T extends KubeObject = KubeObject> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: T;
}

function query(options: ListOptions): string {
  const params = new URLSearchParams();
  if (options.labelSelector) params.set('labelSelector', options.labelSelector);
  if (options.fieldSelector) params.set('fieldSelector', options.fieldSelector);
  const text = params.toString();
  return text ? `?${text}` : '';
}

async function* parseWatchEvents<T extends KubeObject>(
  lines: AsyncIterable<string>,
): AsyncGenerator<WatchEvent<T>> {
  for await (const line of lines) {
    if (line.trim() === '') continue;
    yield JSON.parse(line) as WatchEvent<T>;
  }
}

/** How one request authenticates. */
interface Connection {
  headers: Record<string, string>;
  agent: Agent;
  /** Set for credentials a 401 can renew (an exec plugin's): forgets them, so the next ask runs the plugin. */
  discard?: () => void;
}

interface KubeList {
  metadata?: { resourceVersion?: string };
  items?: KubeObject[];
}

/**
 * The one place that talks to the API server. Authentication and TLS come from the kubeconfig
 * (credentials.ts); every failure leaves here as a GatewayError that says what to do.
 */
export class KubeClient {
  private agent: Agent | undefined;
  private agentCertificate: TlsOptions['cert'];
  /** Agents for a client certificate since renewed: they keep their open streams until close(). */
  private readonly retiredAgents: Agent[] = [];

  constructor(readonly target: KubeTarget) {}

  get namespace(): string {
    return this.target.namespace;
  }

  /** A client for another server URL with the same credentials: another kcp workspace of the same kcp. */
  forServer(server: string): KubeClient {
    return new KubeClient({ ...this.target, server });
  }

  /** A discovery document (/api/v1, /apis, /apis/<group>/<version>); undefined when the server has none there. */
  async discover<T>(path: string): Promise<T | undefined> {
    try {
      return (await this.request('GET', path)) as T;
    } catch (error) {
      if (error instanceof KubeHttpError && error.code === 404) return undefined;
      throw this.explain(error, { verb: 'get', resource: path });
    }
  }

  /** Creates an object (POST); an AlreadyExists answer is a GatewayError whose cause is the 409. */
  async create<T extends KubeObject>(object: T): Promise<T> {
    const type = resourceType(object.apiVersion, object.kind);
    const { name, namespace } = object.metadata;
    const params = new URLSearchParams({ fieldManager: FIELD_MANAGER, fieldValidation: 'Strict' });
    const describe = { verb: 'create', resource: type.resource, name, namespace } as const;
    try {
      return (await this.request('POST', `${resourcePath(type, namespace)}?${params}`, {
        body: JSON.stringify(object),
        contentType: 'application/json',
      })) as T;
    } catch (error) {
      throw this.explain(error, describe);
    }
  }

  async read<T extends KubeObject = KubeObject>(ref: ObjectRef): Promise<T | undefined> {
    const type = resourceType(ref.apiVersion, ref.kind);
    const path = resourcePath(type, ref.namespace, ref.name);
    const describe = {
      verb: 'get',
      resource: type.resource,
      name: ref.name,
      namespace: ref.namespace,
    } as const;
    try {
      return (await this.request('GET', path)) as T;
    } catch (error) {
      if (error instanceof KubeHttpError && error.code === 404) return undefined;
      throw this.explain(error, describe);
    }
  }

  async list<T extends KubeObject = KubeObject>(
    apiVersion: string,
    kind: string,
    options: ListOptions = {},
  ): Promise<T[]> {
    try {
      return (await this.listVersioned<T>(apiVersion, kind, options)).items;
    } catch (error) {
      // A kind the cluster does not serve at all has no objects of ours.
      if (apiStatusOf(error)?.code === 404) return [];
      throw error;
    }
  }

  /** A list with the resourceVersion to watch from; errors (404 for an unserved kind included) are thrown. */
  async listVersioned<T extends KubeObject = KubeObject>(
    apiVersion: string,
    kind: string,
    options: ListOptions = {},
  ): Promise<{ items: T[]; resourceVersion: string }> {
    const type = resourceType(apiVersion, kind);
    const describe = { verb: 'list', resource: type.resource, namespace: options.namespace } as const;
    try {
      const list = (await this.request(
        'GET',
        `${resourcePath(type, options.namespace)}${query(options)}`,
      )) as KubeList;
      return {
        items: (list.items ?? []).map((item) => ({ ...item, apiVersion, kind }) as T),
        resourceVersion: list.metadata?.resourceVersion ?? '',
      };
    } catch (error) {
      throw this.explain(error, describe);
    }
  }

  /** A watch from `resourceVersion`: its events until the server ends it or `signal` aborts. */
  async watch<T extends KubeObject = KubeObject>(
    apiVersion: string,
    kind: string,
    options: ListOptions & { resourceVersion: string; timeoutSeconds: number },
    signal: AbortSignal,
  ): Promise<AsyncIterable<WatchEvent<T>>> {
    const type = resourceType(apiVersion, kind);
    const describe = { verb: 'watch', resource: type.resource, namespace: options.namespace } as const;
    const params = new URLSearchParams({
      watch: 'true',
      allowWatchBookmarks: 'true',
      resourceVersion: options.resourceVersion,
      timeoutSeconds: String(options.timeoutSeconds),
    });
    if (options.labelSelector) params.set('labelSelector', options.labelSelector);
    if (options.fieldSelector) params.set('fieldSelector', options.fieldSelector);
    const lines = await this.openStream(
      `${resourcePath(type, options.namespace)}?${params}`,
      describe,
      signal,
      'application/json',
    );
    return parseWatchEvents<T>(lines);
  }

  /** GET through the API server's proxy to a pod's port (`pods/proxy`), as text. */
  async proxyGet(
    pod: { name: string; namespace: string },
    port: number | string,
    path: string,
  ): Promise<string> {
    const url = `/api/v1/namespaces/${encodeURIComponent(pod.namespace)}/pods/${encodeURIComponent(pod.name)}:${port}/proxy${path}`;
    const describe = {
      verb: 'get',
      resource: 'pods/proxy',
      name: pod.name,
      namespace: pod.namespace,
    } as const;
    try {
      const body = await this.request('GET', url, undefined, 'text/plain, */*');
      return typeof body === 'string' ? body : JSON.stringify(body);
    } catch (error) {
      throw this.explain(error, describe);
    }
  }

  /** Server-side apply under our field manager. */
  async apply<T extends KubeObject>(object: T, options: ApplyOptions = {}): Promise<T> {
    const type = resourceType(object.apiVersion, object.kind);
    const { name, namespace } = object.metadata;
    const params = new URLSearchParams({ fieldManager: FIELD_MANAGER, fieldValidation: 'Strict' });
    if (options.force) params.set('force', 'true');
    if (options.dryRun) params.set('dryRun', 'All');
    const describe = { verb: 'patch', resource: type.resource, name, namespace } as const;
    try {
      const path = `${resourcePath(type, namespace, name)}?${params}`;
      return (await this.request('PATCH', path, {
        body: JSON.stringify(object),
        contentType: 'application/apply-patch+yaml',
      })) as T;
    } catch (error) {
      throw this.explain(error, describe);
    }
  }

  /**
   * Replaces an object (PUT) at the resourceVersion it carries; a concurrent change makes this throw
   * ConflictError, which read-modify-write loops catch and retry.
   */
  async replace<T extends KubeObject>(object: T): Promise<T> {
    const type = resourceType(object.apiVersion, object.kind);
    const { name, namespace } = object.metadata;
    const describe = { verb: 'update', resource: type.resource, name, namespace } as const;
    const params = new URLSearchParams({ fieldManager: FIELD_MANAGER });
    try {
      const path = `${resourcePath(type, namespace, name)}?${params}`;
      return (await this.request('PUT', path, {
        body: JSON.stringify(object),
        contentType: 'application/json',
      })) as T;
    } catch (error) {
      if (error instanceof KubeHttpError && error.code === 409) throw new ConflictError(describe);
      throw this.explain(error, describe);
    }
  }

  /** A JSON merge patch (RFC 7386): for a few fields we set without owning the object's whole spec. */
  async mergePatch<T extends KubeObject>(ref: ObjectRef, patch: object): Promise<T> {
    const type = resourceType(ref.apiVersion, ref.kind);
    const describe = {
      verb: 'patch',
      resource: type.resource,
      name: ref.name,
      namespace: ref.namespace,
    } as const;
    const params = new URLSearchParams({ fieldManager: FIELD_MANAGER });
    try {
      const path = `${resourcePath(type, ref.namespace, ref.name)}?${params}`;
      return (await this.request('PATCH', path, {
        body: JSON.stringify(patch),
        contentType: 'application/merge-patch+json',
      })) as T;
    } catch (error) {
      throw this.explain(error, describe);
    }
  }

  /** Deletes one object; false when it was already gone. */
  async delete(ref: ObjectRef, options: { dryRun?: boolean } = {}): Promise<boolean> {
    const type = resourceType(ref.apiVersion, ref.kind);
    const params = new URLSearchParams({ propagationPolicy: 'Background' });
    if (options.dryRun) params.set('dryRun', 'All');
    const describe = {
      verb: 'delete',
      resource: type.resource,
      name: ref.name,
      namespace: ref.namespace,
    } as const;
    try {
      await this.request('DELETE', `${resourcePath(type, ref.namespace, ref.name)}?${params}`);
      return true;
    } catch (error) {
      if (error instanceof KubeHttpError && error.code === 404) return false;
      throw this.explain(error, describe);
    }
  }

  /**
   * Opens a pod's log stream (the request is under way once this resolves, so nothing logged after
   * that is missed) and yields it line by line; with `follow` until the pod stops or `signal` aborts.
   */
  async openPodLog(
    pod: { name: string; namespace: string },
    options: { container?: string | undefined; sinceSeconds?: number; follow: boolean },
    signal: AbortSignal,
  ): Promise<AsyncIterable<string>> {
    const params = new URLSearchParams({ follow: String(options.follow) });
    if (options.container) params.set('container', options.container);
    if (options.sinceSeconds !== undefined)
      params.set('sinceSeconds', String(Math.max(1, Math.ceil(options.sinceSeconds))));
    const path = `/api/v1/namespaces/${encodeURIComponent(pod.namespace)}/pods/${encodeURIComponent(pod.name)}/log?${params}`;
    const describe = { verb: 'get', resource: 'pods/log', name: pod.name, namespace: pod.namespace } as const;
    // The API server negotiates pods/log like any resource (JSON, YAML or protobuf), then streams plain text.
    return this.openStream(path, describe, signal, 'application/json, */*');
  }

  /** A streaming GET (logs, watches), line by line; the request is under way once this resolves. */
  private async openStream(
    path: string,
    describe: RequestDescription,
    signal: AbortSignal,
    accept: string,
  ): Promise<AsyncIterable<string>> {
    const url = `${this.target.server.replace(/\/+$/, '')}${path}`;
    let body: AsyncIterable<Uint8Array>;
    try {
      const response = await this.sendAuthenticated(url, {
        method: 'GET',
        headers: { Accept: accept, 'User-Agent': USER_AGENT },
        signal,
      });
      if (!isSuccess(response)) throw new KubeHttpError(response.statusCode ?? 0, await readText(response));
      body = response;
    } catch (error) {
      throw this.explain(error, describe);
    }
    return splitLines(body, signal, (error) => this.explain(error, describe));
  }

  async close(): Promise<void> {
    this.agent?.destroy();
    this.agent = undefined;
    for (const agent of this.retiredAgents.splice(0)) agent.destroy();
  }

  /**
   * Credentials and the TLS client from the kubeconfig: ours for tokens, certificates and exec plugins,
   * client-node's (loaded only then) for auth-providers and proxies.
   */
  private async authenticate(): Promise<Connection> {
    const credentials = this.target.credentials;
    if (credentials.kind === 'static') {
      return {
        headers: authorizationHeader(credentials),
        agent: this.agentPresenting(tlsOptions(credentials)),
      };
    }
    if (credentials.kind === 'exec') {
      const issued = await credentials.plugin.credential();
      return {
        headers: issued.token ? { Authorization: `Bearer ${issued.token}` } : {},
        agent: this.agentPresenting(tlsOptions({ ...credentials, cert: issued.cert, key: issued.key })),
        discard: () => credentials.plugin.discard(issued),
      };
    }
    const kubeConfig = await this.target.clientNodeConfig();
    const options: RequestOptions = {};
    await kubeConfig.applyToHTTPSOptions(options);
    const headers = Object.fromEntries(
      Object.entries(options.headers ?? {}).map(([name, value]) => [name, String(value)]),
    );
    if (options.auth) headers.Authorization = `Basic ${Buffer.from(options.auth).toString('base64')}`;
    // client-node's agent carries a proxy when the kubeconfig names one.
    this.agent ??= (options.agent as Agent | undefined) ?? agentFor(this.target.server, options);
    return { headers, agent: this.agent };
  }

  /** The agent for these TLS options; a client certificate an exec plugin renewed needs new connections. */
  private agentPresenting(tls: TlsOptions): Agent {
    if (this.agent && this.agentCertificate === tls.cert) return this.agent;
    if (this.agent) this.retiredAgents.push(this.agent);
    this.agent = agentFor(this.target.server, tls);
    this.agentCertificate = tls.cert;
    return this.agent;
  }

  /**
   * Sends with the kubeconfig's credentials. A 401 to an exec plugin's credential runs the plugin again
   * and sends once more, as kubectl does; a second 401 is the caller's to report. `timeoutMs` (0: none)
   * starts once the credentials are there, as a plugin may wait for someone to sign in.
   */
  private async sendAuthenticated(
    url: string,
    options: Omit<SendOptions, 'agent'> & { timeoutMs?: number },
  ): Promise<IncomingMessage> {
    const { timeoutMs = 0, ...request } = options;
    const attempt = async () => {
      const connection = await this.authenticate();
      const headers = { ...connection.headers, ...request.headers };
      const signal = request.signal ?? (timeoutMs > 0 ? AbortSignal.timeout(timeoutMs) : undefined);
      return {
        connection,
        response: await send(url, { ...request, headers, signal, agent: connection.agent }),
      };
    };
    const first = await attempt();
    if (first.response.statusCode !== 401 || !first.connection.discard) return first.response;
    first.connection.discard();
    // Read to the end, so that its connection serves the retry.
    first.response.resume();
    return (await attempt()).response;
  }

  private explain(error: unknown, describe: RequestDescription) {
    return explainKubeError(error, this.target, describe);
  }

  private async request(
    method: 'GET' | 'PATCH' | 'DELETE' | 'POST' | 'PUT',
    path: string,
    payload?: { body: string; contentType: string },
    accept = 'application/json',
  ): Promise<unknown> {
    const url = `${this.target.server.replace(/\/+$/, '')}${path}`;
    const headers: Record<string, string> = { Accept: accept, 'User-Agent': USER_AGENT };
    if (payload) headers['Content-Type'] = payload.contentType;
    const response = await this.sendAuthenticated(url, {
      method,
      headers,
      body: payload?.body,
      timeoutMs: this.target.requestTimeoutMs,
    });
    const text = await readText(response);
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      // Non-JSON bodies (proxies, load balancers) are reported as they are.
    }
    if (!isSuccess(response)) throw new KubeHttpError(response.statusCode ?? 0, body);
    return body;
  }
}

async function* splitLines(
  body: AsyncIterable<Uint8Array>,
  signal: AbortSignal,
  explain: (error: unknown) => Error,
): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let pending = '';
  try {
    for await (const chunk of body) {
      pending += decoder.decode(chunk, { stream: true });
      for (let end = pending.indexOf('\n'); end >= 0; end = pending.indexOf('\n')) {
        yield pending.slice(0, end);
        pending = pending.slice(end + 1);
      }
    }
  } catch (error) {
    if (!signal.aborted) throw explain(error);
  }
  if (pending) yield pending;
}
