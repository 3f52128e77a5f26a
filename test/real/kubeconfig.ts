/** Kubeconfigs for the real control plane, with everything embedded so that one file is enough. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import * as yaml from 'js-yaml';

export interface RealCluster {
  url: string;
  /** The cluster CA, PEM. */
  ca: string;
}

/** A bearer token, or a client certificate and its key (PEM). */
export type RealUser = { token: string } | { cert: string; key: string };

export interface KubeconfigOptions {
  context?: string;
  namespace?: string;
}

export function realKubeconfig(
  cluster: RealCluster,
  user: RealUser,
  options: KubeconfigOptions = {},
): string {
  const context = options.context ?? 'real';
  const pem = (text: string) => Buffer.from(text).toString('base64');
  return yaml.dump({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      { name: context, cluster: { server: cluster.url, 'certificate-authority-data': pem(cluster.ca) } },
    ],
    users: [
      {
        name: context,
        user:
          'token' in user
            ? { token: user.token }
            : { 'client-certificate-data': pem(user.cert), 'client-key-data': pem(user.key) },
      },
    ],
    contexts: [
      {
        name: context,
        context: {
          cluster: context,
          user: context,
          ...(options.namespace ? { namespace: options.namespace } : {}),
        },
      },
    ],
    'current-context': context,
  });
}

/** Writes the kubeconfig (its folder is created, the file is private) and returns its path. */
export function writeRealKubeconfig(
  path: string,
  cluster: RealCluster,
  user: RealUser,
  options: KubeconfigOptions = {},
): string {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, realKubeconfig(cluster, user, options), { mode: 0o600 });
  return path;
}
