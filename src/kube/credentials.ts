/**
 * How requests authenticate, from a kubeconfig cluster and user: bearer tokens (inline or a file
 * read per request, as service account tokens rotate), client certificates, basic auth, the CA to
 * trust. exec plugins, auth-providers and proxies are left to @kubernetes/client-node, loaded then.
 */
import { readFileSync } from 'node:fs';
import type { TlsOptions } from './transport.ts';
import type { ClusterEntry, UserEntry } from './kubeconfig-files.ts';

export type Credentials =
  | {
      kind: 'static';
      ca?: Buffer | undefined;
      cert?: Buffer | undefined;
      key?: Buffer | undefined;
      insecure: boolean;
      servername?: string | undefined;
      token?: string | undefined;
      tokenFile?: string | undefined;
      basic?: { username: string; password: string } | undefined;
    }
  | { kind: 'client-node'; reason: string };

const data = (value: string | undefined) => (value ? Buffer.from(value, 'base64') : undefined);
const file = (path: string | undefined) => (path ? readFileSync(path) : undefined);

export function credentialsFor(cluster: ClusterEntry, user: UserEntry): Credentials {
  if (user.exec) return { kind: 'client-node', reason: 'exec credential plugin' };
  if (user['auth-provider']) return { kind: 'client-node', reason: 'auth-provider' };
  if (cluster['proxy-url']) return { kind: 'client-node', reason: 'proxy-url' };
  return {
    kind: 'static',
    ca: data(cluster['certificate-authority-data']) ?? file(cluster['certificate-authority']),
    cert: data(user['client-certificate-data']) ?? file(user['client-certificate']),
    key: data(user['client-key-data']) ?? file(user['client-key']),
    insecure: cluster['insecure-skip-tls-verify'] === true,
    servername: cluster['tls-server-name'],
    token: user.token,
    tokenFile: user.tokenFile,
    basic: user.username && user.password ? { username: user.username, password: user.password } : undefined,
  };
}

/** The Authorization header for static credentials; a token file is read each time (it rotates). */
export function authorizationHeader(
  credentials: Extract<Credentials, { kind: 'static' }>,
): Record<string, string> {
  const token = credentials.tokenFile
    ? readFileSync(credentials.tokenFile, 'utf8').trim()
    : credentials.token;
  if (token) return { Authorization: `Bearer ${token}` };
  if (credentials.basic) {
    const pair = `${credentials.basic.username}:${credentials.basic.password}`;
    return { Authorization: `Basic ${Buffer.from(pair).toString('base64')}` };
  }
  return {};
}

/** What the connection trusts and presents: the cluster's CA, the client certificate. */
export function tlsOptions(credentials: Extract<Credentials, { kind: 'static' }>): TlsOptions {
  return {
    ...(credentials.ca ? { ca: credentials.ca } : {}),
    ...(credentials.cert ? { cert: credentials.cert } : {}),
    ...(credentials.key ? { key: credentials.key } : {}),
    ...(credentials.servername ? { servername: credentials.servername } : {}),
    rejectUnauthorized: !credentials.insecure,
  };
}
