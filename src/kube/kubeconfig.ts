import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { ExitCode, GatewayError } from '../errors.ts';
import { type Credentials, credentialsFor } from './credentials.ts';
import { type MergedKubeconfig, mergeKubeconfigFiles } from './kubeconfig-files.ts';
import { parseProxyUrl, type ProxyRoute } from './proxy.ts';

export const DEFAULT_NAMESPACE = 'trigger-gateway';

export interface ConnectionFlags {
  kubeconfig?: string | undefined;
  context?: string | undefined;
  namespace?: string | undefined;
  /** Milliseconds for one API request; 0 means no limit. */
  requestTimeoutMs: number;
}

/** The cluster, user and namespace a command talks to, resolved the way kubectl resolves them. */
export interface KubeTarget {
  contextName: string;
  server: string;
  namespace: string;
  namespaceSource: 'flag' | 'context' | 'default';
  /** The namespace kubectl would use without -n: the context's, else "default". */
  currentNamespace: string;
  kubeconfigFiles: string[];
  /** Every context name in the kubeconfig. */
  contexts: string[];
  requestTimeoutMs: number;
  credentials: Credentials;
  /** The cluster's proxy-url: every request goes through it, whatever HTTPS_PROXY and NO_PROXY say. */
  proxyUrl: ProxyRoute | undefined;
  /** The same target as @kubernetes/client-node's KubeConfig (auth-providers), loaded on first use. */
  clientNodeConfig(): Promise<KubeConfig>;
}

function kubeconfigFiles(flag: string | undefined): string[] {
  if (flag) {
    if (!existsSync(flag)) {
      throw new GatewayError(`the kubeconfig file ${flag} does not exist`, {
        why: 'it was given with --kubeconfig',
        next: ['check the path, or leave out --kubeconfig to use $KUBECONFIG or ~/.kube/config'],
        exitCode: ExitCode.environment,
      });
    }
    return [flag];
  }
  const fromEnv = (process.env.KUBECONFIG ?? '').split(delimiter).filter((file) => file !== '');
  if (fromEnv.length > 0) return fromEnv.filter((file) => existsSync(file));
  const home = join(homedir(), '.kube', 'config');
  return existsSync(home) ? [home] : [];
}

const SERVICE_ACCOUNT = '/var/run/secrets/kubernetes.io/serviceaccount';

/** Inside a pod without a kubeconfig: the service account, as kubectl and client-go use it. */
function inClusterConfig(): MergedKubeconfig {
  const host = process.env.KUBERNETES_SERVICE_HOST ?? '';
  const port = process.env.KUBERNETES_SERVICE_PORT ?? '443';
  const server = `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
  let namespace: string | undefined;
  try {
    namespace = readFileSync(`${SERVICE_ACCOUNT}/namespace`, 'utf8').trim() || undefined;
  } catch {
    namespace = undefined;
  }
  return {
    clusters: new Map([['in-cluster', { server, 'certificate-authority': `${SERVICE_ACCOUNT}/ca.crt` }]]),
    users: new Map([['in-cluster', { tokenFile: `${SERVICE_ACCOUNT}/token` }]]),
    contexts: new Map([
      ['in-cluster', { cluster: 'in-cluster', user: 'in-cluster', ...(namespace ? { namespace } : {}) }],
    ]),
    currentContext: 'in-cluster',
  };
}

function loadKubeconfig(flag: string | undefined): { merged: MergedKubeconfig; files: string[] } {
  const files = kubeconfigFiles(flag);
  if (files.length === 0) {
    if (process.env.KUBERNETES_SERVICE_HOST) return { merged: inClusterConfig(), files };
    const looked = process.env.KUBECONFIG ? `$KUBECONFIG (${process.env.KUBECONFIG})` : '~/.kube/config';
    throw new GatewayError('no kubeconfig found', {
      why: `looked at ${looked} and found no file; this command needs a cluster to talk to`,
      next: ["point KUBECONFIG at your cluster's kubeconfig, or pass --kubeconfig FILE"],
      exitCode: ExitCode.environment,
    });
  }
  try {
    return { merged: mergeKubeconfigFiles(files), files };
  } catch (error) {
    throw new GatewayError(`cannot read the kubeconfig ${files.join(delimiter)}`, {
      why: error instanceof Error ? (error.message.split('\n')[0] ?? error.message) : String(error),
      next: ['check the file with: kubectl config view'],
      exitCode: ExitCode.environment,
      cause: error,
    });
  }
}

/** client-node's view of the same files and context, for the few things it still does for us. */
async function loadClientNodeConfig(files: string[], contextName: string): Promise<KubeConfig> {
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kubeConfig = new KubeConfig();
  if (files.length === 0) kubeConfig.loadFromCluster();
  else if (files.length === 1 && files[0] !== undefined) kubeConfig.loadFromFile(files[0]);
  // client-node merges a KUBECONFIG list the way kubectl does (first file wins per entry).
  else kubeConfig.loadFromDefault();
  // kubectl talks to http:// servers (kubectl proxy, local control planes); client-node only when told TLS is off.
  kubeConfig.loadFromOptions({
    clusters: kubeConfig.clusters.map((cluster) =>
      cluster.server.startsWith('http://') ? { ...cluster, skipTLSVerify: true } : cluster,
    ),
    users: kubeConfig.users,
    contexts: kubeConfig.contexts,
    currentContext: files.length === 0 ? kubeConfig.currentContext : contextName,
  });
  return kubeConfig;
}

export function resolveKubeTarget(flags: ConnectionFlags): KubeTarget {
  const { merged, files } = loadKubeconfig(flags.kubeconfig);
  const contextNames = [...merged.contexts.keys()];
  const listed = contextNames.length > 0 ? contextNames.join(', ') : 'none';
  if (flags.context && !merged.contexts.has(flags.context)) {
    throw new GatewayError(`context "${flags.context}" is not in the kubeconfig`, {
      why: `the kubeconfig (${files.join(delimiter) || 'in-cluster'}) has these contexts: ${listed}`,
      next: ['kubectl config get-contexts', 'pass one of the listed names with --context'],
      exitCode: ExitCode.environment,
    });
  }
  const contextName = flags.context ?? merged.currentContext;
  const context = contextName === undefined ? undefined : merged.contexts.get(contextName);
  if (!contextName || !context) {
    throw new GatewayError('the kubeconfig has no current context', {
      why: `no --context was given and current-context is not set; contexts available: ${listed}`,
      next: ['kubectl config use-context NAME', 'or pass --context NAME'],
      exitCode: ExitCode.environment,
    });
  }
  const cluster = context.cluster === undefined ? undefined : merged.clusters.get(context.cluster);
  if (!cluster?.server) {
    throw new GatewayError(`context "${contextName}" names a cluster that is not in the kubeconfig`, {
      why: `the context refers to cluster "${context.cluster}", which has no entry with a server address`,
      next: ['kubectl config view --minify', 'kubectl config set-cluster NAME --server=https://…'],
      exitCode: ExitCode.environment,
    });
  }
  let credentials: Credentials;
  try {
    credentials = credentialsFor(
      cluster,
      (context.user === undefined ? undefined : merged.users.get(context.user)) ?? {},
      contextName,
    );
  } catch (error) {
    throw new GatewayError(`cannot read the credentials of context "${contextName}"`, {
      why: error instanceof Error ? error.message : String(error),
      next: ["check the user's certificate and key paths or exec entry: kubectl config view --minify"],
      exitCode: ExitCode.environment,
      cause: error,
    });
  }
  const proxyUrl = cluster['proxy-url']
    ? parseProxyUrl(cluster['proxy-url'], context.cluster ?? '')
    : undefined;
  const namespace = flags.namespace ?? context.namespace ?? DEFAULT_NAMESPACE;
  const namespaceSource = flags.namespace ? 'flag' : context.namespace ? 'context' : 'default';
  let clientNode: Promise<KubeConfig> | undefined;
  return {
    contextName,
    server: cluster.server,
    namespace,
    namespaceSource,
    currentNamespace: context.namespace ?? 'default',
    kubeconfigFiles: files,
    contexts: contextNames,
    requestTimeoutMs: flags.requestTimeoutMs,
    credentials,
    proxyUrl,
    clientNodeConfig: () => (clientNode ??= loadClientNodeConfig(files, contextName)),
  };
}

/** Parses kubectl-style durations: "30s", "1m", "2m30s", "500ms", or a bare number of seconds. */
export function parseDuration(text: string, flagName: string): number {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  const parts = [...trimmed.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((part) => part[0]).join('') !== trimmed) {
    throw new GatewayError(`--${flagName} "${text}" is not a duration`, {
      why: 'durations look like 30s, 1m, 2m30s or 500ms (a bare number means seconds)',
      next: [`pass for example --${flagName}=30s`],
      exitCode: ExitCode.usage,
    });
  }
  return parts.reduce((total, part) => total + Number(part[1]) * (units[part[2] ?? 's'] ?? 1000), 0);
}
