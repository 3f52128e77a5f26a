/**
 * The bundled manifests with routes added by the production code (`addRoute`), so that the data
 * plane runs exactly what the plugin would write.
 */
import { configChecksum } from '../../src/haproxy/gateway-config.ts';
import { addRoute } from '../../src/haproxy/routes.ts';
import {
  CONFIG_CHECKSUM_ANNOTATION,
  CONFIG_MAP_NAME,
  ECHO_ROUTE as BUNDLED_ECHO_ROUTE,
  loadBundledManifests,
} from '../../src/manifests/render.ts';
import type { KubeObject } from '../support/control-plane/index.ts';

export const GATEWAY_NAMESPACE = 'trigger-gateway';
export const CONFIG_MAP = CONFIG_MAP_NAME;
export const CHECKSUM_ANNOTATION = CONFIG_CHECKSUM_ANNOTATION;

export interface FixtureRoute {
  path: string;
  service: string;
  namespace: string;
  port: number;
}

export const ECHO_ROUTE: FixtureRoute = {
  path: BUNDLED_ECHO_ROUTE.match.type === 'path' ? BUNDLED_ECHO_ROUTE.match.path : '/trigger',
  service: BUNDLED_ECHO_ROUTE.service.name,
  namespace: BUNDLED_ECHO_ROUTE.service.namespace,
  port: BUNDLED_ECHO_ROUTE.service.port,
};

export const bundledGateway = () => loadBundledManifests().gateway;
export const bundledEcho = () => loadBundledManifests().echo;

/** The config with the routes added the way `route add` adds them. */
export function withRoutes(cfg: string, routes: FixtureRoute[]): string {
  return routes.reduce(
    (current, route) =>
      addRoute(
        current,
        {
          match: { type: 'path', path: route.path },
          service: { name: route.service, namespace: route.namespace, port: route.port },
        },
        { overwrite: false },
      ).cfg,
    cfg,
  );
}

export const configOf = (configMap: KubeObject) =>
  (configMap.data as Record<string, string>)['haproxy.cfg'] ?? '';

/** The ConfigMap and Deployment for `cfg`, the Deployment's checksum annotation matching it. */
export function gatewayConfigObjects(objects: KubeObject[], cfg: string, replicas = 2): KubeObject[] {
  const configMap = structuredClone(objects.find((o) => o.kind === 'ConfigMap') as KubeObject);
  configMap.data = { 'haproxy.cfg': cfg };
  const deployment = structuredClone(objects.find((o) => o.kind === 'Deployment') as KubeObject);
  const spec = deployment.spec as {
    replicas: number;
    template: { metadata: { annotations: Record<string, string> } };
  };
  spec.replicas = replicas;
  spec.template.metadata.annotations[CHECKSUM_ANNOTATION] = configChecksum(cfg);
  return [configMap, deployment];
}

/**
 * A one-replica Deployment `name` (pods labelled app=`name`) running `podSpec`, and the Service of the
 * same name in front of it on `ports` (name, port, targetPort).
 */
export function appWithService(
  name: string,
  namespace: string,
  podSpec: Record<string, unknown>,
  ports: Array<{ name: string; port: number; targetPort: string }>,
): KubeObject[] {
  const labels = { app: name };
  return [
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace, labels },
      spec: {
        replicas: 1,
        selector: { matchLabels: labels },
        template: { metadata: { labels }, spec: podSpec },
      },
    },
    { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace }, spec: { selector: labels, ports } },
  ];
}

/** A plain Deployment + Service of the echo image under another name, in `namespace`, on `ports`. */
export function echoBackend(name: string, namespace: string, ports: number[] = [80]): KubeObject[] {
  const container = {
    name: 'echo',
    image: 'docker.io/mendhak/http-https-echo:33',
    env: [{ name: 'HTTP_PORT', value: '8080' }],
    ports: [{ name: 'http', containerPort: 8080 }],
  };
  return appWithService(
    name,
    namespace,
    { containers: [container] },
    ports.map((port, index) => ({ name: index === 0 ? 'http' : `http-${port}`, port, targetPort: 'http' })),
  );
}
