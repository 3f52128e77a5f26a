/**
 * How requests authenticate, from a kubeconfig cluster and user: bearer tokens (inline or a file
 * read per request, as service account tokens rotate), client certificates, basic auth, exec
 * credential plugins (exec-credential.ts), the CA to trust. auth-providers are left to
 * @kubernetes/client-node, loaded then; proxies are the transport's (proxy.ts).
 */
import { readFileSync } from 'node:fs';
import type { TlsOptions } from './transport.ts';
import {
  CredentialPlugin,
  EXEC_CLUSTER_EXTENSION,
  type ExecClusterInfo,
  parseExecConfig,
} from './exec-credential.ts';
import type { ClusterEntry, UserEntry } from './kubeconfig-files.ts';

/** What the connection trusts: the cluster's CA, or nothing when the kubeconfig skips verification. */
interface ServerTrust {
  ca?: Buffer | undefined;
  insecure: boolean;
  servername?: string | undefined;
}

export type StaticCredentials = ServerTrust & {
  kind: 'static';
  cert?: Buffer | undefined;
  key?: Buffer | undefined;
  token?: string | undefined;
  tokenFile?: string | undefined;
  basic?: { username: string; password: string } | undefined;
};

/** A user whose token or client certificate comes from an exec credential plugin. */
export type ExecCredentials = ServerTrust & { kind: 'exec'; plugin: CredentialPlugin };

export type Credentials = StaticCredentials | ExecCredentials | { kind: 'client-node'; reason: string };

const data = (value: string | undefined) => (value ? Buffer.from(value, 'base64') : undefined);
const file = (path: string | undefined) => (path ? readFileSync(path) : undefined);

/** Throws what cannot be read (a certificate file, an exec entry); the caller names the context. */
export function credentialsFor(cluster: ClusterEntry, user: UserEntry, contextName: string): Credentials {
  if (user['auth-provider']) return { kind: 'client-node', reason: 'auth-provider' };
  const trust: ServerTrust = {
    ca: data(cluster['certificate-authority-data']) ?? file(cluster['certificate-authority']),
    insecure: cluster['insecure-skip-tls-verify'] === true,
    servername: cluster['tls-server-name'],
  };
  if (user.exec) {
    const plugin = new CredentialPlugin(
      parseExecConfig(user.exec),
      execClusterInfo(cluster, trust),
      contextName,
    );
    return { kind: 'exec', ...trust, plugin };
  }
  return {
    kind: 'static',
    ...trust,
    cert: data(user['client-certificate-data']) ?? file(user['client-certificate']),
    key: data(user['client-key-data']) ?? file(user['client-key']),
    token: user.token,
    tokenFile: user.tokenFile,
    basic: user.username && user.password ? { username: user.username, password: user.password } : undefined,
  };
}

/** The cluster as an exec plugin with provideClusterInfo sees it (client-go's ExecCredential spec.cluster). */
function execClusterInfo(cluster: ClusterEntry, trust: ServerTrust): ExecClusterInfo {
  const extension = Array.isArray(cluster.extensions)
    ? cluster.extensions.find((entry) => entry?.name === EXEC_CLUSTER_EXTENSION)
    : undefined;
  return {
    server: cluster.server ?? '',
    ...(trust.servername ? { 'tls-server-name': trust.servername } : {}),
    ...(trust.insecure ? { 'insecure-skip-tls-verify': true } : {}),
    ...(trust.ca ? { 'certificate-authority-data': trust.ca.toString('base64') } : {}),
    ...(extension?.extension === undefined ? {} : { config: extension.extension }),
  };
}

/** The Authorization header for static credentials; a token file is read each time (it rotates). */
export function authorizationHeader(credentials: StaticCredentials): Record<string, string> {
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
export function tlsOptions(
  credentials: ServerTrust & { cert?: Buffer | string | undefined; key?: Buffer | string | undefined },
): TlsOptions {
  return {
    ...(credentials.ca ? { ca: credentials.ca } : {}),
    ...(credentials.cert ? { cert: credentials.cert } : {}),
    ...(credentials.key ? { key: credentials.key } : {}),
    ...(credentials.servername ? { servername: credentials.servername } : {}),
    rejectUnauthorized: !credentials.insecure,
  };
}
