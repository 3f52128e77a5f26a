import type { IncomingMessage } from 'node:http';
import type { RequestOptions } from 'node:https';
import { ExitCode, GatewayError } from '../errors.ts';
import type { KubeObject } from '../manifests/types.ts';
import { authorizationHeader, tlsOptions } from './credentials.ts';
import { apiStatusOf, explainKubeError, KubeHttpError, type RequestDescription } from './errors.ts';
import type { KubeTarget } from './kubeconfig.ts';
import { type ProxyRoute, proxyEnvironment, proxyFor } from './proxy.ts';
import { resourcePath, type ResourceType, resourceType } from './resources.ts';
import {
  isSuccess,
  readText,
  type SendOptions,
  type TlsOptions,
  Transport,
  type Upgraded,
  USER_AGENT,
} from './transport.ts';
import { WebSocketConnection, webSocketHandshake } from './websocket.ts';

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

/** For requests a wait makes after its --timeout: a shorter limit than --request-timeout, never a longer one. */
export interface RequestLimits {
  timeoutMs?: number | undefined;
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
  transport: Transport;
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
  private transport: Transport | undefined;
  private transportCertificate: TlsOptions['cert'];
  /** Transports for a client certificate since renewed: they keep their open streams until close(). */
  private readonly retiredTransports: Transport[] = [];
  private proxyRoute: { route: ProxyRoute | undefined } | undefined;
  /** Kinds found by resourceTypeOf, by apiVersion/kind. */
  private readonly discoveredTypes = new Map<string, ResourceType>();

  constructor(readonly target: KubeTarget) {}

  get namespace(): string {
    return this.target.namespace;
  }

  /** A client for another server URL with the same credentials: another kcp workspace of the same kcp. */
  forServer(server: string): KubeClient {
    return new KubeClient({ ...this.target, server });
  }

  /**
   * The resource a kind is served as, from the server's discovery document as kubectl finds it (for
   * kinds this tool does not know, such as what a TriggerTemplate creates); undefined when the server
   * does not serve it.
   */
  async resourceTypeOf(apiVersion: string, kind: string): Promise<ResourceType | undefined> {
    const known = this.discoveredTypes.get(`${apiVersion}/${kind}`);
    if (known) return known;
    const path = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    const served = await this.discover<{
      resources?: Array<{ name: string; kind: string; namespaced: boolean }>;
    }>(path);
    // Subresources (pipelineruns/status) share the kind.
    const found = served?.resources?.find(
      (resource) => resource.kind === kind && !resource.name.includes('/'),
    );
    if (!found) return undefined;
    const type = { apiVersion, kind, resource: found.name, namespaced: found.namespaced };
    this.discoveredTypes.set(`${apiVersion}/${kind}`, type);
    return type;
  }

  private typeOf(apiVersion: string, kind: string): ResourceType {
    return this.discoveredTypes.get(`${apiVersion}/${kind}`) ?? resourceType(apiVersion, kind);
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
    const type = this.typeOf(object.apiVersion, object.kind);
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
    const type = this.typeOf(ref.apiVersion, ref.kind);
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
    limits: RequestLimits = {},
  ): Promise<T[]> {
    try {
      return (await this.listVersioned<T>(apiVersion, kind, options, limits)).items;
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
    limits: RequestLimits = {},
  ): Promise<{ items: T[]; resourceVersion: string }> {
    const type = this.typeOf(apiVersion, kind);
    const describe = { verb: 'list', resource: type.resource, namespace: options.namespace } as const;
    try {
      const list = (await this.request(
        'GET',
        `${resourcePath(type, options.namespace)}${query(options)}`,
        undefined,
        'application/json',
        limits,
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
    const type = this.typeOf(apiVersion, kind);
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
    const type = this.typeOf(object.apiVersion, object.kind);
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
    const type = this.typeOf(object.apiVersion, object.kind);
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
    const type = this.typeOf(ref.apiVersion, ref.kind);
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
  async delete(ref: ObjectRef, options: { dryRun?: boolean } & RequestLimits = {}): Promise<boolean> {
    const type = this.typeOf(ref.apiVersion, ref.kind);
    const params = new URLSearchParams({ propagationPolicy: 'Background' });
    if (options.dryRun) params.set('dryRun', 'All');
    const describe = {
      verb: 'delete',
      resource: type.resource,
      name: ref.name,
      namespace: ref.namespace,
    } as const;
    try {
      await this.request(
        'DELETE',
        `${resourcePath(type, ref.namespace, ref.name)}?${params}`,
        undefined,
        'application/json',
        options,
      );
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
    options: {
      container?: string | undefined;
      sinceSeconds?: number;
      tailLines?: number;
      follow: boolean;
      /** The container's previous run, before its last restart. */
      previous?: boolean;
    },
    signal: AbortSignal,
  ): Promise<AsyncIterable<string>> {
    const params = new URLSearchParams({ follow: String(options.follow) });
    if (options.container) params.set('container', options.container);
    if (options.previous) params.set('previous', 'true');
    if (options.tailLines !== undefined) params.set('tailLines', String(options.tailLines));
    if (options.sinceSeconds !== undefined)
      params.set('sinceSeconds', String(Math.max(1, Math.ceil(options.sinceSeconds))));
    const path = `/api/v1/namespaces/${encodeURIComponent(pod.namespace)}/pods/${encodeURIComponent(pod.name)}/log?${params}`;
    const describe = { verb: 'get', resource: 'pods/log', name: pod.name, namespace: pod.namespace } as const;
    // The API server negotiates pods/log like any resource (JSON, YAML or protobuf), then streams plain text.
    return this.openStream(path, describe, signal, 'application/json, */*');
  }

  /**
   * Opens a WebSocket to a pod's port through the API server (pods/portforward, the kubelet's channel
   * protocol); it is open once this resolves, within --request-timeout.
   */
  async openPortForward(
    pod: { name: string; namespace: string },
    port: number,
  ): Promise<WebSocketConnection> {
    const path = `${podPath(pod)}/portforward?ports=${port}`;
    const describe = {
      verb: 'create',
      resource: 'pods/portforward',
      name: pod.name,
      namespace: pod.namespace,
    } as const;
    return (await this.openWebSocket(path, describe, [PORT_FORWARD_PROTOCOL])).connection;
  }

  /**
   * Starts a command in a pod's container (pods/exec) over a WebSocket, offering `protocols` in that
   * order; the command runs once this resolves, with the protocol the server chose.
   */
  async openExec(
    pod: { name: string; namespace: string },
    query: URLSearchParams,
    protocols: string[],
  ): Promise<{ connection: WebSocketConnection; protocol: string }> {
    const describe = {
      verb: 'create',
      resource: 'pods/exec',
      name: pod.name,
      namespace: pod.namespace,
    } as const;
    return this.openWebSocket(`${podPath(pod)}/exec?${query}`, describe, protocols);
  }

  /** A WebSocket through the API server, open within --request-timeout; the subprotocol it chose. */
  private async openWebSocket(
    path: string,
    describe: RequestDescription,
    protocols: string[],
  ): Promise<{ connection: WebSocketConnection; protocol: string }> {
    const handshake = webSocketHandshake(protocols);
    try {
      const answer = await this.sendAuthenticated(
        this.url(path),
        {
          method: 'GET',
          headers: { ...handshake.headers, 'User-Agent': USER_AGENT },
          timeoutMs: this.target.requestTimeoutMs,
        },
        true,
      );
      if (!('head' in answer)) throw new KubeHttpError(answer.statusCode ?? 0, await readText(answer));
      if (answer.response.headers['sec-websocket-accept'] !== handshake.accept) {
        answer.socket.destroy();
        throw new Error('the answer to the WebSocket handshake does not match the request');
      }
      const protocol = String(answer.response.headers['sec-websocket-protocol'] ?? '');
      return { connection: new WebSocketConnection(answer.socket, answer.head), protocol };
    } catch (error) {
      throw this.explain(error, describe);
    }
  }

  /**
   * A streaming GET (logs, watches), line by line; the request is under way once this resolves. Its
   * headers must come within --request-timeout; after that the stream lasts until `signal` aborts.
   */
  private async openStream(
    path: string,
    describe: RequestDescription,
    signal: AbortSignal,
    accept: string,
  ): Promise<AsyncIterable<string>> {
    let body: AsyncIterable<Uint8Array>;
    try {
      const response = await this.sendAuthenticated(this.url(path), {
        method: 'GET',
        headers: { Accept: accept, 'User-Agent': USER_AGENT },
        signal,
        timeoutMs: this.target.requestTimeoutMs,
        timeoutCovers: 'headers',
      });
      if (!isSuccess(response)) throw new KubeHttpError(response.statusCode ?? 0, await readText(response));
      body = response;
    } catch (error) {
      throw this.explain(error, describe);
    }
    return splitLines(body, signal, (error) => this.explain(error, describe));
  }

  async close(): Promise<void> {
    this.transport?.destroy();
    this.transport = undefined;
    for (const transport of this.retiredTransports.splice(0)) transport.destroy();
  }

  private url(path: string): string {
    return `${this.target.server.replace(/\/+$/, '')}${path}`;
  }

  /** The proxy kubectl would use for this server: the kubeconfig's proxy-url, else the environment's. */
  private proxy(): ProxyRoute | undefined {
    this.proxyRoute ??= {
      route: proxyFor(new URL(this.target.server), this.target.proxyUrl, proxyEnvironment()),
    };
    return this.proxyRoute.route;
  }

  /**
   * Credentials and the TLS client from the kubeconfig: ours for tokens, certificates and exec plugins,
   * client-node's (loaded only then) for auth-providers. Every kind goes through our transport.
   */
  private async authenticate(): Promise<Connection> {
    const credentials = this.target.credentials;
    if (credentials.kind === 'static') {
      return {
        headers: authorizationHeader(credentials),
        transport: this.transportPresenting(tlsOptions(credentials)),
      };
    }
    if (credentials.kind === 'exec') {
      const issued = await credentials.plugin.credential(this.target.requestTimeoutMs);
      return {
        headers: issued.token ? { Authorization: `Bearer ${issued.token}` } : {},
        transport: this.transportPresenting(
          tlsOptions({ ...credentials, cert: issued.cert, key: issued.key }),
        ),
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
    const { ca, cert, key, servername, rejectUnauthorized } = options;
    const tls: TlsOptions = {
      ...(ca ? { ca } : {}),
      ...(cert ? { cert } : {}),
      ...(key ? { key } : {}),
      ...(servername ? { servername } : {}),
      rejectUnauthorized: rejectUnauthorized !== false,
    };
    return { headers, transport: this.transportPresenting(tls) };
  }

  /** The transport for these TLS options; a client certificate an exec plugin renewed needs new connections. */
  private transportPresenting(tls: TlsOptions): Transport {
    if (this.transport && this.transportCertificate === tls.cert) return this.transport;
    if (this.transport) this.retiredTransports.push(this.transport);
    this.transport = new Transport(new URL(this.target.server), tls, this.proxy());
    this.transportCertificate = tls.cert;
    return this.transport;
  }

  /**
   * Sends with the kubeconfig's credentials. A 401 to an exec plugin's credential runs the plugin again
   * and sends once more, as kubectl does; a second 401 is the caller's to report. The time limit starts
   * once the credentials are there: a plugin has a limit of its own (exec-credential.ts).
   */
  private sendAuthenticated(url: string, options: SendOptions): Promise<IncomingMessage>;
  private sendAuthenticated(
    url: string,
    options: SendOptions,
    upgrade: true,
  ): Promise<IncomingMessage | Upgraded>;
  private async sendAuthenticated(
    url: string,
    options: SendOptions,
    upgrade = false,
  ): Promise<IncomingMessage | Upgraded> {
    const attempt = async () => {
      const connection = await this.authenticate();
      const sent = { ...options, headers: { ...connection.headers, ...options.headers } };
      return {
        connection,
        answer: await (upgrade
          ? connection.transport.upgrade(url, sent)
          : connection.transport.send(url, sent)),
      };
    };
    const started = Date.now();
    for (let retries = 0; ; retries++) {
      const first = await attempt();
      let answer = first.answer;
      if ('head' in answer) return answer;
      if (answer.statusCode === 401 && first.connection.discard) {
        first.connection.discard();
        // Read to the end, so that its connection serves the retry.
        answer.resume();
        answer = (await attempt()).answer;
        if ('head' in answer) return answer;
      }
      const wait = retryAfter(answer, retries, started, options.timeoutMs);
      if (wait === undefined) return answer;
      answer.resume();
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }

  private explain(error: unknown, describe: RequestDescription) {
    return explainKubeError(error, this.target, describe);
  }

  private async request(
    method: 'GET' | 'PATCH' | 'DELETE' | 'POST' | 'PUT',
    path: string,
    payload?: { body: string; contentType: string },
    accept = 'application/json',
    limits: RequestLimits = {},
  ): Promise<unknown> {
    const headers: Record<string, string> = { Accept: accept, 'User-Agent': USER_AGENT };
    if (payload) headers['Content-Type'] = payload.contentType;
    const response = await this.sendAuthenticated(this.url(path), {
      method,
      headers,
      body: payload?.body,
      timeoutMs: limitFor(this.target.requestTimeoutMs, limits),
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

/** How many times a request is sent again when the server says when to (client-go's maxRetries). */
const RETRY_AFTER_ATTEMPTS = 10;

/**
 * When to send again an answer the server asks to be retried, as client-go does: a 429 (API Priority
 * and Fairness, a busy server) or a 5xx with Retry-After, for any verb, since the server did not act
 * on it; at most RETRY_AFTER_ATTEMPTS times, and never past the request's own time limit.
 * Undefined: hand the answer on.
 */
function retryAfter(
  answer: IncomingMessage,
  retries: number,
  started: number,
  timeoutMs: number | undefined,
): number | undefined {
  const code = answer.statusCode ?? 0;
  const header = answer.headers['retry-after'];
  if ((code !== 429 && (code < 500 || code > 599)) || header === undefined) return undefined;
  if (retries >= RETRY_AFTER_ATTEMPTS) return undefined;
  const seconds = Number.parseInt(String(header), 10);
  const wait = Number.isInteger(seconds) && seconds >= 0 ? Math.min(seconds, 60) * 1000 : 1000;
  if (timeoutMs && timeoutMs > 0 && Date.now() + wait - started >= timeoutMs) return undefined;
  return wait;
}

/**
 * The limit for a request a wait makes once its --timeout is up (a last look, a clean-up): it must end
 * within one request timeout of `deadline`. Undefined when that time is gone too.
 */
export function limitsAfter(kube: KubeClient, deadline: number): RequestLimits | undefined {
  if (kube.target.requestTimeoutMs <= 0) return {};
  const left = deadline + kube.target.requestTimeoutMs - Date.now();
  return left > 0 ? { timeoutMs: left } : undefined;
}

const podPath = (pod: { name: string; namespace: string }) =>
  `/api/v1/namespaces/${encodeURIComponent(pod.namespace)}/pods/${encodeURIComponent(pod.name)}`;

/** The kubelet's WebSocket port-forward protocol, which kube-apiserver passes through (client-node's too). */
const PORT_FORWARD_PROTOCOL = 'v4.channel.k8s.io';

/** --request-timeout, or a wait's shorter limit (0: no limit at all). */
function limitFor(requestTimeoutMs: number, limits: RequestLimits): number {
  if (limits.timeoutMs === undefined) return requestTimeoutMs;
  return requestTimeoutMs > 0 ? Math.min(requestTimeoutMs, limits.timeoutMs) : limits.timeoutMs;
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
