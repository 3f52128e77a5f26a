import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dump } from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayError } from '../../src/errors.ts';
import { KubeClient } from '../../src/kube/client.ts';
import { authorizationHeader, credentialsFor } from '../../src/kube/credentials.ts';
import { resolveKubeTarget } from '../../src/kube/kubeconfig.ts';
import { type ControlPlane, startControlPlane } from '../support/control-plane/index.ts';

/** Each way a kubeconfig user can authenticate, against the local control plane (tokens over TLS). */
let plane: ControlPlane;
beforeAll(async () => {
  plane = await startControlPlane();
});
afterAll(async () => {
  await plane.stop();
});

function kubeconfig(user: Record<string, unknown>, cluster: Record<string, unknown> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'tg-credentials-'));
  const file = join(dir, 'config');
  writeFileSync(
    file,
    dump({
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

async function namespaces(file: string): Promise<string[]> {
  const kube = new KubeClient(resolveKubeTarget({ kubeconfig: file, requestTimeoutMs: 10_000 }));
  try {
    return (await kube.list('v1', 'Namespace')).map((namespace) => namespace.metadata.name);
  } finally {
    await kube.close();
  }
}

describe('authenticating from the kubeconfig', () => {
  it('an inline token', async () => {
    expect(await namespaces(kubeconfig({ token: 'admin-token' }))).toContain('default');
  });

  it('a token file, relative to the kubeconfig, read at each request (service account tokens rotate)', async () => {
    const file = kubeconfig({ tokenFile: 'token' });
    writeFileSync(join(file, '..', 'token'), 'admin-token\n');
    const kube = new KubeClient(resolveKubeTarget({ kubeconfig: file, requestTimeoutMs: 10_000 }));
    try {
      expect((await kube.list('v1', 'Namespace')).length).toBeGreaterThan(0);
      writeFileSync(join(file, '..', 'token'), 'revoked-token\n');
      await expect(kube.list('v1', 'Namespace')).rejects.toThrow(/401 Unauthorized/);
    } finally {
      await kube.close();
    }
  });

  it('an exec credential plugin, through client-node', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-exec-'));
    const plugin = join(dir, 'credential-plugin');
    writeFileSync(
      plugin,
      `#!/bin/sh\necho '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"admin-token"}}'\n`,
    );
    chmodSync(plugin, 0o755);
    const file = kubeconfig({
      exec: { apiVersion: 'client.authentication.k8s.io/v1', command: plugin, interactiveMode: 'Never' },
    });
    expect(await namespaces(file)).toContain('default');
  });

  it('skips verification only when the kubeconfig says so', async () => {
    const insecure = kubeconfig(
      { token: 'admin-token' },
      { 'certificate-authority-data': undefined, 'insecure-skip-tls-verify': true },
    );
    expect(await namespaces(insecure)).toContain('default');
    const untrusted = kubeconfig({ token: 'admin-token' }, { 'certificate-authority-data': undefined });
    await expect(namespaces(untrusted)).rejects.toThrow(/TLS handshake failed/);
  });

  it('names a certificate file that cannot be read', () => {
    const file = kubeconfig({ 'client-certificate': 'missing.crt', 'client-key': 'missing.key' });
    expect(() => resolveKubeTarget({ kubeconfig: file, requestTimeoutMs: 0 })).toThrow(GatewayError);
    expect(() => resolveKubeTarget({ kubeconfig: file, requestTimeoutMs: 0 })).toThrow(
      /cannot read the credentials of context "plane"/,
    );
  });

  it('basic auth, for the clusters that still use it', () => {
    const credentials = credentialsFor({ server: 'https://x' }, { username: 'ops', password: 's3cret' });
    expect(credentials.kind === 'static' && authorizationHeader(credentials)).toEqual({
      Authorization: `Basic ${Buffer.from('ops:s3cret').toString('base64')}`,
    });
  });
});
