/**
 * Checks the user's gateway options before anything is rendered, so a typo fails with a hint instead
 * of a server-side validation error halfway through an install.
 */
import { ExitCode, GatewayError } from '../errors.ts';
import { EXPOSE_KINDS, type GatewayOptions } from './types.ts';

export const MIN_REPLICAS = 1;
export const MAX_REPLICAS = 20;

/** A gateway option with a value Kubernetes (or the gateway) would refuse; `hint` says what fits. */
export class InvalidOptionError extends GatewayError {
  readonly option: string;
  readonly hint: string;

  constructor(option: string, message: string, hint: string) {
    super(message, { why: hint, exitCode: ExitCode.usage });
    this.name = 'InvalidOptionError';
    this.option = option;
    this.hint = hint;
  }
}

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const IPV4 = /^\d+\.\d+\.\d+\.\d+$/;

export function isDns1123Label(value: string): boolean {
  return value.length <= 63 && DNS1123_LABEL.test(value);
}

export function isDns1123Subdomain(value: string): boolean {
  return value.length <= 253 && DNS1123_SUBDOMAIN.test(value);
}

/** An Ingress host: a lowercase DNS name, optionally with a leading "*." wildcard, never an IP address. */
export function isIngressHost(value: string): boolean {
  const name = value.startsWith('*.') ? value.slice(2) : value;
  return isDns1123Subdomain(name) && !IPV4.test(name) && name.split('.').every((label) => label.length <= 63);
}

function quoted(value: string): string {
  return JSON.stringify(value);
}

/** The options that only make sense for some --expose kinds, and the Gateway reference. */
function validateExposure(options: GatewayOptions): void {
  const { expose, gateway } = options;
  if (!(EXPOSE_KINDS as readonly string[]).includes(expose)) {
    throw new InvalidOptionError(
      'expose',
      `invalid exposure ${quoted(expose)}`,
      `expose is one of ${EXPOSE_KINDS.join(', ')}`,
    );
  }
  if (options.ingressClass !== undefined && expose !== 'ingress') {
    throw new InvalidOptionError(
      'ingressClass',
      `an ingress class does not apply to --expose ${expose}`,
      expose === 'httproute'
        ? 'the Gateway named by --gateway decides which controller serves the route; drop --ingress-class'
        : 'drop --ingress-class, or expose through an Ingress: --expose ingress',
    );
  }
  if (expose === 'httproute') {
    if (!gateway) {
      throw new InvalidOptionError(
        'gateway',
        'an HTTPRoute needs a Gateway to attach to',
        'name it: --gateway NAME[.NAMESPACE], e.g. --gateway eg.envoy-gateway-system; list them with: kubectl get gateways -A',
      );
    }
    for (const [part, value] of [
      ['name', gateway.name],
      ['namespace', gateway.namespace],
    ] as const) {
      const valid =
        value === undefined || (part === 'name' ? isDns1123Subdomain(value) : isDns1123Label(value));
      if (!valid) {
        throw new InvalidOptionError(
          'gateway',
          `invalid Gateway ${part} ${quoted(value ?? '')}`,
          'a Gateway is named NAME or NAME.NAMESPACE, lowercase letters, digits and "-", e.g. eg.envoy-gateway-system',
        );
      }
    }
    if (gateway.section !== undefined && !isDns1123Subdomain(gateway.section)) {
      throw new InvalidOptionError(
        'section',
        `invalid listener name ${quoted(gateway.section)}`,
        "a listener name is lowercase letters, digits, \"-\" and \".\", e.g. https; list them with: kubectl get gateway NAME -o jsonpath='{.spec.listeners[*].name}'",
      );
    }
    if (options.tlsSecret !== undefined) {
      throw new InvalidOptionError(
        'tlsSecret',
        'an HTTPRoute carries no certificate',
        "TLS belongs to the Gateway's listener: set the certificate there (spec.listeners[].tls.certificateRefs) and drop --tls-secret",
      );
    }
  } else if (gateway) {
    throw new InvalidOptionError(
      'gateway',
      `a Gateway does not apply to --expose ${expose}`,
      'attach to a Gateway with --expose httproute --gateway NAME[.NAMESPACE]',
    );
  }
  if (expose === 'route' && options.tlsSecret !== undefined) {
    throw new InvalidOptionError(
      'tlsSecret',
      'an OpenShift Route does not take its certificate from a Secret name',
      "without --tls-secret the router's default certificate serves the Route (edge TLS); for your own, put the PEM certificate and key in the Route's spec.tls.certificate and spec.tls.key (oc create route edge --cert --key), or name the Secret in spec.tls.externalCertificate (OpenShift 4.16+)",
    );
  }
  if (expose === 'none') {
    for (const [option, value] of [
      ['host', options.host],
      ['tlsSecret', options.tlsSecret],
    ] as const) {
      if (value !== undefined) {
        throw new InvalidOptionError(
          option,
          'nothing exposes the gateway with --expose none',
          'drop it, or pick how the gateway is reached: --expose ingress, httproute or route',
        );
      }
    }
  }
}

/** Throws InvalidOptionError for the first option Kubernetes or the gateway would refuse. */
export function validateGatewayOptions(options: GatewayOptions): void {
  if (!isDns1123Label(options.namespace)) {
    throw new InvalidOptionError(
      'namespace',
      `invalid namespace ${quoted(options.namespace)}`,
      'a namespace is at most 63 lowercase letters, digits and "-", starting and ending with a letter or digit, e.g. trigger-gateway',
    );
  }
  validateExposure(options);
  if (options.host !== undefined && !isIngressHost(options.host)) {
    throw new InvalidOptionError(
      'host',
      `invalid host ${quoted(options.host)}`,
      'a host is a lowercase DNS name such as hooks.example.com, or a wildcard such as *.example.com; no IP address, port, scheme or path',
    );
  }
  if (options.ingressClass !== undefined && !isDns1123Subdomain(options.ingressClass)) {
    throw new InvalidOptionError(
      'ingressClass',
      `invalid ingress class ${quoted(options.ingressClass)}`,
      'an IngressClass name is lowercase letters, digits, "-" and ".", e.g. nginx; list them with: kubectl get ingressclass',
    );
  }
  if (options.tlsSecret !== undefined) {
    if (!isDns1123Subdomain(options.tlsSecret)) {
      throw new InvalidOptionError(
        'tlsSecret',
        `invalid TLS secret name ${quoted(options.tlsSecret)}`,
        'a Secret name is lowercase letters, digits, "-" and ".", e.g. hooks-tls',
      );
    }
    if (options.host === undefined) {
      throw new InvalidOptionError(
        'tlsSecret',
        'a TLS secret needs a host',
        'a certificate is served for a host name: pass the host as well, e.g. --host hooks.example.com',
      );
    }
  }
  if (options.image.trim() === '' || /\s/.test(options.image)) {
    throw new InvalidOptionError(
      'image',
      `invalid image ${quoted(options.image)}`,
      'an image reference has no spaces, e.g. docker.io/library/haproxy:3.2',
    );
  }
  if (
    !Number.isInteger(options.replicas) ||
    options.replicas < MIN_REPLICAS ||
    options.replicas > MAX_REPLICAS
  ) {
    throw new InvalidOptionError(
      'replicas',
      `invalid replica count ${options.replicas}`,
      `replicas is a whole number from ${MIN_REPLICAS} to ${MAX_REPLICAS}; 2 keeps the gateway up while a node drains`,
    );
  }
  if (options.version.length > 63 || !LABEL_VALUE.test(options.version)) {
    throw new InvalidOptionError(
      'version',
      `version ${quoted(options.version)} cannot be a label value`,
      'a label value is at most 63 letters, digits, "-", "_" and ".", starting and ending with a letter or digit',
    );
  }
}
