/**
 * Every rendered object validates against the Kubernetes OpenAPI schemas (kubernetes-models), for the
 * defaults, every option set, and with the echo backend; a broken object is rejected.
 */
import { Deployment } from 'kubernetes-models/apps/v1';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Namespace, Service, ServiceAccount } from 'kubernetes-models/v1';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_GATEWAY_OPTIONS,
  loadBundledManifests,
  renderGatewayManifests,
} from '../../src/manifests/render.ts';
import type { GatewayOptions, KubeObject } from '../../src/manifests/types.ts';

interface Validatable {
  validate(): void;
}

const MODELS: Record<string, (object: KubeObject) => Validatable> = {
  'v1/Namespace': (object) => new Namespace(object as never),
  'v1/ServiceAccount': (object) => new ServiceAccount(object as never),
  'v1/ConfigMap': (object) => new ConfigMap(object as never),
  'v1/Service': (object) => new Service(object as never),
  'apps/v1/Deployment': (object) => new Deployment(object as never),
  'policy/v1/PodDisruptionBudget': (object) => new PodDisruptionBudget(object as never),
  'networking.k8s.io/v1/Ingress': (object) => new Ingress(object as never),
};

/** Throws when the object breaks its schema, or when we have no schema for its kind. */
function validate(object: KubeObject): void {
  const model = MODELS[`${object.apiVersion}/${object.kind}`];
  if (!model) throw new Error(`no schema to check ${object.apiVersion} ${object.kind} against`);
  model(object).validate();
}

const bundle = loadBundledManifests();

const cases: Array<[string, GatewayOptions]> = [
  ['defaults', { ...DEFAULT_GATEWAY_OPTIONS }],
  [
    'every option set',
    {
      namespace: 'webhooks',
      expose: 'ingress',
      host: 'hooks.example.com',
      ingressClass: 'nginx',
      tlsSecret: 'hooks-tls',
      image: 'registry.example.com/haproxy:3.2.4',
      replicas: 3,
      withEcho: false,
      version: '1.2.3-rc.1',
    },
  ],
  ['a wildcard host and one replica', { ...DEFAULT_GATEWAY_OPTIONS, host: '*.example.com', replicas: 1 }],
  ['with the echo backend', { ...DEFAULT_GATEWAY_OPTIONS, withEcho: true }],
];

describe('rendered objects against the Kubernetes OpenAPI schemas', () => {
  it.each(cases)('%s: every object is valid', (_name, options) => {
    const objects = renderGatewayManifests(bundle, options);
    expect(objects.length).toBeGreaterThanOrEqual(8);
    for (const object of objects) {
      expect(() => validate(object), `${object.kind} ${object.metadata.name}`).not.toThrow();
    }
  });

  it('rejects broken objects, so the check above is real', () => {
    const objects = renderGatewayManifests(bundle, DEFAULT_GATEWAY_OPTIONS);
    const deployment = structuredClone(
      objects.find((object) => object.kind === 'Deployment'),
    ) as KubeObject & {
      spec: { template: { spec: { containers: Array<{ ports: Array<{ containerPort: unknown }> }> } } };
    };
    const port = deployment.spec.template.spec.containers[0]?.ports[0];
    if (!port) throw new Error('the Deployment has no container port');
    port.containerPort = 'eighty-eighty';
    expect(() => validate(deployment)).toThrow(/containerPort/);

    const ingress = structuredClone(objects.find((object) => object.kind === 'Ingress')) as KubeObject & {
      spec: { rules: Array<{ http: { paths: Array<Record<string, unknown>> } }> };
    };
    const path = ingress.spec.rules[0]?.http.paths[0];
    if (!path) throw new Error('the Ingress has no path');
    delete path.pathType;
    expect(() => validate(ingress)).toThrow(/pathType/);

    expect(() => validate({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x' } })).toThrow(/no schema/);
  });
});
