/**
 * The bundled manifests (manifests/*.yaml and manifests/echo/*.yaml, read as YAML) with routes added
 * the way the gateway config lays them out: a "<path>/ <backend>" line in the route map and one
 * backend per route resolving <service>.<namespace>.svc.cluster.local through `resolvers cluster`.
 * Self-contained on purpose (no src/ imports), so these tests follow the shipped YAML only.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadAll } from 'js-yaml';
import type { KubeObject } from '../support/control-plane/index.ts';

const MANIFESTS = fileURLToPath(new URL('../../manifests/', import.meta.url));
export const GATEWAY_NAMESPACE = 'trigger-gateway';
export const CONFIG_MAP = 'trigger-gateway-haproxy';
export const CHECKSUM_ANNOTATION = 'trigger-gateway.dev/config-checksum';

export interface FixtureRoute {
  path: string;
  service: string;
  namespace: string;
  port: number;
}

export const ECHO_ROUTE: FixtureRoute = {
  path: '/trigger',
  service: 'httpecho',
  namespace: 'trigger',
  port: 80,
};

function loadDir(dir: string): KubeObject[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.yaml'))
    .sort()
    .flatMap((file) => loadAll(readFileSync(join(dir, file), 'utf8')) as KubeObject[])
    .filter(Boolean);
}

export const bundledGateway = () => loadDir(MANIFESTS);
export const bundledEcho = () => loadDir(join(MANIFESTS, 'echo'));

const backendName = (path: string) => `route:${path.slice(1).replaceAll('/', ':')}`;

/** The config with the routes added to the route map and the backends block. */
export function withRoutes(cfg: string, routes: FixtureRoute[]): string {
  const lines = cfg.split('\n');
  const routesEnd = lines.findIndex((l) => l.trim() === '# END trigger-gateway routes');
  const mapClose = lines.findLastIndex((l, i) => i < routesEnd && l.trim() === '.endif');
  lines.splice(mapClose, 0, ...routes.map((r) => `    ${r.path}/ ${backendName(r.path)}`));
  const backendsEnd = lines.findIndex((l) => l.trim() === '# END trigger-gateway backends');
  lines.splice(
    backendsEnd,
    0,
    ...routes.flatMap((r) => [
      `backend ${backendName(r.path)}`,
      `    server listener ${r.service}.${r.namespace}.svc.cluster.local:${r.port} resolvers cluster init-addr last,libc,none resolve-prefer ipv4`,
    ]),
  );
  return lines.join('\n');
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
  spec.template.metadata.annotations[CHECKSUM_ANNOTATION] = createHash('sha256').update(cfg).digest('hex');
  return [configMap, deployment];
}

/** A plain Deployment + Service of the echo image under another name, in `namespace`. */
export function echoBackend(name: string, namespace: string): KubeObject[] {
  const labels = { app: name };
  return [
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace },
      spec: {
        replicas: 1,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            containers: [
              {
                name: 'echo',
                image: 'docker.io/mendhak/http-https-echo:33',
                env: [{ name: 'HTTP_PORT', value: '8080' }],
                ports: [{ name: 'http', containerPort: 8080 }],
              },
            ],
          },
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, namespace },
      spec: { selector: labels, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
    },
  ];
}
