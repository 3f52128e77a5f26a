/**
 * The pure half of --expose: which Gateway listeners take our HTTPRoute (allowedRoutes as the Gateway
 * API defines it), and the public address read from an Ingress, an HTTPRoute with its Gateway, or a
 * Route.
 */
import { describe, expect, it } from 'vitest';
import {
  attachmentRefusals,
  type EndpointSliceObject,
  explainRouteReason,
  type GatewayObject,
  type HttpRouteObject,
  httpRouteAddress,
  ingressAddress,
  type Listener,
  loadBalancerAt,
  type LoadBalancerServiceObject,
  openShiftRouteAddress,
  selectorMatches,
  servicePortTo,
} from '../../src/services/exposure-model.ts';

const gateway = (listeners: Listener[], addresses?: string[]): GatewayObject => ({
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'Gateway',
  metadata: { name: 'eg', namespace: 'gateways' },
  spec: { gatewayClassName: 'eg', listeners },
  ...(addresses ? { status: { addresses: addresses.map((value) => ({ type: 'IPAddress', value })) } } : {}),
});
const http: Listener = { name: 'http', protocol: 'HTTP', port: 80 };

describe('attachmentRefusals', () => {
  it('takes routes from the Gateway namespace only by default', () => {
    expect(attachmentRefusals(gateway([http]), 'gateways', {}, undefined)).toEqual([]);
    expect(attachmentRefusals(gateway([http]), 'hooks', {}, undefined)).toEqual([
      'listener http allows routes from its own namespace (gateways) only',
    ]);
  });

  it('takes routes from every namespace with from: All, and from matching ones with a Selector', () => {
    const all = { ...http, allowedRoutes: { namespaces: { from: 'All' } } };
    expect(attachmentRefusals(gateway([all]), 'hooks', {}, undefined)).toEqual([]);
    const selected = {
      ...http,
      allowedRoutes: {
        namespaces: {
          from: 'Selector',
          selector: { matchExpressions: [{ key: 'team', operator: 'In', values: ['ci', 'cd'] }] },
        },
      },
    };
    expect(attachmentRefusals(gateway([selected]), 'hooks', { team: 'ci' }, undefined)).toEqual([]);
    expect(attachmentRefusals(gateway([selected]), 'hooks', { team: 'web' }, undefined)).toEqual([
      'listener http allows routes from namespaces labelled team In (ci, cd), and hooks is not',
    ]);
  });

  it('one listener that allows the route is enough; --section restricts to that one', () => {
    const open = {
      name: 'open',
      protocol: 'HTTP',
      port: 8080,
      allowedRoutes: { namespaces: { from: 'All' } },
    };
    expect(attachmentRefusals(gateway([http, open]), 'hooks', {}, undefined)).toEqual([]);
    expect(attachmentRefusals(gateway([http, open]), 'hooks', {}, 'http')).toHaveLength(1);
    expect(attachmentRefusals(gateway([http, open]), 'hooks', {}, 'grpc')).toEqual([
      'it has no listener grpc (its listeners: http, open)',
    ]);
  });

  it('a TCP listener, or one limited to other route kinds, does not take an HTTPRoute', () => {
    const tcp = { name: 'tcp', protocol: 'TCP', port: 5432, allowedRoutes: { namespaces: { from: 'All' } } };
    expect(attachmentRefusals(gateway([tcp]), 'hooks', {}, undefined)).toEqual([
      'listener tcp (TCP) does not take HTTPRoutes',
    ]);
    const grpcOnly = {
      ...http,
      allowedRoutes: { namespaces: { from: 'All' }, kinds: [{ kind: 'GRPCRoute' }] },
    };
    expect(attachmentRefusals(gateway([grpcOnly]), 'hooks', {}, undefined)).toHaveLength(1);
  });
});

describe('selectorMatches', () => {
  it('follows matchLabels and the four operators', () => {
    const labels = { team: 'ci', env: 'prod' };
    expect(selectorMatches({ matchLabels: { team: 'ci' } }, labels)).toBe(true);
    expect(selectorMatches({ matchLabels: { team: 'cd' } }, labels)).toBe(false);
    expect(
      selectorMatches({ matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['dev'] }] }, labels),
    ).toBe(true);
    expect(selectorMatches({ matchExpressions: [{ key: 'env', operator: 'Exists' }] }, labels)).toBe(true);
    expect(selectorMatches({ matchExpressions: [{ key: 'env', operator: 'DoesNotExist' }] }, labels)).toBe(
      false,
    );
  });
});

const route = (
  conditions: Array<{ type: string; status: string; reason?: string }>,
  hostnames?: string[],
): HttpRouteObject => ({
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'HTTPRoute',
  metadata: { name: 'trigger-gateway', namespace: 'hooks' },
  spec: { parentRefs: [{ name: 'eg', namespace: 'gateways' }], ...(hostnames ? { hostnames } : {}) },
  status: { parents: [{ parentRef: { name: 'eg', namespace: 'gateways' }, conditions }] },
});

describe('httpRouteAddress', () => {
  const accepted = [{ type: 'Accepted', status: 'True' }];

  it('is the route hostname on the Gateway listener scheme once accepted and the Gateway has an address', () => {
    const https = { name: 'https', protocol: 'HTTPS', port: 443 };
    expect(
      httpRouteAddress(route(accepted, ['hooks.example.com']), gateway([https], ['192.0.2.1'])),
    ).toMatchObject({
      kind: 'httproute',
      url: 'https://hooks.example.com/',
      routable: true,
    });
  });

  it('is the Gateway address, with a port other than the default, without a hostname', () => {
    const alt = { name: 'alt', protocol: 'HTTP', port: 8080 };
    expect(httpRouteAddress(route(accepted), gateway([alt], ['192.0.2.1'])).url).toBe(
      'http://192.0.2.1:8080/',
    );
  });

  it('says why there is none while the Gateway has not accepted the route, or refused it', () => {
    expect(httpRouteAddress(route([]), gateway([http], ['192.0.2.1']))).toMatchObject({
      routable: false,
      note: 'Gateway gateways/eg has not accepted the HTTPRoute yet',
    });
    expect(
      httpRouteAddress(
        route([{ type: 'Accepted', status: 'False', reason: 'NotAllowedByListeners' }]),
        gateway([http]),
      ).note,
    ).toBe('Gateway gateways/eg did not accept the HTTPRoute: NotAllowedByListeners');
    expect(httpRouteAddress(route(accepted, ['hooks.example.com']), gateway([http]))).toMatchObject({
      url: 'http://hooks.example.com/',
      routable: false,
    });
  });
});

describe('ingressAddress and openShiftRouteAddress', () => {
  it('an Ingress with TLS is https on its host; routable only with a load balancer address', () => {
    const ingress = {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: 'trigger-gateway' },
      spec: { tls: [{ hosts: ['hooks.example.com'] }], rules: [{ host: 'hooks.example.com' }] },
    };
    expect(ingressAddress(ingress)).toMatchObject({ url: 'https://hooks.example.com/', routable: false });
    expect(
      ingressAddress({ ...ingress, status: { loadBalancer: { ingress: [{ ip: '192.0.2.7' }] } } }),
    ).toMatchObject({ routable: true, address: '192.0.2.7' });
  });

  it('a Route is its admitted host, https with TLS; none before a router admits it', () => {
    const openShiftRoute = {
      apiVersion: 'route.openshift.io/v1',
      kind: 'Route',
      metadata: { name: 'trigger-gateway' },
      spec: { tls: { termination: 'edge' } },
    };
    expect(openShiftRouteAddress(openShiftRoute)).toMatchObject({
      routable: false,
      note: 'no router has admitted the Route yet',
    });
    const admitted = {
      ...openShiftRoute,
      status: {
        ingress: [{ host: 'tg.apps.example.com', conditions: [{ type: 'Admitted', status: 'True' }] }],
      },
    };
    expect(openShiftRouteAddress(admitted)).toMatchObject({
      url: 'https://tg.apps.example.com/',
      routable: true,
    });
  });
});

describe('the public port of a Gateway listener behind a LoadBalancer Service', () => {
  type Ports = NonNullable<NonNullable<LoadBalancerServiceObject['spec']>['ports']>;
  const service = (ports: Ports): LoadBalancerServiceObject => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'traefik', namespace: 'traefik' },
    spec: { type: 'LoadBalancer', ports },
    status: { loadBalancer: { ingress: [{ ip: '192.0.2.1' }] } },
  });
  const slice = (ports: Array<{ name: string; port: number }>): EndpointSliceObject => ({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: 'traefik-x1', namespace: 'traefik' },
    ports,
  });

  it('is the Service that has the address, of type LoadBalancer', () => {
    const traefik = service([{ port: 80 }]);
    const clusterIp = { ...traefik, spec: { ...traefik.spec, type: 'ClusterIP' } };
    expect(loadBalancerAt([clusterIp, traefik], '192.0.2.1')).toBe(traefik);
    expect(loadBalancerAt([traefik], '192.0.2.9')).toBeUndefined();
  });

  it("is the port whose target is the listener's (Traefik: :8000 published as 80), named targets through the EndpointSlices", () => {
    const named = service([
      { name: 'web', port: 80, targetPort: 'web' },
      { name: 'websecure', port: 443, targetPort: 'websecure' },
    ]);
    const slices = [
      slice([
        { name: 'web', port: 8000 },
        { name: 'websecure', port: 8443 },
      ]),
    ];
    expect(servicePortTo(named, 8000, slices)).toBe(80);
    expect(servicePortTo(named, 8443, slices)).toBe(443);
    expect(servicePortTo(named, 8000, [])).toBeUndefined();
    expect(servicePortTo(service([{ port: 80, targetPort: 8080 }]), 8080, [])).toBe(80);
    // A Service that publishes the listener's own port (Envoy Gateway's): that port.
    expect(servicePortTo(service([{ port: 8080, targetPort: 10080 }]), 8080, [])).toBe(8080);
  });

  it('gives the route its URL without the listener port, and the address', () => {
    const web = { name: 'web', protocol: 'HTTP', port: 8000 };
    const accepted = route([{ type: 'Accepted', status: 'True' }]);
    expect(httpRouteAddress(accepted, gateway([web], ['192.0.2.1']), 80)).toMatchObject({
      url: 'http://192.0.2.1/',
      address: '192.0.2.1',
      routable: true,
    });
    expect(httpRouteAddress(accepted, gateway([web], ['192.0.2.1'])).url).toBe('http://192.0.2.1:8000/');
  });
});

describe('explainRouteReason', () => {
  const refused = route([{ type: 'Accepted', status: 'False' }], ['hooks.example.com']);

  it("explains the Gateway API's reasons with the route's own values, for controllers that write no message", () => {
    const listeners = gateway([
      { ...http, hostname: '*.example.org' },
      { name: 'any', protocol: 'HTTP' },
    ]);
    expect(explainRouteReason('NoMatchingListenerHostname', refused, listeners)).toBe(
      "the route's hostnames (hooks.example.com) match no listener's hostname (http: *.example.org, any: any host)",
    );
    expect(explainRouteReason('NotAllowedByListeners', refused, listeners)).toBe(
      'no listener of the Gateway takes HTTPRoutes from namespace hooks (their allowedRoutes)',
    );
    expect(explainRouteReason('BackendNotFound', refused, undefined)).toBe(
      "the route's backend, Service trigger-gateway in namespace hooks, does not exist",
    );
    expect(explainRouteReason('SomethingNew', refused, undefined)).toBe('reason SomethingNew');
  });
});
