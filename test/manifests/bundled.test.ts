/**
 * The YAML under manifests/, read the way `kubectl apply -f manifests/` reads it: one object per file,
 * labels, the config and its checksum, hardening, probes, rollout and disruption settings, routing.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadAll } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import {
  CONFIG_DIR,
  configChecksum,
  GATEWAY_HTTP_PORT,
  GATEWAY_STATS_PORT,
  HARD_STOP_AFTER_SECONDS,
  HEALTH_PATH,
  ROUTES_BEGIN,
  ROUTES_END,
} from '../../src/haproxy/gateway-config.ts';
import { checkGatewayConfig, listRoutes } from '../../src/haproxy/routes.ts';
import { CONFIG_CHECKSUM_ANNOTATION, DEFAULT_GATEWAY_OPTIONS } from '../../src/manifests/render.ts';
import { BUNDLED_GATEWAY_OBJECTS, kindAndName } from '../support/gateway-objects.ts';
import type { KubeObject } from '../../src/manifests/types.ts';

const MANIFESTS = fileURLToPath(new URL('../../manifests/', import.meta.url));

interface Container {
  name: string;
  image: string;
  command?: string[];
  env?: Array<{ name: string; value?: string }>;
  ports?: Array<{ name?: string; containerPort: number }>;
  readinessProbe?: { httpGet?: { path: string; port: string | number } };
  livenessProbe?: { httpGet?: { path: string; port: string | number } };
  lifecycle?: { preStop?: { exec?: { command: string[] } } };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: Record<string, unknown>;
  volumeMounts?: Array<{ name: string; mountPath: string; subPath?: string; readOnly?: boolean }>;
}

interface PodSpec {
  serviceAccountName?: string;
  automountServiceAccountToken?: boolean;
  terminationGracePeriodSeconds?: number;
  securityContext?: Record<string, unknown>;
  topologySpreadConstraints?: Array<{
    topologyKey: string;
    labelSelector: { matchLabels: Record<string, string> };
  }>;
  containers: Container[];
  volumes?: Array<{ name: string; configMap?: { name: string }; emptyDir?: object }>;
}

interface Deployment extends KubeObject {
  spec: {
    replicas: number;
    selector: { matchLabels: Record<string, string> };
    strategy: { type: string; rollingUpdate: { maxUnavailable: number; maxSurge: number } };
    template: {
      metadata: { labels: Record<string, string>; annotations?: Record<string, string> };
      spec: PodSpec;
    };
  };
}

interface Service extends KubeObject {
  spec: {
    selector: Record<string, string>;
    ports: Array<{ name: string; port: number; targetPort: string | number }>;
  };
}

function readDir(dir: string): Array<{ file: string; text: string; objects: KubeObject[] }> {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.yaml'))
    .sort()
    .map((file) => {
      const text = readFileSync(join(dir, file), 'utf8');
      return { file, text, objects: loadAll(text).filter((doc) => doc != null) as KubeObject[] };
    });
}

const gatewayFiles = readDir(MANIFESTS);
const echoFiles = readDir(join(MANIFESTS, 'echo'));
const gateway = gatewayFiles.flatMap((entry) => entry.objects);
const echo = echoFiles.flatMap((entry) => entry.objects);

function one<T extends KubeObject>(objects: KubeObject[], kind: string, name: string): T {
  const found = objects.filter((object) => object.kind === kind && object.metadata.name === name);
  expect(found, `${kind} ${name}`).toHaveLength(1);
  return found[0] as T;
}

const deployment = one<Deployment>(gateway, 'Deployment', 'trigger-gateway');
const podSpec = deployment.spec.template.spec;
const haproxy = podSpec.containers.find((container) => container.name === 'haproxy') as Container;
const cfg = (one<KubeObject & { data: Record<string, string> }>(
  gateway,
  'ConfigMap',
  'trigger-gateway-haproxy',
).data['haproxy.cfg'] ?? '') as string;

const STABLE_SELECTOR = {
  'app.kubernetes.io/name': 'trigger-gateway',
  'app.kubernetes.io/instance': 'trigger-gateway',
};

function containerPort(container: Container, name: string | number): number | undefined {
  if (typeof name === 'number') return name;
  return container.ports?.find((port) => port.name === name)?.containerPort;
}

/** The hardening both Deployments share. */
function expectHardened(pod: PodSpec): void {
  expect(pod.automountServiceAccountToken).toBe(false);
  expect(pod.securityContext).toMatchObject({
    runAsNonRoot: true,
    seccompProfile: { type: 'RuntimeDefault' },
  });
  expect(pod.securityContext?.runAsUser).toBeGreaterThan(0);
  for (const container of pod.containers) {
    expect(container.securityContext, container.name).toEqual({
      runAsNonRoot: true,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(container.resources?.requests?.cpu, container.name).toBeDefined();
    expect(container.resources?.requests?.memory, container.name).toBeDefined();
    expect(container.resources?.limits?.memory, container.name).toBeDefined();
    expect(container.image, container.name).toMatch(/:[\w][\w.-]*$/);
    expect(container.image, container.name).not.toMatch(/:latest$/);
  }
}

describe('the bundled files', () => {
  it('hold one object each, Namespace first, in an order kubectl apply -f can follow', () => {
    for (const { file, objects } of [...gatewayFiles, ...echoFiles]) expect(objects, file).toHaveLength(1);
    expect(gateway.map(kindAndName)).toEqual(BUNDLED_GATEWAY_OBJECTS);
    expect(echo.map((object) => object.kind)).toEqual(['Namespace', 'Deployment', 'Service']);
  });

  it('start with a comment saying what the object is', () => {
    for (const { file, text } of [...gatewayFiles, ...echoFiles]) expect(text, file).toMatch(/^# \S/);
  });

  it('put every gateway object in trigger-gateway, named trigger-gateway unless documented otherwise', () => {
    expect(gateway.map(kindAndName)).toEqual(BUNDLED_GATEWAY_OBJECTS);
    for (const object of gateway.filter((object) => object.kind !== 'Namespace')) {
      expect(object.metadata.namespace, object.kind).toBe('trigger-gateway');
    }
    for (const object of echo.filter((object) => object.kind !== 'Namespace')) {
      expect(object.metadata).toMatchObject({ name: 'httpecho', namespace: 'trigger' });
    }
  });

  it('label every object, pod templates included', () => {
    const expected = (name: string, component: string) => ({
      'app.kubernetes.io/name': name,
      'app.kubernetes.io/instance': 'trigger-gateway',
      'app.kubernetes.io/component': component,
      'app.kubernetes.io/part-of': 'trigger-gateway',
      'app.kubernetes.io/managed-by': 'kubectl-trigger-gateway',
      'app.kubernetes.io/version': expect.stringMatching(/^\d+\.\d+\.\d+/),
    });
    for (const object of gateway)
      expect(object.metadata.labels, object.kind).toMatchObject(expected('trigger-gateway', 'gateway'));
    for (const object of echo)
      expect(object.metadata.labels, object.kind).toMatchObject(expected('httpecho', 'echo'));
    for (const object of [...gateway, ...echo].filter((object) => object.kind === 'Deployment')) {
      const { template } = (object as Deployment).spec;
      expect(template.metadata.labels).toMatchObject(object.metadata.labels ?? {});
    }
  });

  it('select pods by name and instance only, never by version', () => {
    const selectors = [
      deployment.spec.selector.matchLabels,
      one<Service>(gateway, 'Service', 'trigger-gateway').spec.selector,
      one<Service>(gateway, 'Service', 'trigger-gateway-metrics').spec.selector,
      (
        one<KubeObject>(gateway, 'PodDisruptionBudget', 'trigger-gateway').spec as {
          selector: { matchLabels: object };
        }
      ).selector.matchLabels,
      ...(podSpec.topologySpreadConstraints ?? []).map((constraint) => constraint.labelSelector.matchLabels),
    ];
    for (const selector of selectors) expect(selector).toEqual(STABLE_SELECTOR);
    const echoDeployment = one<Deployment>(echo, 'Deployment', 'httpecho');
    const echoSelector = {
      'app.kubernetes.io/name': 'httpecho',
      'app.kubernetes.io/instance': 'trigger-gateway',
    };
    expect(echoDeployment.spec.selector.matchLabels).toEqual(echoSelector);
    expect(one<Service>(echo, 'Service', 'httpecho').spec.selector).toEqual(echoSelector);
  });

  it('never use subPath', () => {
    for (const { file, objects } of [...gatewayFiles, ...echoFiles]) {
      expect(JSON.stringify(objects), file).not.toMatch(/"subPath"/);
    }
  });
});

describe('the bundled HAProxy config', () => {
  it('is a config route editing accepts, with no routes yet', () => {
    expect(() => checkGatewayConfig(cfg)).not.toThrow();
    expect(listRoutes(cfg)).toEqual([]);
  });

  it('has its sha256 in the pod template, so config changes roll the pods', () => {
    expect(deployment.spec.template.metadata.annotations?.[CONFIG_CHECKSUM_ANNOTATION]).toBe(
      configChecksum(cfg),
    );
    expect(configChecksum(cfg)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('binds only the unprivileged gateway and stats ports, never :80', () => {
    const binds = [...cfg.matchAll(/^\s*bind\s+(\S+)/gm)].map((match) => match[1]);
    expect(binds).toEqual([`:${GATEWAY_HTTP_PORT}`, `:${GATEWAY_STATS_PORT}`]);
    expect(cfg).not.toMatch(/^\s*bind\s+\S*:80(\s|$)/m);
  });

  it('sets no maxconn, and explains why', () => {
    expect(cfg).not.toMatch(/^\s*maxconn\b/m);
    expect(cfg).toMatch(/#.*No maxconn/);
  });

  it('resolves listeners at run time through the pod resolv.conf', () => {
    expect(cfg).toMatch(/^resolvers cluster\n\s+parse-resolv-conf$/m);
  });

  it('keeps the routes block inside the gateway frontend, with the metrics and stats elsewhere', () => {
    const frontend = cfg.slice(cfg.indexOf('frontend gateway'), cfg.indexOf('\nfrontend stats'));
    expect(frontend).toContain(ROUTES_BEGIN);
    expect(frontend).toContain(ROUTES_END);
    const directives = frontend.split('\n').filter((line) => !line.trim().startsWith('#'));
    expect(directives.join('\n')).not.toMatch(/prometheus|stats|monitor-uri/);
    const stats = cfg.slice(cfg.indexOf('frontend stats'), cfg.indexOf('\nbackend no_route'));
    expect(stats).toContain(`bind :${GATEWAY_STATS_PORT}`);
    expect(stats).toContain('http-request use-service prometheus-exporter if { path /metrics }');
    expect(stats).toContain(`monitor-uri ${HEALTH_PATH}`);
  });
});

describe('the gateway Deployment', () => {
  it('runs 2 replicas, never drops below them while rolling, and spreads across nodes', () => {
    expect(deployment.spec.replicas).toBe(DEFAULT_GATEWAY_OPTIONS.replicas);
    expect(deployment.spec.replicas).toBe(2);
    expect(deployment.spec.strategy).toEqual({
      type: 'RollingUpdate',
      rollingUpdate: { maxUnavailable: 0, maxSurge: 1 },
    });
    expect(podSpec.topologySpreadConstraints).toEqual([
      expect.objectContaining({
        topologyKey: 'kubernetes.io/hostname',
        whenUnsatisfiable: 'ScheduleAnyway',
        maxSkew: 1,
      }),
    ]);
  });

  it('runs the default image: the official HAProxy LTS, minor version pinned', () => {
    expect(haproxy.image).toBe(DEFAULT_GATEWAY_OPTIONS.image);
    expect(haproxy.image).toMatch(/^docker\.io\/library\/haproxy:\d+\.\d+$/);
  });

  it('is hardened: non-root, read-only, no capabilities, no token, resources set', () => {
    expectHardened(podSpec);
    expect(podSpec.serviceAccountName).toBe('trigger-gateway');
    const serviceAccount = one<KubeObject>(gateway, 'ServiceAccount', 'trigger-gateway');
    expect(serviceAccount.automountServiceAccountToken).toBe(false);
  });

  it('mounts the ConfigMap as a directory where HAProxy reads it, and nothing writable', () => {
    expect(haproxy.volumeMounts).toEqual([{ name: 'config', mountPath: CONFIG_DIR, readOnly: true }]);
    expect(podSpec.volumes).toEqual([{ name: 'config', configMap: { name: 'trigger-gateway-haproxy' } }]);
    expect(haproxy.command).toEqual(['haproxy', '-db', '-f', `${CONFIG_DIR}/haproxy.cfg`]);
  });

  it('exposes the gateway port as http and the stats port as stats', () => {
    expect(containerPort(haproxy, 'http')).toBe(GATEWAY_HTTP_PORT);
    expect(containerPort(haproxy, 'stats')).toBe(GATEWAY_STATS_PORT);
  });

  it('probes readiness and liveness on the health endpoint of the stats port', () => {
    for (const probe of [haproxy.readinessProbe, haproxy.livenessProbe]) {
      expect(probe?.httpGet?.path).toBe(HEALTH_PATH);
      expect(containerPort(haproxy, probe?.httpGet?.port ?? '')).toBe(GATEWAY_STATS_PORT);
    }
  });

  it('stops gracefully: preStop waits, soft-stops with SIGUSR1, and everything fits the grace period', () => {
    const script = haproxy.lifecycle?.preStop?.exec?.command ?? [];
    expect(script.slice(0, 2)).toEqual(['/bin/sh', '-c']);
    const body = script[2] ?? '';
    expect(body).toMatch(/kill -USR1 1/);
    const delay = Number(/^sleep (\d+);/.exec(body)?.[1]);
    expect(delay).toBeGreaterThan(0);
    expect(cfg).toMatch(new RegExp(`^\\s+hard-stop-after ${HARD_STOP_AFTER_SECONDS}s$`, 'm'));
    expect(delay + HARD_STOP_AFTER_SECONDS).toBeLessThan(podSpec.terminationGracePeriodSeconds ?? 30);
  });
});

describe('the gateway Services, PodDisruptionBudget and Ingress', () => {
  const service = one<Service>(gateway, 'Service', 'trigger-gateway');
  const metrics = one<Service>(gateway, 'Service', 'trigger-gateway-metrics');
  const ingress = one<KubeObject>(gateway, 'Ingress', 'trigger-gateway');

  it('expose only the gateway port through the gateway Service, and stats through the metrics Service', () => {
    expect(service.spec.ports).toEqual([expect.objectContaining({ name: 'http', targetPort: 'http' })]);
    expect(metrics.spec.ports).toEqual([expect.objectContaining({ name: 'metrics', targetPort: 'stats' })]);
  });

  it('routes / (Prefix) of the Ingress to the gateway Service port http, any host, default class, no TLS', () => {
    expect(ingress.spec).toEqual({
      rules: [
        {
          http: {
            paths: [
              {
                path: '/',
                pathType: 'Prefix',
                backend: { service: { name: 'trigger-gateway', port: { name: 'http' } } },
              },
            ],
          },
        },
      ],
    });
  });

  it('has a PodDisruptionBudget that lets one pod go at a time, whatever the replica count', () => {
    const pdb = one<KubeObject>(gateway, 'PodDisruptionBudget', 'trigger-gateway');
    expect(pdb.spec).toMatchObject({ maxUnavailable: 1, unhealthyPodEvictionPolicy: 'AlwaysAllow' });
    expect((pdb.spec as Record<string, unknown>).minAvailable).toBeUndefined();
  });
});

describe('the echo backend', () => {
  const echoDeployment = one<Deployment>(echo, 'Deployment', 'httpecho');
  const container = echoDeployment.spec.template.spec.containers[0] as Container;
  const env = Object.fromEntries((container.env ?? []).map((variable) => [variable.name, variable.value]));

  it('runs a pinned mendhak/http-https-echo that logs each request as one line', () => {
    expect(container.image).toMatch(/^docker\.io\/mendhak\/http-https-echo:\d+$/);
    expect(env.LOG_WITHOUT_NEWLINE).toBe('true');
    expect(env.DISABLE_REQUEST_LOGS).toBe('true');
    expect(env.LOG_IGNORE_PATH).toBe(HEALTH_PATH);
  });

  it('is hardened like the gateway', () => {
    expectHardened(echoDeployment.spec.template.spec);
  });

  it('serves on Service port 80, forwarded to the port the server listens on', () => {
    const service = one<Service>(echo, 'Service', 'httpecho');
    expect(service.spec.ports).toEqual([
      expect.objectContaining({ name: 'http', port: 80, targetPort: 'http' }),
    ]);
    expect(containerPort(container, 'http')).toBe(Number(env.HTTP_PORT));
    expect(container.readinessProbe?.httpGet).toEqual({ path: HEALTH_PATH, port: 'http' });
  });
});
