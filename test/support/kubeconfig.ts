import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as yaml from 'js-yaml';

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
