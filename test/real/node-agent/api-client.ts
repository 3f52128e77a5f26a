/**
 * The node agent's way to the API server: JSON requests and watches over HTTPS with a client
 * certificate, as the kubelet and kube-proxy make them. Every request ends within REQUEST_TIMEOUT_MS;
 * a watch ends when the server ends it, when its timeoutSeconds pass, or when closed.
 */
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:https';

const REQUEST_TIMEOUT_MS = 15_000;

/** A certificate and its key, as files. */
export interface CertificateFiles {
  cert: string;
  key: string;
}

/** A client certificate, or a bearer token (a ServiceAccount's). */
export type Credentials = CertificateFiles | { token: string };

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

export interface WatchEvent<T> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: T;
}

export interface Watch {
  /** Resolves when the server ends the watch or close() is called. */
  ended: Promise<void>;
  close(): void;
}

export class ApiClient {
  private readonly agent: Agent;
  private readonly authorization: Record<string, string>;

  constructor(
    readonly server: string,
    caFile: string,
    credentials: Credentials,
  ) {
    this.agent = new Agent({
      ca: readFileSync(caFile),
      ...('token' in credentials
        ? {}
        : { cert: readFileSync(credentials.cert), key: readFileSync(credentials.key) }),
      keepAlive: true,
    });
    this.authorization = 'token' in credentials ? { Authorization: `Bearer ${credentials.token}` } : {};
  }

  async get<T>(path: string): Promise<T> {
    return this.send<T>('GET', path);
  }

  async create<T>(path: string, body: unknown): Promise<T> {
    return this.send<T>('POST', path, body);
  }

  async mergePatch<T>(path: string, body: unknown): Promise<T> {
    return this.send<T>('PATCH', path, body, 'application/merge-patch+json');
  }

  async strategicPatch<T>(path: string, body: unknown): Promise<T> {
    return this.send<T>('PATCH', path, body, 'application/strategic-merge-patch+json');
  }

  async remove(path: string, body?: unknown): Promise<void> {
    await this.send('DELETE', path, body);
  }

  /** Streams watch events of `path` (a collection URL with its query) to `onEvent`. */
  watch<T>(path: string, onEvent: (event: WatchEvent<T>) => void): Watch {
    let close = () => undefined as void;
    const ended = new Promise<void>((resolve, reject) => {
      const req = request(
        new URL(path, this.server),
        { agent: this.agent, method: 'GET', headers: this.authorization },
        (res) => {
          if (res.statusCode !== 200) {
            readAll(res).then((text) => reject(apiError(res.statusCode ?? 0, text)), reject);
            return;
          }
          res.setEncoding('utf8');
          let pending = '';
          res.on('data', (chunk: string) => {
            pending += chunk;
            let newline = pending.indexOf('\n');
            while (newline >= 0) {
              const line = pending.slice(0, newline).trim();
              pending = pending.slice(newline + 1);
              if (line) onEvent(JSON.parse(line) as WatchEvent<T>);
              newline = pending.indexOf('\n');
            }
          });
          res.on('end', () => resolve());
          res.on('close', () => resolve());
          res.on('error', () => resolve());
        },
      );
      req.setTimeout(REQUEST_TIMEOUT_MS, () => req.destroy(new Error(`no answer to watch ${path}`)));
      req.on('response', () => req.setTimeout(0));
      req.on('error', reject);
      req.end();
      close = () => {
        req.destroy();
        resolve();
      };
    });
    return { ended, close: () => close() };
  }

  close(): void {
    this.agent.destroy();
  }

  private send<T>(
    method: string,
    path: string,
    body?: unknown,
    contentType = 'application/json',
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = request(
        new URL(path, this.server),
        {
          agent: this.agent,
          method,
          timeout: REQUEST_TIMEOUT_MS,
          headers: {
            ...this.authorization,
            Accept: 'application/json',
            ...(payload === undefined
              ? {}
              : { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(payload) }),
          },
        },
        (res) => {
          readAll(res).then((text) => {
            const status = res.statusCode ?? 0;
            if (status >= 200 && status < 300) resolve((text ? JSON.parse(text) : undefined) as T);
            else reject(apiError(status, text));
          }, reject);
        },
      );
      req.on('timeout', () =>
        req.destroy(new Error(`${method} ${path}: no answer in ${REQUEST_TIMEOUT_MS} ms`)),
      );
      req.on('error', reject);
      req.end(payload);
    });
  }
}

function readAll(res: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (chunk: Buffer) => chunks.push(chunk));
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
  });
}

function apiError(status: number, text: string): ApiError {
  try {
    const parsed = JSON.parse(text) as { reason?: string; message?: string };
    return new ApiError(status, parsed.reason ?? '', parsed.message ?? text);
  } catch {
    return new ApiError(status, '', text);
  }
}

export const isStatus = (error: unknown, status: number): boolean =>
  error instanceof ApiError && error.status === status;
