/**
 * The shapes the manifest renderer works with. Plain data, no Kubernetes client types: the renderer
 * is pure and its output is what `kubectl apply -f` would take.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RouteLimitSettings } from '../haproxy/route-limits.ts';
import { PACKAGE_ROOT } from '../package-root.ts';


/** Any Kubernetes object, loosely typed: enough to name it, label it and apply it. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

/** How the gateway is reached from outside the cluster (install --expose). */
export const EXPOSE_KINDS = ['ingress', 'httproute', 'route', 'none'] as const;
export type ExposeKind = (typeof EXPOSE_KINDS)[number];

/** The Gateway (Gateway API) an HTTPRoute attaches to; its namespace defaults to the route's own. */
export interface GatewayRef {
  name: string;
  namespace?: string | undefined;
  /** A listener of that Gateway (parentRefs[].sectionName); any listener that allows the route when unset. */
  section?: string | undefined;
}

/** What `install` lets a user choose about the bundled gateway. */
export interface GatewayOptions {
  /** The object that exposes the gateway: an Ingress (default), an HTTPRoute, an OpenShift Route, or none. */
  expose: ExposeKind;
  /** With expose httproute: the Gateway to attach to. */
  gateway?: GatewayRef | undefined;
  /** Namespace of every gateway object (the echo backend always lives in `trigger`). */
  namespace: string;
  /** Host the Ingress (or HTTPRoute, or Route) answers for; any host when unset. `*.example.com` is allowed. */
  host?: string;
  /** IngressClass name; the cluster's default class when unset. */
  ingressClass?: string;
  /** Secret with the TLS certificate for `host`; needs `host`. */
  tlsSecret?: string;
  /** HAProxy image. */
  image: string;
  /** Gateway pods, 1 to 20. */
  replicas: number;
  /** Also deploy the httpecho backend and route /trigger to it. */
  withEcho: boolean;
  /** Tool version, written to the app.kubernetes.io/version label. */
  version: string;
  /** Gateway-wide defaults of route limits given on the command line; those left out keep the live ones. */
  routeDefaults?: RouteLimitSettings;
  /** Proxies whose X-Forwarded-For is believed; unset keeps the live ones (first install: the cluster's pod ranges). */
  trustedProxies?: string[];
}

/** This package's version, read from its package.json. */
function packageVersion(): string {
  const text = readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8');
  const { version } = JSON.parse(text) as { version?: unknown };
  return typeof version === 'string' ? version : '0.0.0';
}

export const DEFAULT_GATEWAY_OPTIONS: Readonly<GatewayOptions> = Object.freeze({
  namespace: 'trigger-gateway',
  expose: 'ingress',
  // The current HAProxy LTS branch; the config only uses directives valid from 2.6 on.
  image: 'docker.io/library/haproxy:3.2',
  replicas: 2,
  withEcho: false,
  version: packageVersion(),
});
