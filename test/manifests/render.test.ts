/**
 * renderGatewayManifests: options land where they belong, bad options fail with a hint, the live
 * config is kept byte for byte, and the checksum always follows the config rendered.
 */
import { describe, expect, it } from 'vitest';
import { DELIVERY_LOG_BEGIN, DELIVERY_LOG_END } from '../../src/haproxy/delivery-log-block.ts';
import { configChecksum } from '../../src/haproxy/gateway-config.ts';
import { addRoute, listRoutes, type RouteSpec } from '../../src/haproxy/routes.ts';
import {
  type BundledManifests,
  CONFIG_CHECKSUM_ANNOTATION,
  DEFAULT_GATEWAY_OPTIONS,
  ECHO_NAMESPACE,
  ECHO_ROUTE,
  InvalidOptionError,
  loadBundledManifests,
  renderGatewayManifests,
} from '../../src/manifests/render.ts';
import type { GatewayOptions, KubeObject } from '../../src/manifests/types.ts';
import { BUNDLED_GATEWAY_OBJECTS, kindAndName } from '../support/gateway-objects.ts';

const bundle = loadBundledManifests();

function pathRoute(path: string, name: string, namespace: string, port: number): RouteSpec {
  return { match: { type: 'path', path }, service: { name, namespace, port } };
}

function addRoutes(cfg: string, routes: RouteSpec[]): string {
  return routes.reduce((current, route) => addRoute(current, route, { overwrite: false }).cfg, cfg);
}

function routedPaths(cfg: string): string[] {
  return listRoutes(cfg).flatMap((route) => (route.match.type === 'path' ? [route.match.path] : []));
}

function render(overrides: Partial<GatewayOptions> = {}, live?: { haproxyCfg?: string }): KubeObject[] {
  return renderGatewayManifests(bundle, { ...DEFAULT_GATEWAY_OPTIONS, ...overrides }, live);
}

/** The parts of rendered objects these tests read. */
interface Rendered extends KubeObject {
  data?: Record<string, string>;
  spec?: {
    replicas?: number;
    selector?: { matchLabels: Record<string, string> };
    template?: {
      metadata: { labels: Record<string, string>; annotations?: Record<string, string> };
      spec: { containers: Array<{ image: string }> };
    };
    ingressClassName?: string;
    rules?: Array<{ host?: string; http: { paths: Array<{ backend: unknown }> } }>;
    tls?: unknown;
    maxUnavailable?: number;
    minAvailable?: number;
  };
}

function get(objects: KubeObject[], kind: string, name?: string): Rendered {
  const found = objects.find(
    (object) => object.kind === kind && (name === undefined || object.metadata.name === name),
  );
  if (!found) throw new Error(`no ${kind} ${name ?? ''}`);
  return found as Rendered;
}

function configOf(objects: KubeObject[]): string {
  return get(objects, 'ConfigMap').data?.['haproxy.cfg'] ?? '';
}

function checksumOf(objects: KubeObject[]): string | undefined {
  return get(objects, 'Deployment', 'trigger-gateway').spec?.template?.metadata.annotations?.[
    CONFIG_CHECKSUM_ANNOTATION
  ];
}

function renderError(overrides: Partial<GatewayOptions>): InvalidOptionError {
  try {
    render(overrides);
  } catch (error) {
    if (error instanceof InvalidOptionError) return error;
    throw error;
  }
  throw new Error(`no error for ${JSON.stringify(overrides)}`);
}

describe('renderGatewayManifests with the defaults', () => {
  const objects = render();

  it('renders the bundle in a stable order, Namespace first and Ingress last', () => {
    expect(objects.map(kindAndName)).toEqual(BUNDLED_GATEWAY_OBJECTS);
  });

  it('keeps the bundled config, with its checksum on the pod template', () => {
    expect(configOf(objects)).toBe(configOf(bundle.gateway));
    expect(checksumOf(objects)).toBe(configChecksum(configOf(objects)));
    expect(checksumOf(objects)).toBe(checksumOf(bundle.gateway));
  });

  it('is pure: the bundle is not modified and the same input gives the same output', () => {
    const before = structuredClone(bundle);
    const again = render();
    expect(again).toEqual(objects);
    expect(bundle).toEqual(before);
    expect(again[0]).not.toBe(bundle.gateway[0]);
  });
});

describe('renderGatewayManifests options', () => {
  it('moves every gateway object to the namespace, and leaves the echo backend in its own', () => {
    const objects = render({ namespace: 'webhooks', withEcho: true });
    const [namespace, ...rest] = objects;
    expect(namespace).toMatchObject({ kind: 'Namespace', metadata: { name: 'webhooks' } });
    const gatewayObjects = rest.filter(
      (object) => object.metadata.labels?.['app.kubernetes.io/component'] === 'gateway',
    );
    expect(gatewayObjects).toHaveLength(7);
    for (const object of gatewayObjects) expect(object.metadata.namespace).toBe('webhooks');
    const echoObjects = objects.slice(8);
    expect(echoObjects.map((object) => `${object.kind}/${object.metadata.name}`)).toEqual([
      'Namespace/trigger',
      'Deployment/httpecho',
      'Service/httpecho',
    ]);
    for (const object of echoObjects.slice(1)) expect(object.metadata.namespace).toBe(ECHO_NAMESPACE);
  });

  it('sets image and replicas on the gateway Deployment', () => {
    const objects = render({ image: 'registry.example.com/mirror/haproxy:3.2.1', replicas: 5 });
    const deployment = get(objects, 'Deployment', 'trigger-gateway');
    expect(deployment.spec?.replicas).toBe(5);
    expect(deployment.spec?.template?.spec.containers[0]?.image).toBe(
      'registry.example.com/mirror/haproxy:3.2.1',
    );
  });

  it('writes the version label on every object and pod template, never in selectors', () => {
    const objects = render({ version: '9.8.7', withEcho: true });
    for (const object of objects)
      expect(object.metadata.labels?.['app.kubernetes.io/version'], object.kind).toBe('9.8.7');
    for (const deployment of objects.filter((object) => object.kind === 'Deployment') as Rendered[]) {
      expect(deployment.spec?.template?.metadata.labels['app.kubernetes.io/version']).toBe('9.8.7');
      expect(deployment.spec?.selector?.matchLabels['app.kubernetes.io/version']).toBeUndefined();
    }
  });

  it('defaults the version to the package version', async () => {
    const { readFile } = await import('node:fs/promises');
    const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    expect(DEFAULT_GATEWAY_OPTIONS.version).toBe(pkg.version);
  });

  it('puts host, ingress class and TLS on the Ingress', () => {
    const ingress = get(
      render({ host: 'hooks.example.com', ingressClass: 'nginx', tlsSecret: 'hooks-tls' }),
      'Ingress',
    );
    expect(ingress.spec?.ingressClassName).toBe('nginx');
    expect(ingress.spec?.rules).toHaveLength(1);
    expect(ingress.spec?.rules?.[0]?.host).toBe('hooks.example.com');
    expect(ingress.spec?.rules?.[0]?.http.paths[0]?.backend).toEqual({
      service: { name: 'trigger-gateway', port: { name: 'http' } },
    });
    expect(ingress.spec?.tls).toEqual([{ hosts: ['hooks.example.com'], secretName: 'hooks-tls' }]);
  });

  it('accepts a wildcard host, and adds no TLS or class unless asked', () => {
    const ingress = get(render({ host: '*.example.com' }), 'Ingress');
    expect(ingress.spec?.rules?.[0]?.host).toBe('*.example.com');
    expect(ingress.spec?.tls).toBeUndefined();
    expect(ingress.spec?.ingressClassName).toBeUndefined();
  });

  it('keeps a PodDisruptionBudget that allows an eviction at every replica count', () => {
    for (const replicas of [1, 2, 3, 20]) {
      const objects = render({ replicas });
      const pdb = get(objects, 'PodDisruptionBudget').spec ?? {};
      // Evictions allowed with every pod healthy: replicas - minAvailable, or maxUnavailable.
      const allowed = pdb.maxUnavailable ?? replicas - (pdb.minAvailable ?? replicas);
      expect(allowed, `replicas ${replicas}`).toBeGreaterThanOrEqual(1);
      expect(allowed, `replicas ${replicas}`).toBeLessThan(Math.max(replicas, 2));
    }
  });
});

describe('renderGatewayManifests with the echo backend', () => {
  it('adds the echo objects and a /trigger route to httpecho, and rolls the pods', () => {
    const plain = render();
    const objects = render({ withEcho: true });
    expect(objects).toHaveLength(plain.length + bundle.echo.length);
    const cfg = configOf(objects);
    expect(routedPaths(cfg)).toEqual(['/trigger']);
    expect(cfg).toContain('server listener httpecho.trigger.svc.cluster.local:80 resolvers cluster');
    expect(cfg).toBe(addRoutes(configOf(plain), [ECHO_ROUTE]));
    expect(checksumOf(objects)).toBe(configChecksum(cfg));
    expect(checksumOf(objects)).not.toBe(checksumOf(plain));
  });
});

describe('renderGatewayManifests with the live config', () => {
  const live = `${configOf(render())}# a hand edit at the end\n`.replace(
    'timeout client 30s',
    'timeout client 31s',
  );

  it('keeps the live haproxy.cfg byte for byte, and the checksum follows it', () => {
    const objects = render({}, { haproxyCfg: live });
    expect(configOf(objects)).toBe(live);
    expect(checksumOf(objects)).toBe(configChecksum(live));
  });

  it('keeps it with --with-echo too when the echo route is already there', () => {
    const withRoutes = addRoutes(live, [
      pathRoute('/trigger', 'httpecho', 'trigger', 80),
      pathRoute('/github', 'el-github', 'ci', 8080),
    ]);
    const objects = render({ withEcho: true }, { haproxyCfg: withRoutes });
    expect(configOf(objects)).toBe(withRoutes);
    expect(checksumOf(objects)).toBe(configChecksum(withRoutes));
  });

  it('adds only the echo route to a live config that lacks it, keeping every other byte', () => {
    const withRoutes = addRoutes(live, [pathRoute('/github', 'el-github', 'ci', 8080)]);
    const objects = render({ withEcho: true }, { haproxyCfg: withRoutes });
    expect(configOf(objects)).toBe(addRoutes(withRoutes, [ECHO_ROUTE]));
    expect(routedPaths(configOf(objects))).toEqual(['/github', '/trigger']);
  });

  it('gives a live config from before the delivery log its block, and the checksum follows', () => {
    const withRoutes = addRoutes(live, [pathRoute('/github', 'el-github', 'ci', 8080)]);
    const block = new RegExp(`[ \\t]*${DELIVERY_LOG_BEGIN}\\n[^]*?${DELIVERY_LOG_END}\\n`);
    const old = withRoutes.replace(block, '');
    expect(old).not.toContain(DELIVERY_LOG_BEGIN);
    const objects = render({}, { haproxyCfg: old });
    expect(configOf(objects)).toBe(withRoutes);
    expect(checksumOf(objects)).toBe(configChecksum(withRoutes));
  });

  it('falls back to the bundled config when there is no live one', () => {
    expect(configOf(render({}, { haproxyCfg: undefined }))).toBe(configOf(render()));
  });
});

describe('renderGatewayManifests refuses bad options with a hint', () => {
  const bad: Array<[string, Partial<GatewayOptions>, string, RegExp]> = [
    ['an upper-case host', { host: 'Hooks.Example.com' }, 'host', /Hooks\.Example\.com/],
    ['a host with a port', { host: 'hooks.example.com:443' }, 'host', /:443/],
    ['a host with a scheme', { host: 'https://hooks.example.com' }, 'host', /https/],
    ['an IP address as host', { host: '10.0.0.1' }, 'host', /10\.0\.0\.1/],
    ['a wildcard in the middle', { host: 'hooks.*.example.com' }, 'host', /\*/],
    ['an empty host', { host: '' }, 'host', /host/],
    ['an ingress class with spaces', { ingressClass: 'my class' }, 'ingressClass', /my class/],
    ['an upper-case TLS secret', { host: 'a.example.com', tlsSecret: 'Hooks' }, 'tlsSecret', /Hooks/],
    ['TLS without a host', { tlsSecret: 'hooks-tls' }, 'tlsSecret', /needs a host/],
    ['a namespace with a dot', { namespace: 'web.hooks' }, 'namespace', /web\.hooks/],
    ['a namespace too long', { namespace: 'n'.repeat(64) }, 'namespace', /namespace/],
    ['no replicas', { replicas: 0 }, 'replicas', /0/],
    ['too many replicas', { replicas: 21 }, 'replicas', /21/],
    ['a fractional replica count', { replicas: 1.5 }, 'replicas', /1\.5/],
    ['an empty image', { image: '' }, 'image', /image/],
    ['a blank image', { image: '  ' }, 'image', /image/],
    ['a version that is not a label value', { version: '1.0.0+build.5' }, 'version', /1\.0\.0\+build\.5/],
  ];

  it.each(bad)('%s', (_name, overrides, option, message) => {
    const error = renderError(overrides);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('InvalidOptionError');
    expect(error.option).toBe(option);
    expect(error.message).toMatch(message);
    expect(error.hint.length).toBeGreaterThan(20);
    expect(error.why).toBe(error.hint);
  });

  it('accepts the edges of the valid ranges', () => {
    expect(() => render({ replicas: 1 })).not.toThrow();
    expect(() => render({ replicas: 20 })).not.toThrow();
    expect(() => render({ namespace: 'n'.repeat(63) })).not.toThrow();
    expect(() =>
      render({ host: 'a.b', ingressClass: 'example.com.nginx', tlsSecret: 'a.b-c' }),
    ).not.toThrow();
  });
});

describe('loadBundledManifests', () => {
  it('reads the gateway and echo objects from manifests/', () => {
    const loaded: BundledManifests = loadBundledManifests();
    expect(loaded.gateway.map((object) => object.kind)).toContain('Deployment');
    expect(loaded.echo.map((object) => object.metadata.name)).toEqual(['trigger', 'httpecho', 'httpecho']);
    expect(loaded.expose.map((object) => object.kind)).toEqual(['HTTPRoute', 'Route']);
  });
});

describe('--expose', () => {
  const kinds = (objects: KubeObject[]) => objects.map((object) => object.kind);

  it('ingress, the default, renders the Ingress and nothing of the other kinds', () => {
    expect(kinds(render())).toContain('Ingress');
    expect(kinds(render())).not.toContain('HTTPRoute');
    expect(kinds(render())).not.toContain('Route');
  });

  it('httproute renders an HTTPRoute on the named Gateway and listener, with the host, instead of the Ingress', () => {
    const objects = render({
      namespace: 'hooks',
      expose: 'httproute',
      gateway: { name: 'eg', namespace: 'envoy-gateway-system', section: 'https' },
      host: 'hooks.example.com',
    });
    expect(kinds(objects)).not.toContain('Ingress');
    const route = get(objects, 'HTTPRoute', 'trigger-gateway') as unknown as KubeObject & {
      spec: { parentRefs: unknown[]; hostnames: string[]; rules: Array<{ backendRefs: unknown[] }> };
    };
    expect(route.apiVersion).toBe('gateway.networking.k8s.io/v1');
    expect(route.metadata.namespace).toBe('hooks');
    expect(route.spec.parentRefs).toEqual([{ name: 'eg', namespace: 'envoy-gateway-system', sectionName: 'https' }]);
    expect(route.spec.hostnames).toEqual(['hooks.example.com']);
    expect(route.spec.rules[0]?.backendRefs).toEqual([{ name: 'trigger-gateway', port: 80 }]);
    expect(route.metadata.labels?.['app.kubernetes.io/version']).toBe(DEFAULT_GATEWAY_OPTIONS.version);
  });

  it('httproute leaves the namespace out of the parentRef for a Gateway in the gateway namespace', () => {
    const objects = render({ expose: 'httproute', gateway: { name: 'eg', namespace: 'trigger-gateway' } });
    const route = get(objects, 'HTTPRoute') as unknown as KubeObject & { spec: { parentRefs: unknown[]; hostnames?: unknown } };
    expect(route.spec.parentRefs).toEqual([{ name: 'eg' }]);
    expect(route.spec.hostnames).toBeUndefined();
  });

  it('route renders an OpenShift Route with edge TLS and a redirect, the host only when given', () => {
    const route = get(render({ expose: 'route' }), 'Route') as unknown as KubeObject & {
      spec: { host?: string; to: unknown; tls: unknown };
    };
    expect(route.apiVersion).toBe('route.openshift.io/v1');
    expect(route.spec.host).toBeUndefined();
    expect(route.spec.to).toEqual({ kind: 'Service', name: 'trigger-gateway' });
    expect(route.spec.tls).toEqual({ termination: 'edge', insecureEdgeTerminationPolicy: 'Redirect' });
    expect((get(render({ expose: 'route', host: 'hooks.example.com' }), 'Route').spec as unknown as { host: string }).host).toBe(
      'hooks.example.com',
    );
  });

  it('none renders no exposure object at all', () => {
    const objects = render({ expose: 'none' });
    expect(kinds(objects).filter((kind) => ['Ingress', 'HTTPRoute', 'Route'].includes(kind))).toEqual([]);
    expect(kinds(objects)).toContain('Deployment');
  });

  it.each([
    [{ expose: 'httproute' }, 'gateway', /needs a Gateway/],
    [{ expose: 'httproute', gateway: { name: 'eg' }, host: 'a.example.com', tlsSecret: 'tls' }, 'tlsSecret', /no certificate/],
    [{ expose: 'httproute', gateway: { name: 'eg' }, ingressClass: 'nginx' }, 'ingressClass', /does not apply/],
    [{ expose: 'httproute', gateway: { name: 'Bad_Name' } }, 'gateway', /invalid Gateway name/],
    [{ expose: 'route', tlsSecret: 'tls' }, 'tlsSecret', /does not take its certificate/],
    [{ expose: 'none', host: 'a.example.com' }, 'host', /nothing exposes/],
    [{ expose: 'ingress', gateway: { name: 'eg' } }, 'gateway', /does not apply/],
    [{ expose: 'loadbalancer' }, 'expose', /invalid exposure/],
  ] as Array<[Partial<GatewayOptions>, string, RegExp]>)('refuses %j naming option %s', (options, option, message) => {
    try {
      render(options);
      expect.unreachable('render should have refused the options');
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidOptionError);
      expect((error as InvalidOptionError).option).toBe(option);
      expect((error as InvalidOptionError).message).toMatch(message);
    }
  });
});
