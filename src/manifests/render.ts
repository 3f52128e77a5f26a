/**
 * Renders the bundled manifests/ with the user's options. Loading reads files; rendering is pure.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadAll } from 'js-yaml';
import { upgradeDeliveryLog } from '../haproxy/delivery-log-block.ts';
import { configChecksum, GATEWAY_NAME } from '../haproxy/gateway-config.ts';
import {
  addRoute,
  BUILT_IN_DEFAULTS,
  listRoutes,
  readGatewayProtection,
  type RouteSpec,
  sameMatch,
  writeGatewayProtection,
} from '../haproxy/routes.ts';
import { PACKAGE_ROOT } from '../package-root.ts';
import { validateGatewayOptions } from './options.ts';
import type { ExposeKind, GatewayOptions, KubeObject } from './types.ts';

export { InvalidOptionError } from './options.ts';
export { DEFAULT_GATEWAY_OPTIONS } from './types.ts';

/**
 * The YAML under manifests/: the gateway objects, the optional echo backend's, and the optional
 * exposure objects that replace the Ingress (manifests/expose/, one file per kind). In file order.
 */
export interface BundledManifests {
  gateway: KubeObject[];
  echo: KubeObject[];
  expose: KubeObject[];
}

/** The kind of object each --expose choice stands for. */
export const EXPOSE_OBJECT: Record<Exclude<ExposeKind, 'none'>, { apiVersion: string; kind: string }> = {
  ingress: { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress' },
  httproute: { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute' },
  route: { apiVersion: 'route.openshift.io/v1', kind: 'Route' },
};

export const CONFIG_MAP_NAME = 'trigger-gateway-haproxy';
export const CONFIG_KEY = 'haproxy.cfg';
export const CONFIG_CHECKSUM_ANNOTATION = 'trigger-gateway.dev/config-checksum';
export const VERSION_LABEL = 'app.kubernetes.io/version';
export const GATEWAY_CONTAINER = 'haproxy';
export const ECHO_NAMESPACE = 'trigger';
/** On the echo backend's objects: the namespace of the gateway whose install --with-echo last applied them. */
export const ECHO_INSTALLED_BY_ANNOTATION = 'trigger-gateway.dev/installed-by';
/** What install --with-echo routes to the echo backend. */
export const ECHO_ROUTE: RouteSpec = {
  match: { type: 'path', path: '/trigger' },
  service: { name: 'httpecho', namespace: ECHO_NAMESPACE, port: 80 },
};

const BUNDLED_DIR = join(PACKAGE_ROOT, 'manifests');

function isKubeObject(value: unknown): value is KubeObject {
  if (typeof value !== 'object' || value === null) return false;
  const object = value as Partial<KubeObject>;
  return (
    typeof object.apiVersion === 'string' &&
    typeof object.kind === 'string' &&
    typeof object.metadata === 'object' &&
    object.metadata !== null &&
    typeof object.metadata.name === 'string'
  );
}

function loadDirectory(dir: string): KubeObject[] {
  const files = readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isFile() && /\.ya?ml$/.test(entry.name))
    .map((entry) => entry.name)
    .sort();
  return files.flatMap((file) =>
    loadAll(readFileSync(join(dir, file), 'utf8'))
      .filter((document) => document !== null && document !== undefined)
      .map((document) => {
        if (!isKubeObject(document))
          throw new Error(`${join(dir, file)} holds something that is not a Kubernetes object`);
        return document;
      }),
  );
}

/** Reads manifests/*.yaml, manifests/echo/*.yaml and manifests/expose/*.yaml, in file-name order. */
export function loadBundledManifests(dir: string = BUNDLED_DIR): BundledManifests {
  return {
    gateway: loadDirectory(dir),
    echo: loadDirectory(join(dir, 'echo')),
    expose: loadDirectory(join(dir, 'expose')),
  };
}

function find(objects: KubeObject[], kind: string, name?: string): KubeObject {
  const found = objects.find(
    (object) => object.kind === kind && (name === undefined || object.metadata.name === name),
  );
  if (!found) throw new Error(`the bundled manifests have no ${kind}${name ? ` ${name}` : ''}`);
  return found;
}

/** Typed access into an object's nested fields, created on the way when missing. */
function record(parent: Record<string, unknown>, key: string): Record<string, unknown> {
  const value = parent[key];
  if (typeof value === 'object' && value !== null && !Array.isArray(value))
    return value as Record<string, unknown>;
  const created: Record<string, unknown> = {};
  parent[key] = created;
  return created;
}

function setVersionLabel(object: KubeObject, version: string): void {
  object.metadata.labels = { ...object.metadata.labels, [VERSION_LABEL]: version };
  const template = (
    object.spec as { template?: { metadata?: { labels?: Record<string, string> } } } | undefined
  )?.template;
  if (template?.metadata?.labels) template.metadata.labels[VERSION_LABEL] = version;
}

function renderDeployment(deployment: KubeObject, options: GatewayOptions, cfg: string): void {
  const spec = record(deployment, 'spec');
  spec.replicas = options.replicas;
  const template = record(spec, 'template');
  const annotations = record(record(template, 'metadata'), 'annotations');
  annotations[CONFIG_CHECKSUM_ANNOTATION] = configChecksum(cfg);
  const containers = (record(template, 'spec').containers ?? []) as Array<{ name?: string; image?: string }>;
  const haproxy = containers.find((container) => container.name === GATEWAY_CONTAINER);
  if (!haproxy) throw new Error(`the bundled Deployment has no container named ${GATEWAY_CONTAINER}`);
  haproxy.image = options.image;
}

function renderIngress(ingress: KubeObject, options: GatewayOptions): void {
  const spec = record(ingress, 'spec');
  if (options.ingressClass !== undefined) spec.ingressClassName = options.ingressClass;
  const rules = (spec.rules ?? []) as Array<Record<string, unknown>>;
  if (options.host !== undefined) for (const rule of rules) rule.host = options.host;
  if (options.tlsSecret !== undefined && options.host !== undefined) {
    spec.tls = [{ hosts: [options.host], secretName: options.tlsSecret }];
  }
}

function renderHttpRoute(route: KubeObject, options: GatewayOptions): void {
  const spec = record(route, 'spec');
  const gateway = options.gateway;
  if (!gateway) throw new Error('an HTTPRoute is rendered for a Gateway: options.gateway is missing');
  spec.parentRefs = [
    {
      name: gateway.name,
      ...(gateway.namespace !== undefined && gateway.namespace !== options.namespace
        ? { namespace: gateway.namespace }
        : {}),
      ...(gateway.section !== undefined ? { sectionName: gateway.section } : {}),
    },
  ];
  if (options.host !== undefined) spec.hostnames = [options.host];
}

function renderOpenShiftRoute(route: KubeObject, options: GatewayOptions): void {
  if (options.host !== undefined) record(route, 'spec').host = options.host;
}

/** The object that exposes the gateway, rendered for the options; none for --expose none. */
function renderExposure(gateway: KubeObject[], bundle: BundledManifests, options: GatewayOptions): KubeObject[] {
  if (options.expose === 'none') return [];
  if (options.expose === 'ingress') {
    const ingress = find(gateway, 'Ingress', GATEWAY_NAME);
    renderIngress(ingress, options);
    return [ingress];
  }
  const object = structuredClone(find(bundle.expose, EXPOSE_OBJECT[options.expose].kind, GATEWAY_NAME));
  object.metadata.namespace = options.namespace;
  if (options.expose === 'httproute') renderHttpRoute(object, options);
  else renderOpenShiftRoute(object, options);
  return [object];
}

/** The live (or bundled) config, with the echo route added when asked for and not there yet. */
function configToRender(cfg: string, withEcho: boolean): string {
  if (!withEcho || listRoutes(cfg).some((route) => sameMatch(route.match, ECHO_ROUTE.match))) return cfg;
  return addRoute(cfg, ECHO_ROUTE, { overwrite: false }).cfg;
}

/**
 * The objects to apply, in a stable order (Namespace, ServiceAccount, ConfigMap, …, the exposure
 * object (an Ingress, an HTTPRoute or a Route, per options.expose; none for none), then the echo backend's). `live.haproxyCfg`, the config already in the cluster, is kept byte for byte (only the echo route is
 * added to it, with `withEcho`, when missing, and its delivery log block brought up to the bundled one) so a re-install never loses routes or hand edits; the checksum annotation always matches the config
 * rendered. Throws InvalidOptionError on options Kubernetes would refuse.
 */
/**
 * The client block as install leaves it: the flags' values over the live config's (or the bundled
 * config's), and for trusted proxies never set before, `podRanges` (what the cluster reports, if asked).
 */
function withProtection(
  cfg: string,
  options: GatewayOptions,
  liveCfg: string | undefined,
  podRanges: string[] | undefined,
): string {
  const stored = readGatewayProtection(cfg);
  const liveStored = liveCfg === undefined ? undefined : readGatewayProtection(liveCfg);
  const trustedProxies =
    options.trustedProxies ?? liveStored?.trustedProxies ?? podRanges ?? stored?.trustedProxies ?? [];
  const defaults = { ...(stored?.defaults ?? BUILT_IN_DEFAULTS), ...options.routeDefaults };
  return writeGatewayProtection(cfg, { trustedProxies, defaults });
}

export function renderGatewayManifests(
  bundle: BundledManifests,
  options: GatewayOptions,
  live: { haproxyCfg?: string | undefined; podRanges?: string[] | undefined } = {},
): KubeObject[] {
  validateGatewayOptions(options);
  const gateway = structuredClone(bundle.gateway);
  const echo = options.withEcho ? structuredClone(bundle.echo) : [];
  // Several gateways may route to the one echo backend: uninstall removes it only for the one that made it.
  for (const object of echo) {
    object.metadata.annotations = {
      ...object.metadata.annotations,
      [ECHO_INSTALLED_BY_ANNOTATION]: options.namespace,
    };
  }

  for (const object of gateway) {
    if (object.kind === 'Namespace') object.metadata.name = options.namespace;
    else object.metadata.namespace = options.namespace;
  }

  const configMap = find(gateway, 'ConfigMap', CONFIG_MAP_NAME);
  const data = record(configMap, 'data');
  const bundledCfg = data[CONFIG_KEY];
  if (typeof bundledCfg !== 'string') throw new Error(`the bundled ConfigMap has no ${CONFIG_KEY}`);
  const liveCfg = live.haproxyCfg === undefined ? undefined : upgradeDeliveryLog(live.haproxyCfg, bundledCfg);
  const cfg = configToRender(
    withProtection(liveCfg ?? bundledCfg, options, live.haproxyCfg, live.podRanges),
    options.withEcho,
  );
  data[CONFIG_KEY] = cfg;

  renderDeployment(find(gateway, 'Deployment', GATEWAY_NAME), options, cfg);
  const exposure = renderExposure(gateway, bundle, options);

  const objects = [...gateway.filter((object) => object.kind !== 'Ingress'), ...exposure, ...echo];
  for (const object of objects) setVersionLabel(object, options.version);
  return objects;
}
