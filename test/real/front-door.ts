/**
 * Webhooks through the real control plane's front door (Traefik, test/real/traefik.ts), as a provider
 * sends them: from one of the host's addresses on the Node's link (clientAddress), to Traefik's
 * LoadBalancer address, naming the gateway's host in Host; and a CA of the test's own for TLS.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export interface FrontDoorRequest {
  /** Traefik's LoadBalancer address. */
  to: string;
  /** The sender's own address (a host address on the Node's link); the host's first one if not given. */
  from?: string;
  /** What Host names: the gateway's Ingress host. */
  host: string;
  path: string;
  headers?: Record<string, string>;
  body: Buffer | string;
  /** Send the body in chunks, without a Content-Length. */
  chunked?: boolean;
  /** Ask for 100 Continue and send the body only then (as curl does for large bodies). */
  expectContinue?: boolean;
}

const ANSWER_WITHIN_MS = 120_000;

/** One POST to Traefik's entry point web (port 80 of its Service); the whole answer, within two minutes. */
export function postThroughFrontDoor(options: FrontDoorRequest): Promise<Answer> {
  const body = Buffer.from(options.body);
  return new Promise((resolve, reject) => {
    const outgoing = request(
      {
        host: options.to,
        port: 80,
        method: 'POST',
        path: options.path,
        ...(options.from ? { localAddress: options.from } : {}),
        headers: {
          Host: options.host,
          'Content-Type': 'application/json',
          ...(options.chunked ? {} : { 'Content-Length': String(body.length) }),
          ...(options.expectContinue ? { Expect: '100-continue' } : {}),
          ...options.headers,
        },
        timeout: ANSWER_WITHIN_MS,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks),
          }),
        );
        response.on('error', reject);
      },
    );
    outgoing.on('timeout', () => outgoing.destroy(new Error(`no answer within ${ANSWER_WITHIN_MS} ms`)));
    outgoing.on('error', reject);
    // Without 100 Continue, the answer comes first: the body is never sent.
    if (options.expectContinue) outgoing.once('continue', () => outgoing.end(body));
    else if (options.chunked) {
      // Two chunks at least, so that nothing along the way sees one whole body in one write.
      const half = Math.ceil(body.length / 2);
      outgoing.write(body.subarray(0, half));
      outgoing.end(body.subarray(half));
    } else {
      outgoing.end(body);
    }
  });
}

export interface TestCa {
  dir: string;
  /** The CA's certificate, PEM: what test --certificate-authority reads. */
  caFile: string;
  /** A certificate and key for `names`, signed by the CA, as files kubectl create secret tls reads. */
  issue(name: string, names: string[]): { cert: string; key: string };
}

function openssl(args: string[], cwd: string): void {
  try {
    execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error) {
    const code = (error as { code?: string }).code;
    throw new Error(
      code === 'ENOENT'
        ? "the TLS tests make their CA with openssl: install Debian's openssl"
        : `openssl ${args[0]} failed: ${String((error as { stderr?: Buffer }).stderr ?? error)}`,
      { cause: error },
    );
  }
}

const P256 = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1'];

/** A certificate authority of the test's own (ECDSA P-256, valid for a day), in a new folder. */
export function createTestCa(commonName: string): TestCa {
  const dir = mkdtempSync(join(tmpdir(), 'tg-ca-'));
  openssl(
    [
      ...['req', '-x509', ...P256, '-subj', `/CN=${commonName}`, '-keyout', 'ca.key', '-out', 'ca.crt'],
      ...['-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign'],
    ],
    dir,
  );
  return {
    dir,
    caFile: join(dir, 'ca.crt'),
    issue(name, names) {
      const [cert, key] = [join(dir, `${name}.crt`), join(dir, `${name}.key`)];
      openssl(
        [
          ...['req', '-x509', '-CA', 'ca.crt', '-CAkey', 'ca.key', ...P256, '-subj', `/CN=${names[0]}`],
          ...['-addext', `subjectAltName=${names.map((n) => `DNS:${n}`).join(',')}`],
          ...['-addext', 'basicConstraints=critical,CA:FALSE', '-addext', 'extendedKeyUsage=serverAuth'],
          ...['-keyout', key, '-out', cert],
        ],
        dir,
      );
      return { cert, key };
    },
  };
}
