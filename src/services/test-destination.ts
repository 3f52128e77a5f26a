/**
 * Where `test` sends its delivery (--url, the public address of the object that exposes the gateway,
 * or a port-forward to a gateway pod), how it connects there (the host name, or the controller's
 * address when that name does not resolve here), and what a failure to send means.
 */
import { ExitCode, GatewayError } from '../errors.ts';
import type { KubeClient } from '../kube/client.ts';
import { errorCode, explainProxyError, explainTimeout } from '../kube/errors.ts';
import { forwardPodPort } from '../kube/port-forward.ts';
import { proxyEnvironment, proxyFor } from '../kube/proxy.ts';
import { receivesTraffic } from '../kube/rollout.ts';
import { readPeerCertificate } from '../kube/tls-peer.ts';
import { hostResolves, RequestTimeoutError } from '../kube/transport.ts';
import { ProxyError } from '../kube/tunnel.ts';
import { GATEWAY_HTTP_PORT } from '../haproxy/gateway-config.ts';
import type { PodObject } from './backend-pods.ts';
import type { PublicAddress } from './exposure-model.ts';
import { readPublicAddress } from './exposure.ts';
import type { GatewayLocation } from './gateway.ts';

export interface Destination {
  via: 'url' | 'ingress' | 'httproute' | 'route' | 'port-forward';
  base: string;
  /** The address connected to in place of the URL's host name, which Host and TLS still carry. */
  connectTo?: string;
  why?: string;
  /** The port-forward's own reason when the delivery through it failed. */
  failure?: () => Error | undefined;
  close?: () => Promise<void>;
}

/** The CA file `test --certificate-authority` read. */
export interface TrustedCa {
  file: string;
  pem: Buffer;
}

const ADDRESS_OF: Record<Exclude<PublicAddress['kind'], 'none'>, string> = {
  ingress: "the Ingress's load balancer address",
  httproute: "its Gateway's address",
  route: "the router's canonical host name",
};

const bare = (host: string) => host.replace(/^\[|\]$/g, '');
const isAddress = (host: string) => process.getBuiltinModule('node:net').isIP(bare(host)) !== 0;

/**
 * The public URL's host often resolves only in the DNS its providers use (or not yet at all): where
 * it does not resolve here, and no proxy resolves it instead, the delivery goes to the address the
 * controller reports, with the host name in Host and as the TLS server name, as curl --resolve does.
 */
async function publicDestination(exposure: PublicAddress & { url: string }): Promise<Destination> {
  const via = exposure.kind as Exclude<Destination['via'], 'url' | 'port-forward'>;
  const url = new URL(exposure.url);
  const base = exposure.url.replace(/\/+$/, '');
  const host = url.hostname;
  const address = exposure.address;
  if (
    !address ||
    address === host ||
    isAddress(host) ||
    proxyFor(url, undefined, proxyEnvironment()) !== undefined ||
    (await hostResolves(host))
  )
    return { via, base };
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  const curl = isAddress(address)
    ? `curl --resolve ${host}:${port}:${address}`
    : `curl --connect-to ${host}:${port}:${address}:${port}`;
  const names = url.protocol === 'https:' ? 'in Host and as the TLS server name' : 'in Host';
  return {
    via,
    base,
    connectTo: address,
    why: `${host} does not resolve here: sent to ${ADDRESS_OF[via]} ${address} with ${host} ${names}, as ${curl} does`,
  };
}

/**
 * Where to send: --url, else the public address of the Ingress, HTTPRoute or Route that exposes the
 * gateway, else a port-forward to a gateway pod.
 */
export async function target(
  kube: KubeClient,
  location: GatewayLocation,
  url: string | undefined,
): Promise<Destination> {
  if (url) return { via: 'url', base: url.replace(/\/+$/, '') };
  const exposure = await readPublicAddress(kube, location.namespace);
  if (exposure.routable && exposure.url && exposure.kind !== 'none')
    return publicDestination({ ...exposure, url: exposure.url });
  const why = exposure.note ?? `${exposure.object} has no address yet`;
  const pods = await kube.list<PodObject>('v1', 'Pod', {
    namespace: location.namespace,
    labelSelector: 'app.kubernetes.io/name=trigger-gateway,app.kubernetes.io/instance=trigger-gateway',
  });
  const pod = pods.find(receivesTraffic);
  if (!pod) {
    throw new GatewayError(`no ready gateway pod in namespace ${location.namespace} to port-forward to`, {
      why: `${why}, and no gateway pod is Ready`,
      next: [
        `kubectl -n ${location.namespace} get pods`,
        'or pass the public URL: --url https://hooks.example.com',
      ],
      exitCode: ExitCode.clusterState,
    });
  }
  const forwarded = await forwardPodPort(
    kube,
    { name: pod.metadata.name, namespace: location.namespace },
    GATEWAY_HTTP_PORT,
  );
  return {
    via: 'port-forward',
    why,
    base: `http://127.0.0.1:${forwarded.localPort}`,
    failure: forwarded.failure,
    close: forwarded.close,
  };
}

// Verification failures: no CA the client trusts signed the certificate.
const UNTRUSTED = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_GET_ISSUER_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_UNTRUSTED',
]);
const PEER_READ_MS = 5000;

/** The certificate's names as a sentence: `DNS:hooks.example.com, issued by CN=…`. */
const describeCertificate = (cert: { names: string[]; subject: string; issuer: string }) =>
  `${cert.names.length ? cert.names.join(', ') : cert.subject}, issued by ${cert.issuer}`;

/** A certificate the delivery's TLS handshake refused: which one, why, and the flag or fix. */
async function certificateRefused(
  error: unknown,
  code: string,
  url: string,
  destination: Destination,
  ca: TrustedCa | undefined,
): Promise<GatewayError | undefined> {
  const target = new URL(url);
  const host = bare(target.hostname);
  const where = `the gateway's certificate at ${target.origin}`;
  // The certificate itself, read again without trusting it, where no proxy stands in between.
  const cert =
    proxyFor(target, undefined, proxyEnvironment()) === undefined
      ? await readPeerCertificate(
          destination.connectTo ?? host,
          Number(target.port || 443),
          isAddress(host) ? undefined : host,
          PEER_READ_MS,
        )
      : undefined;
  const trying = `kubectl trigger-gateway test … ${destination.via === 'url' ? `--url ${target.origin} ` : ''}`;
  const fixSecret = `put a certificate for ${host} in the Secret install --tls-secret names: kubectl create secret tls NAME --cert=… --key=… (then install --host ${host} --tls-secret NAME)`;
  const chain = `see the chain: openssl s_client -connect ${destination.connectTo ?? host}:${target.port || 443} -servername ${host} -showcerts`;
  if (UNTRUSTED.has(code)) {
    const trusted = ca
      ? `the CA in --certificate-authority ${ca.file} did not sign it`
      : 'no CA this system trusts signed it';
    const wrongHost = cert !== undefined && !cert.namesServer;
    const notForHost = wrongHost
      ? `; it is not for ${host} either: the ingress controller has no certificate for that host and answers with a default one of its own (is the Secret install --tls-secret names there, holding tls.crt and tls.key for ${host}?)`
      : '';
    return new GatewayError(`${where} is not trusted (${code})`, {
      why: `${cert ? `it is for ${describeCertificate(cert)}, and ` : ''}${trusted}${notForHost}`,
      next: [
        wrongHost
          ? fixSecret
          : `trust the CA that signed it: ${trying}--certificate-authority ca.crt (a PEM file)`,
        chain,
      ],
      exitCode: ExitCode.unreachable,
      cause: error,
    });
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
    return new GatewayError(`${where} is not for ${host}`, {
      why: `${cert ? `it is for ${describeCertificate(cert)}: ` : ''}the Secret install --tls-secret names holds another host's certificate, or the ingress controller chose another one for this name`,
      next: [fixSecret, 'or test the host the certificate is for: --url https://THAT-HOST', chain],
      exitCode: ExitCode.unreachable,
      cause: error,
    });
  }
  return undefined;
}

/** The delivery could not be sent: the proxy, no answer within --request-timeout, TLS, or the connection. */
export async function deliveryFailed(
  error: unknown,
  url: string,
  destination: Destination,
  ca: TrustedCa | undefined,
): Promise<GatewayError> {
  if (error instanceof GatewayError) return error;
  const where = `the gateway at ${new URL(url).origin}`;
  if (error instanceof ProxyError) return explainProxyError(error, where);
  if (error instanceof RequestTimeoutError)
    return explainTimeout(error, where, `POST ${new URL(url).pathname} (the test delivery)`, [
      'kubectl trigger-gateway status',
    ]);
  const code = errorCode(error);
  const refused = code ? await certificateRefused(error, code, url, destination, ca) : undefined;
  if (refused) return refused;
  return new GatewayError(`could not send the delivery to ${url}`, {
    why: `${error instanceof Error ? error.message : String(error)}${code ? ` (${code})` : ''}${destination.connectTo ? `, connecting to ${destination.connectTo}` : ''}`,
    next: ['kubectl trigger-gateway status', 'or send to another address: --url https://hooks.example.com'],
    exitCode: ExitCode.unreachable,
    cause: error,
  });
}
