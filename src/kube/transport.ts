/**
 * HTTP(S) to the API server on Node's own http/https modules: a keep-alive agent per client with the
 * kubeconfig's TLS settings. (undici, which fetch would need for custom TLS, costs ~0.1 s to load.)
 */
import type { Agent as HttpAgent, IncomingMessage } from 'node:http';
import type { Agent as HttpsAgent } from 'node:https';
import type { SecureContextOptions } from 'node:tls';

// Not `import … from 'node:http'`: an ESM import of http reads all of its exports, and some of them
// are getters that load Node's bundled undici and zlib (~15 ms at every start) for nothing.
const http = process.getBuiltinModule('node:http');
const https = process.getBuiltinModule('node:https');

export type Agent = HttpAgent | HttpsAgent;

export interface TlsOptions extends Pick<SecureContextOptions, 'ca' | 'cert' | 'key'> {
  rejectUnauthorized?: boolean;
  servername?: string;
}

export function agentFor(server: string, tls: TlsOptions): Agent {
  return server.startsWith('http://')
    ? new http.Agent({ keepAlive: true })
    : new https.Agent({ keepAlive: true, ...tls });
}

export interface SendOptions {
  method: string;
  headers: Record<string, string>;
  body?: string | undefined;
  signal?: AbortSignal | undefined;
  agent: Agent;
}

/** Sends one request; resolves with the response once its headers arrived (the body is still to read). */
export function send(url: string, options: SendOptions): Promise<IncomingMessage> {
  const request = url.startsWith('http://') ? http.request : https.request;
  return new Promise((resolve, reject) => {
    const outgoing = request(
      url,
      {
        method: options.method,
        headers: {
          ...options.headers,
          ...(options.body === undefined
            ? {}
            : { 'Content-Length': String(Buffer.byteLength(options.body)) }),
        },
        agent: options.agent,
        ...(options.signal ? { signal: options.signal } : {}),
      },
      resolve,
    );
    outgoing.once('error', reject);
    outgoing.end(options.body);
  });
}

export async function readText(response: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of response) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export const isSuccess = (response: IncomingMessage) =>
  (response.statusCode ?? 0) >= 200 && (response.statusCode ?? 0) < 300;
