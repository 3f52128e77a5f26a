/** Writing a kubeconfig that points kubectl (or any client) at the control plane. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { dump } from 'js-yaml';
import { CA_CERT } from './tls.ts';
import type { KubeconfigOptions } from './types.ts';

export const DEFAULT_TOKEN = 'admin-token';

/** `server` is the control plane's URL; `opts.workspace` points the kubeconfig at a kcp workspace under it. */
export function writeKubeconfig(url: string, path: string, opts: KubeconfigOptions = {}): string {
  const server = opts.workspace ? `${url}/clusters/${opts.workspace}` : url;
  const cluster = opts.cluster ?? 'control-plane';
  const context = opts.context ?? cluster;
  const user = `${context}-user`;
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: cluster,
        cluster: { server, 'certificate-authority-data': Buffer.from(CA_CERT).toString('base64') },
      },
    ],
    users: [{ name: user, user: { token: opts.token ?? DEFAULT_TOKEN } }],
    contexts: [
      { name: context, context: { cluster, user, ...(opts.namespace ? { namespace: opts.namespace } : {}) } },
    ],
    'current-context': context,
    preferences: {},
  };
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, dump(config), { mode: 0o600 });
  return path;
}
