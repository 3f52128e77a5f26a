/**
 * TLS at the real front door: `install --host … --tls-secret …` with a certificate from a CA of the
 * test's own, which Traefik serves for the Ingress's host. `test` reaches it over https, trusting that
 * CA with --certificate-authority, at the address Traefik publishes in the Ingress's status (the host
 * name resolves nowhere here, as a host name only the provider's DNS knows): the name still goes in
 * Host and as the TLS server name, and `test` says so. An untrusted certificate, and a Secret whose
 * certificate is for another host (Traefik then answers with its own default certificate), are errors
 * naming the flag or the fix, with nothing delivered.
 */
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { type CommandResult, runExecutable } from '../support/cli.ts';
import { freshNamespace } from '../support/clusters.ts';
import { eventually } from '../support/eventually.ts';
import { createTestCa } from './front-door.ts';

const plane = inject('realControlPlane');
const ns = freshNamespace('tg-tls');
const host = `${ns}.example.test`;
const ca = createTestCa('tg-test-ca');

function plugin(...args: string[]): Promise<CommandResult> {
  return runExecutable('kubectl', ['trigger-gateway', ...args, '-n', ns], { KUBECONFIG: plane.kubeconfig });
}
const kubectl = (...args: string[]) => runExecutable('kubectl', args, { KUBECONFIG: plane.kubeconfig });

/** The gateway's own records, newest first. */
async function recordedDeliveries(): Promise<Array<{ deliveryId: string }>> {
  const listed = await plugin('deliveries', '-o', 'json');
  expect(listed.exitCode, listed.stderr).toBe(0);
  return JSON.parse(listed.stdout) as Array<{ deliveryId: string }>;
}

beforeAll(async () => {
  expect(plane.ingressAddress, 'Traefik runs where the node does').toBeDefined();
  expect((await kubectl('create', 'namespace', ns)).exitCode).toBe(0);
  for (const [secret, names] of [
    ['hooks-tls', [host]],
    ['other-tls', [`other-${host}`]],
  ] as const) {
    const { cert, key } = ca.issue(secret, [...names]);
    const made = await kubectl('create', 'secret', 'tls', secret, '-n', ns, `--cert=${cert}`, `--key=${key}`);
    expect(made.exitCode, made.stderr).toBe(0);
  }
  const installed = await plugin('install', '--with-echo', '--host', host, '--tls-secret', 'hooks-tls');
  expect(installed.exitCode, installed.stderr).toBe(0);
  expect(installed.stdout).toContain(
    `Exposed by ingress.networking.k8s.io/trigger-gateway: https://${host}/`,
  );
});

describe('TLS at the front door (Traefik)', () => {
  it("test goes over https through Traefik, trusting the test's CA, to the Ingress's address with the host in Host and TLS; status shows that address", async () => {
    // Traefik routes a new Ingress once it sees the gateway's ready endpoints, on its own clock.
    const report = await eventually(
      async () => {
        const sent = await plugin('test', '--certificate-authority', ca.caFile, '-o', 'json');
        expect(sent.exitCode, sent.stderr).toBe(0);
        return JSON.parse(sent.stdout);
      },
      { timeoutMs: 30_000 },
    );
    expect(report).toMatchObject({
      via: 'ingress',
      url: `https://${host}/trigger`,
      address: plane.ingressAddress,
      status: 200,
      gateway: { route: '/trigger', status: 200 },
    });
    expect(report.viaReason).toBe(
      `${host} does not resolve here: sent to the Ingress's load balancer address ${plane.ingressAddress} with ${host} in Host and as the TLS server name, as curl --resolve ${host}:443:${plane.ingressAddress} does`,
    );
    // What the listener got: the host asked for, over https as Traefik forwarded it.
    const echoed = JSON.parse(report.evidence[0].line) as { headers: Record<string, string> };
    expect(echoed.headers).toMatchObject({ host, 'x-forwarded-proto': 'https' });

    const text = await plugin('status');
    expect(text.stdout).toMatch(new RegExp(`URL:\\s+https://${host}/ at ${plane.ingressAddress}\\n`));
  });

  it('an untrusted certificate is exit 4, saying whose it is and naming --certificate-authority; nothing is delivered', async () => {
    const before = (await recordedDeliveries()).length;
    const refused = await plugin('test');
    expect(refused.exitCode, refused.stderr).toBe(4);
    expect(refused.stderr).toContain(
      `error: the gateway's certificate at https://${host} is not trusted (UNABLE_TO_VERIFY_LEAF_SIGNATURE)`,
    );
    expect(refused.stderr).toContain(
      `why: it is for DNS:${host}, issued by CN=tg-test-ca, and no CA this system trusts signed it`,
    );
    expect(refused.stderr).toContain('--certificate-authority ca.crt');

    const another = createTestCa('someone-elses-ca');
    const stranger = await plugin('test', '--certificate-authority', another.caFile);
    expect(stranger.exitCode, stranger.stderr).toBe(4);
    expect(stranger.stderr).toContain(`the CA in --certificate-authority ${another.caFile} did not sign it`);
    expect((await recordedDeliveries()).length).toBe(before);
  });

  it("a Secret holding another host's certificate: Traefik answers with its default one, and test says the controller has none for the host", async () => {
    const reinstalled = await plugin('install', '--with-echo', '--host', host, '--tls-secret', 'other-tls');
    expect(reinstalled.exitCode, reinstalled.stderr).toBe(0);
    // Traefik loads the Secret an Ingress names on its own clock.
    const testUntil = (check: (sent: CommandResult) => void) =>
      eventually(async () => check(await plugin('test', '--certificate-authority', ca.caFile)), {
        timeoutMs: 30_000,
      });
    await testUntil((refused) => {
      expect(refused.exitCode, refused.stderr).toBe(4);
      expect(refused.stderr).toContain('issued by CN=TRAEFIK DEFAULT CERT');
      expect(refused.stderr).toContain(
        `it is not for ${host} either: the ingress controller has no certificate for that host and answers with a default one of its own`,
      );
      expect(refused.stderr).toContain('kubectl create secret tls NAME');
    });

    // The right Secret again: trusted, delivered.
    const fixed = await plugin('install', '--with-echo', '--host', host, '--tls-secret', 'hooks-tls');
    expect(fixed.exitCode, fixed.stderr).toBe(0);
    await testUntil((sent) => expect(sent.exitCode, sent.stderr).toBe(0));
  });
});
