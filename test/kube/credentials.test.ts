import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayError } from '../../src/errors.ts';
import { KubeClient } from '../../src/kube/client.ts';
import { authorizationHeader, credentialsFor } from '../../src/kube/credentials.ts';
import { resolveKubeTarget } from '../../src/kube/kubeconfig.ts';
import { type ControlPlane, startControlPlane } from '../support/control-plane/index.ts';
import { kubeconfigForUser, namespacesSeenBy } from '../support/kubeconfig.ts';

/**
 * Each way a kubeconfig user can authenticate, against the local control plane (tokens over TLS);
 * exec credential plugins are in exec-credential.test.ts.
 */
let plane: ControlPlane;
beforeAll(async () => {
  plane = await startControlPlane();
});
afterAll(async () => {
  await plane.stop();
});

const kubeconfig = (user: Record<string, unknown>, cluster: Record<string, unknown> = {}) =>
  kubeconfigForUser(plane, user, cluster);

describe('authenticating from the kubeconfig', () => {
  it('an inline token', async () => {
    expect(await namespacesSeenBy(kubeconfig({ token: 'admin-token' }))).toContain('default');
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

  it('a client certificate, which the control plane takes as the user it names', async () => {
    const file = kubeconfig({
      'client-certificate-data': Buffer.from(plane.adminCertificate.cert).toString('base64'),
      'client-key-data': Buffer.from(plane.adminCertificate.key).toString('base64'),
    });
    expect(await namespacesSeenBy(file)).toContain('default');
    expect(plane.requests.at(-1)?.user).toBe('kubernetes-admin');
  });

  it('skips verification only when the kubeconfig says so', async () => {
    const insecure = kubeconfig(
      { token: 'admin-token' },
      { 'certificate-authority-data': undefined, 'insecure-skip-tls-verify': true },
    );
    expect(await namespacesSeenBy(insecure)).toContain('default');
    const untrusted = kubeconfig({ token: 'admin-token' }, { 'certificate-authority-data': undefined });
    await expect(namespacesSeenBy(untrusted)).rejects.toThrow(/TLS handshake failed/);
  });

  it('names a certificate file that cannot be read', () => {
    const file = kubeconfig({ 'client-certificate': 'missing.crt', 'client-key': 'missing.key' });
    expect(() => resolveKubeTarget({ kubeconfig: file, requestTimeoutMs: 0 })).toThrow(GatewayError);
    expect(() => resolveKubeTarget({ kubeconfig: file, requestTimeoutMs: 0 })).toThrow(
      /cannot read the credentials of context "plane"/,
    );
  });

  it('basic auth, for the clusters that still use it', () => {
    const credentials = credentialsFor(
      { server: 'https://x' },
      { username: 'ops', password: 's3cret' },
      'ops',
    );
    expect(credentials.kind === 'static' && authorizationHeader(credentials)).toEqual({
      Authorization: `Basic ${Buffer.from('ops:s3cret').toString('base64')}`,
    });
  });
});
