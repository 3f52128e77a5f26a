import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as yaml from 'js-yaml';
import { KubeClient } from '../../src/kube/client.ts';
import { resolveKubeTarget } from '../../src/kube/kubeconfig.ts';

export interface KubeconfigSpec {
  server: string;
  context?: string;
  namespace?: string;
  token?: string;
  caData?: string;
}

/** Writes a one-context kubeconfig to a fresh temp directory and returns its path. */
export function writeKubeconfig(spec: KubeconfigSpec): string {
  const context = spec.context ?? 'test';
  const file = join(mkdtempSync(join(tmpdir(), 'tg-kubeconfig-')), 'config');
  const cluster: Record<string, string> = { server: spec.server };
  if (spec.caData) cluster['certificate-authority-data'] = spec.caData;
  const contextSpec: Record<string, string> = { cluster: 'test', user: 'test' };
  if (spec.namespace) contextSpec.namespace = spec.namespace;
  writeFileSync(
    file,
    yaml.dump({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'test', cluster }],
      users: [{ name: 'test', user: { token: spec.token ?? 'admin-token' } }],
      contexts: [{ name: context, context: contextSpec }],
      'current-context': context,
    }),
  );
  return file;
}

/**
 * A kubeconfig in a fresh folder whose one context, "plane", talks to `plane` as `user`; `cluster`
 * fields go over the defaults (server, CA), undefined ones leave a default out.
 */
export function kubeconfigForUser(
  plane: { url: string; ca: string },
  user: Record<string, unknown>,
  cluster: Record<string, unknown> = {},
): string {
  const file = join(mkdtempSync(join(tmpdir(), 'tg-credentials-')), 'config');
  writeFileSync(
    file,
    yaml.dump({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        {
          name: 'plane',
          cluster: {
            server: plane.url,
            'certificate-authority-data': Buffer.from(plane.ca).toString('base64'),
            ...cluster,
          },
        },
      ],
      users: [{ name: 'me', user }],
      contexts: [{ name: 'plane', context: { cluster: 'plane', user: 'me' } }],
      'current-context': 'plane',
    }),
  );
  return file;
}

/** The namespaces a kubeconfig's user lists, through a KubeClient of its own. */
export async function namespacesSeenBy(file: string): Promise<string[]> {
  const kube = new KubeClient(resolveKubeTarget({ kubeconfig: file, requestTimeoutMs: 10_000 }));
  try {
    return (await kube.list('v1', 'Namespace')).map((namespace) => namespace.metadata.name);
  } finally {
    await kube.close();
  }
}
