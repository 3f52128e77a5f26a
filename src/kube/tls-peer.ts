/**
 * The certificate a TLS server presents, read without trusting it: to say which certificate was
 * refused and why, after a verified connection failed.
 */
const tls = process.getBuiltinModule('node:tls');

export interface PeerCertificate {
  /** The subject's common name, or the whole subject when it has none. */
  subject: string;
  issuer: string;
  /** The DNS names and IP addresses it is for (subjectAltName). */
  names: string[];
  /** Whether it names `servername`, as a client checks it. */
  namesServer: boolean;
}

const nameOf = (entity: Record<string, unknown> | undefined): string => {
  if (!entity) return 'unknown';
  if (typeof entity.CN === 'string') return `CN=${entity.CN}`;
  return (
    Object.entries(entity)
      .map(([key, value]) => `${key}=${String(value)}`)
      .join(', ') || 'unknown'
  );
};

/**
 * Connects to `host:port` with `servername` (SNI), reads the certificate and hangs up; undefined
 * when no certificate could be read within `timeoutMs`.
 */
export function readPeerCertificate(
  host: string,
  port: number,
  servername: string | undefined,
  timeoutMs: number,
): Promise<PeerCertificate | undefined> {
  return new Promise((resolve) => {
    const socket = tls.connect({
      host,
      port,
      ...(servername ? { servername } : {}),
      // Only read, never trusted: nothing is sent over this connection.
      rejectUnauthorized: false,
    });
    const done = (certificate: PeerCertificate | undefined) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(certificate);
    };
    const timer = setTimeout(() => done(undefined), timeoutMs);
    socket.once('error', () => done(undefined));
    socket.once('secureConnect', () => {
      const peer = socket.getPeerCertificate();
      if (!peer || Object.keys(peer).length === 0) return done(undefined);
      const names = (peer.subjectaltname ?? '')
        .split(',')
        .map((name) => name.trim())
        .filter((name) => name !== '');
      const target = servername ?? host;
      done({
        subject: nameOf(peer.subject as unknown as Record<string, unknown>),
        issuer: nameOf(peer.issuer as unknown as Record<string, unknown>),
        names,
        namesServer: tls.checkServerIdentity(target, peer) === undefined,
      });
    });
  });
}
