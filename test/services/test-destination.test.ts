/**
 * How `test` connects to an https:// gateway and explains a refused certificate, against a real TLS
 * server on loopback (Node's, with the local control plane's test CA and its certificate for
 * 127.0.0.1 and localhost): the CA trusted with --certificate-authority, a host name sent in Host and
 * TLS while connecting to an address (curl --resolve), an untrusted certificate and one for another
 * name, each said with the certificate's own names and the flag or fix.
 */
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayError } from '../../src/errors.ts';
import { ExitCode } from '../../src/errors.ts';
import { sendOnce } from '../../src/kube/transport.ts';
import { deliveryFailed, type Destination } from '../../src/services/test-destination.ts';
import { CA_CERT, SERVER_CERT, SERVER_KEY } from '../support/control-plane/tls.ts';

let server: Server;
let port = 0;
const seen: Array<{ host: string | undefined; servername: string | false | null }> = [];

beforeAll(async () => {
  server = createServer({ cert: SERVER_CERT, key: SERVER_KEY }, (request, response) => {
    seen.push({
      host: request.headers.host,
      servername: (request.socket as TLSSocket).servername,
    });
    response.end('{"ok":true}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const post = { method: 'POST', headers: {}, body: '{}', timeoutMs: 10_000 };
const ca = { file: '/tmp/ca.crt', pem: Buffer.from(CA_CERT) };

/** The error `test` reports for a delivery to `url` that failed. */
async function failure(url: string, destination: Destination, trusted = true): Promise<GatewayError> {
  try {
    await sendOnce(url, post, { ca: trusted ? ca.pem : undefined, connectTo: destination.connectTo });
  } catch (error) {
    return deliveryFailed(error, url, destination, trusted ? ca : undefined);
  }
  throw new Error(`the delivery to ${url} went through`);
}

describe("test's https:// delivery", () => {
  it('trusts the CA given instead of the system ones, and sends a host name in Host and TLS to the address it connects to', async () => {
    const answer = await sendOnce(`https://localhost:${port}/github`, post, { ca: ca.pem });
    expect(answer.status).toBe(200);
    const named = await sendOnce(`https://localhost:${port}/github`, post, {
      ca: ca.pem,
      connectTo: '127.0.0.1',
    });
    expect(named.status).toBe(200);
    expect(seen.at(-1)).toEqual({ host: `localhost:${port}`, servername: 'localhost' });
  });

  it('an untrusted certificate: whose it is, and --certificate-authority', async () => {
    const refused = await failure(`https://localhost:${port}/github`, { via: 'url', base: '' }, false);
    expect(refused.exitCode).toBe(ExitCode.unreachable);
    expect(refused.message).toBe(
      `the gateway's certificate at https://localhost:${port} is not trusted (UNABLE_TO_VERIFY_LEAF_SIGNATURE)`,
    );
    expect(refused.why).toBe(
      'it is for IP Address:127.0.0.1, DNS:localhost, issued by CN=control-plane-test-ca, and no CA this system trusts signed it',
    );
    expect(refused.next[0]).toBe(
      `trust the CA that signed it: kubectl trigger-gateway test … --url https://localhost:${port} --certificate-authority ca.crt (a PEM file)`,
    );
  });

  it('a trusted certificate for another name: which names it has, and the Secret to fix', async () => {
    const host = `hooks.example.test:${port}`;
    const refused = await failure(`https://${host}/github`, {
      via: 'ingress',
      base: '',
      connectTo: '127.0.0.1',
    });
    expect(refused.exitCode).toBe(ExitCode.unreachable);
    expect(refused.message).toBe(
      `the gateway's certificate at https://${host} is not for hooks.example.test`,
    );
    expect(refused.why).toContain(
      'it is for IP Address:127.0.0.1, DNS:localhost, issued by CN=control-plane-test-ca: the Secret install --tls-secret names holds another',
    );
    expect(refused.next[0]).toContain('kubectl create secret tls NAME');
    expect(refused.next[2]).toBe(
      `see the chain: openssl s_client -connect 127.0.0.1:${port} -servername hooks.example.test -showcerts`,
    );
  });
});
