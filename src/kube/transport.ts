/**
 * HTTP(S) on Node's own http/https modules: keep-alive agents with the kubeconfig's TLS settings, the
 * proxy kubectl would use (proxy.ts; tunnels in tunnel.ts), and a time limit on every request. (undici,
 * which fetch would need for custom TLS, costs ~0.1 s to load.)
 */
import type { Agent as HttpAgent, ClientRequest, ClientRequestArgs, IncomingMessage } from 'node:http';
import type { Agent as HttpsAgent } from 'node:https';
import type { Duplex } from 'node:stream';
import type { SecureContextOptions } from 'node:tls';
import { hostAndPort, type ProxyRoute, proxyCredentials, proxyEnvironment, proxyFor } from './proxy.ts';
import { openTunnel, type ProxyTls } from './tunnel.ts';

// Not `import … from 'node:http'`: an ESM import of http reads all of its exports, and some of them
// are getters that load Node's bundled undici and zlib (~15 ms at every start) for nothing.
const http = process.getBuiltinModule('node:http');
const https = process.getBuiltinModule('node:https');
const tls = process.getBuiltinModule('node:tls');

type Agent = HttpAgent | HttpsAgent;

export const USER_AGENT = 'kubectl-trigger-gateway';

export interface TlsOptions extends Pick<SecureContextOptions, 'ca' | 'cert' | 'key'> {
  rejectUnauthorized?: boolean;
  servername?: string;
}

/** A request got no answer within its time limit (--request-timeout). */
export class RequestTimeoutError extends Error {
  readonly code = 'ETIMEDOUT';
  constructor(
    readonly timeoutMs: number,
    /** The proxy, when it had not opened the tunnel yet: the wait was for the proxy, not the server. */
    readonly stuckAt: ProxyRoute | undefined,
  ) {
    super(`no answer within ${timeoutMs / 1000}s`);
    this.name = 'RequestTimeoutError';
  }
}

export interface SendOptions {
  method: string;
  headers: Record<string, string>;
  body?: string | Uint8Array | undefined;
  /** Ends the request (and a stream it opened) when aborted. */
  signal?: AbortSignal | undefined;
  /** Milliseconds; 0 means no limit. */
  timeoutMs: number;
  /** What the limit covers: the whole response (default), or only until its headers arrive (streams). */
  timeoutCovers?: 'response' | 'headers';
}

/** A 101 answer to an upgrade request: the connection is the caller's now. */
export interface Upgraded {
  response: IncomingMessage;
  socket: Duplex;
  head: Buffer;
}

interface DialOptions extends ClientRequestArgs {
  /** Ours, passed through the agent: abandons a tunnel still being opened when the request ends. */
  dialSignal?: AbortSignal;
  /** Set by https.Agent: tls-server-name, else the host name. */
  servername?: string;
}

/** An agent whose connections go through a proxy tunnel; TLS to the server inside it for https://. */
function tunnellingAgent(
  secure: boolean,
  route: ProxyRoute,
  serverTls: TlsOptions,
  proxyTls: ProxyTls,
): Agent {
  const Base = secure ? https.Agent : http.Agent;
  const pending = new Set<AbortController>();
  const agent = new Base({ keepAlive: true, ...(secure ? serverTls : {}) });
  agent.createConnection = (options: DialOptions, callback) => {
    const dial = new AbortController();
    pending.add(dial);
    const signal = options.dialSignal ? AbortSignal.any([dial.signal, options.dialSignal]) : dial.signal;
    const target = { host: String(options.host ?? ''), port: Number(options.port) };
    openTunnel(route, target, { signal, proxyTls, userAgent: USER_AGENT })
      .then((tunnel) =>
        secure
          ? tls.connect({
              ...serverTls,
              socket: tunnel,
              ...(options.servername ? { servername: options.servername } : {}),
            })
          : tunnel,
      )
      .then(
        (socket) => callback?.(null, socket),
        (error: Error) => callback?.(error, undefined as unknown as Duplex),
      )
      .finally(() => pending.delete(dial));
    return undefined;
  };
  const destroy = agent.destroy.bind(agent);
  agent.destroy = () => {
    for (const dial of pending) dial.abort(new Error('the client was closed'));
    destroy();
  };
  return agent;
}

/**
 * Requests to one server with one TLS identity: direct, or through `proxy` the way Go's http.Transport
 * goes (a CONNECT or SOCKS5 tunnel; plain http:// requests in absolute form to an http(s) proxy).
 */
export class Transport {
  private readonly agent: Agent;
  /** Upgrades when plain requests go to the proxy in absolute form: they need a tunnel. */
  private tunnelAgent: Agent | undefined;
  private readonly absoluteForm: boolean;

  constructor(
    server: URL,
    private readonly tlsOptions: TlsOptions,
    readonly proxy: ProxyRoute | undefined,
    /**
     * Connect here instead of to the URL's host, which still names the server in Host and in TLS (as
     * curl --resolve does). Not for plain http:// through an HTTP proxy, which resolves the name itself.
     */
    private readonly connectTo?: string,
  ) {
    const secure = server.protocol === 'https:';
    this.absoluteForm = !secure && proxy !== undefined && proxy.url.protocol !== 'socks5:';
    if (!proxy) {
      this.agent = secure
        ? new https.Agent({ keepAlive: true, ...tlsOptions })
        : new http.Agent({ keepAlive: true });
    } else if (this.absoluteForm) {
      this.agent =
        proxy.url.protocol === 'https:'
          ? new https.Agent({ keepAlive: true, ...this.proxyTls() })
          : new http.Agent({ keepAlive: true });
    } else {
      this.agent = tunnellingAgent(secure, proxy, tlsOptions, this.proxyTls());
    }
  }

  /** Sends one request; resolves once its headers arrived (the body is still to read, within the limit). */
  send(url: string, options: SendOptions): Promise<IncomingMessage> {
    return this.exchange(url, options, false).then((answer) => {
      if ('head' in answer) throw new Error(`unexpected 101 answer to ${options.method} ${url}`);
      return answer;
    });
  }

  /** An upgrade request (port-forward): the switched connection on 101, else the response to read. */
  upgrade(url: string, options: SendOptions): Promise<Upgraded | IncomingMessage> {
    return this.exchange(url, options, true);
  }

  destroy(): void {
    this.agent.destroy();
    this.tunnelAgent?.destroy();
  }

  /** The https:// proxy's TLS: the cluster's CA and verification setting, as Go uses them. */
  private proxyTls(): ProxyTls & { ca?: TlsOptions['ca']; servername?: string } {
    const { host } = this.proxy ? hostAndPort(this.proxy.url) : { host: '' };
    return {
      ca: [...tls.rootCertificates, ...[this.tlsOptions.ca ?? []].flat()],
      rejectUnauthorized: this.tlsOptions.rejectUnauthorized !== false,
      ...(host && process.getBuiltinModule('node:net').isIP(host) === 0 ? { servername: host } : {}),
    };
  }

  private requestArgs(url: URL, upgrade: boolean, headers: Record<string, string>) {
    if (this.absoluteForm && this.proxy && !upgrade) {
      const proxy = hostAndPort(this.proxy.url);
      const credentials = proxyCredentials(this.proxy);
      return {
        request: this.proxy.url.protocol === 'https:' ? https.request : http.request,
        args: {
          host: proxy.host,
          port: proxy.port,
          path: url.href,
          agent: this.agent,
          headers: {
            ...headers,
            Host: url.host,
            ...(credentials
              ? {
                  'Proxy-Authorization': `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`,
                }
              : {}),
          },
        } satisfies ClientRequestArgs,
      };
    }
    let agent = this.agent;
    if (this.absoluteForm && this.proxy) {
      this.tunnelAgent ??= tunnellingAgent(false, this.proxy, this.tlsOptions, this.proxyTls());
      agent = this.tunnelAgent;
    }
    const { host, port } = hostAndPort(url);
    const named = this.connectTo
      ? {
          host: this.connectTo,
          headers: { ...headers, Host: url.host },
          // No server name for an address, as TLS forbids.
          ...(process.getBuiltinModule('node:net').isIP(host) === 0 ? { servername: host } : {}),
        }
      : { host, headers };
    return {
      request: url.protocol === 'http:' ? http.request : https.request,
      args: { ...named, port, path: `${url.pathname}${url.search}`, agent } satisfies DialOptions,
    };
  }

  private exchange(url: string, options: SendOptions, upgrade: boolean): Promise<IncomingMessage | Upgraded> {
    const target = new URL(url);
    const headers: Record<string, string> = { ...options.headers };
    if (options.body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(options.body));
    const { request, args } = this.requestArgs(target, upgrade, headers);
    const cancel = new AbortController();
    const onAbort = () => cancel.abort(options.signal?.reason);
    if (options.signal?.aborted) onAbort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    let outgoing: ClientRequest | undefined;
    let response: IncomingMessage | undefined;
    let timer: NodeJS.Timeout | undefined;
    const detach = () => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
    };
    return new Promise<IncomingMessage | Upgraded>((resolve, reject) => {
      const fail = (error: unknown) => {
        detach();
        reject(error);
      };
      if (options.timeoutMs > 0) {
        timer = setTimeout(() => {
          // Still waiting for a socket while a proxy is in the way: the proxy has not opened the tunnel.
          const stuckAt = this.proxy && !outgoing?.socket ? this.proxy : undefined;
          cancel.abort(new RequestTimeoutError(options.timeoutMs, stuckAt));
        }, options.timeoutMs);
      }
      cancel.signal.addEventListener(
        'abort',
        () => {
          const reason: unknown = cancel.signal.reason;
          const error = reason instanceof Error ? reason : new Error('the request was aborted');
          outgoing?.destroy(error);
          response?.destroy(error);
          fail(error);
        },
        { once: true },
      );
      if (cancel.signal.aborted) return;
      const dialArgs: DialOptions = { ...args, method: options.method, dialSignal: cancel.signal };
      outgoing = request(dialArgs, (incoming) => {
        response = incoming;
        // A stream's limit ends with its headers; the caller's signal still ends the stream later.
        if (options.timeoutCovers === 'headers') clearTimeout(timer);
        incoming.once('close', detach);
        resolve(incoming);
      });
      outgoing.once('upgrade', (incoming: IncomingMessage, socket: Duplex, head: Buffer) => {
        detach();
        resolve({ response: incoming, socket, head });
      });
      outgoing.once('error', fail);
      outgoing.end(options.body);
    });
  }
}

/** A whole answer: status, headers (lower-case names) and body. */
export interface Answer {
  status: number;
  headers: IncomingMessage['headers'];
  body: string;
}

/** Where sendOnce connects and whom it trusts, when not the URL's host and the system's CAs. */
export interface Endpoint {
  /** The CAs (PEM) to trust instead of the system's, as kubectl's and curl's flags do. */
  ca?: string | Buffer | undefined;
  /** An address to connect to, the URL's host name still sent in Host and TLS (curl --resolve). */
  connectTo?: string | undefined;
}

/**
 * One request to a URL outside the cluster (the gateway for `test`, a provider's API for `webhook`):
 * through the proxy the environment names for it, with the system's CAs (or `endpoint.ca`), within
 * `timeoutMs`; the whole answer.
 */
export async function sendOnce(url: string, options: SendOptions, endpoint: Endpoint = {}): Promise<Answer> {
  const target = new URL(url);
  const transport = new Transport(
    target,
    endpoint.ca === undefined ? {} : { ca: endpoint.ca },
    proxyFor(target, undefined, proxyEnvironment()),
    endpoint.connectTo,
  );
  try {
    const response = await transport.send(url, options);
    return { status: response.statusCode ?? 0, headers: response.headers, body: await readText(response) };
  } finally {
    transport.destroy();
  }
}

/** Whether this system resolves `host` (as a connection to it would: getaddrinfo, /etc/hosts included). */
export async function hostResolves(host: string): Promise<boolean> {
  try {
    await process.getBuiltinModule('node:dns').promises.lookup(host);
    return true;
  } catch {
    return false;
  }
}

export async function readText(response: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of response) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export const isSuccess = (response: IncomingMessage) =>
  (response.statusCode ?? 0) >= 200 && (response.statusCode ?? 0) < 300;
