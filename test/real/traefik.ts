/**
 * Traefik v3.6.2 as the real control plane's ingress controller and Gateway API implementation, set
 * up as a platform team (or k3s) sets it up: a Deployment in namespace `traefik` running the traefik
 * image (the node agent runs it from test/real/.bin/traefik, built from test/real/traefik/go.mod) with
 * its Kubernetes Ingress and Kubernetes Gateway providers, behind a LoadBalancer Service whose
 * address (given by the node agent's load balancer, reachable from the host) Traefik publishes in
 * every Ingress's status.loadBalancer and every Gateway's status.addresses; the default IngressClass
 * `traefik`; the GatewayClass `traefik` and a Gateway `traefik` taking HTTPRoutes from every
 * namespace on its HTTP listener. The Gateway API CRDs are the standard channel of the release
 * Traefik v3.6.2 implements (test/real/crds/go.mod: v1.4.0).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KubeClient } from '../../src/kube/client.ts';
import type { KubeObject } from '../../src/manifests/types.ts';
import { runExecutable } from '../support/cli.ts';
import { gatewayApiCrds } from '../support/crds.ts';
import { TRAEFIK_VERSION } from './binaries.ts';
import { eventually } from '../support/eventually.ts';

export const TRAEFIK_NAMESPACE = 'traefik';
/** The IngressClass and GatewayClass, and the Gateway routes attach to (in TRAEFIK_NAMESPACE). */
export const TRAEFIK_CLASS = 'traefik';
export const TRAEFIK_GATEWAY = 'traefik';
const ENTRY_POINTS = { web: 8000, websecure: 8443, traefik: 9000 };
/** The port of the entry point `web`: a Gateway listener Traefik serves on it names this port. */
export const TRAEFIK_WEB_PORT = ENTRY_POINTS.web;

const rbac = (kind: string, spec: object): KubeObject =>
  ({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind,
    metadata: { name: 'traefik' },
    ...spec,
  }) as KubeObject;

const rule = (apiGroups: string[], resources: string[], verbs: string[]) => ({ apiGroups, resources, verbs });

const GATEWAY_KINDS = [
  'gatewayclasses',
  'gateways',
  'httproutes',
  'grpcroutes',
  'referencegrants',
  'backendtlspolicies',
];

/** Every object of the installation but the CRDs. */
export function traefikObjects(): KubeObject[] {
  const labels = { 'app.kubernetes.io/name': 'traefik', 'app.kubernetes.io/instance': 'traefik' };
  const ns = TRAEFIK_NAMESPACE;
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } },
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'traefik', namespace: ns } },
    rbac('ClusterRole', {
      rules: [
        rule([''], ['services', 'secrets', 'configmaps', 'namespaces', 'nodes'], ['get', 'list', 'watch']),
        rule(['discovery.k8s.io'], ['endpointslices'], ['list', 'watch']),
        rule(['networking.k8s.io'], ['ingresses', 'ingressclasses'], ['get', 'list', 'watch']),
        rule(['networking.k8s.io'], ['ingresses/status'], ['update']),
        rule(['gateway.networking.k8s.io'], GATEWAY_KINDS, ['get', 'list', 'watch']),
        rule(
          ['gateway.networking.k8s.io'],
          GATEWAY_KINDS.map((kind) => `${kind}/status`),
          ['update'],
        ),
      ],
    }),
    rbac('ClusterRoleBinding', {
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'traefik' },
      subjects: [{ kind: 'ServiceAccount', name: 'traefik', namespace: ns }],
    }),
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'IngressClass',
      metadata: {
        name: TRAEFIK_CLASS,
        annotations: { 'ingressclass.kubernetes.io/is-default-class': 'true' },
      },
      spec: { controller: 'traefik.io/ingress-controller' },
    },
    {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'GatewayClass',
      metadata: { name: TRAEFIK_CLASS },
      spec: { controllerName: 'traefik.io/gateway-controller' },
    },
    {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'Gateway',
      metadata: { name: TRAEFIK_GATEWAY, namespace: ns },
      spec: {
        gatewayClassName: TRAEFIK_CLASS,
        // Each listener is one of Traefik's entry points, by its port.
        listeners: [
          {
            name: 'web',
            port: ENTRY_POINTS.web,
            protocol: 'HTTP',
            allowedRoutes: { namespaces: { from: 'All' } },
          },
        ],
      },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'traefik', namespace: ns, labels },
      spec: {
        replicas: 1,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: 'traefik',
            securityContext: { runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532 },
            containers: [
              {
                name: 'traefik',
                image: `docker.io/library/traefik:${TRAEFIK_VERSION}`,
                args: [
                  `--entryPoints.web.address=:${ENTRY_POINTS.web}`,
                  `--entryPoints.websecure.address=:${ENTRY_POINTS.websecure}`,
                  // As Traefik's Helm chart sets it: every router on websecure terminates TLS.
                  '--entryPoints.websecure.http.tls=true',
                  `--entryPoints.traefik.address=:${ENTRY_POINTS.traefik}`,
                  '--ping=true',
                  '--providers.kubernetesingress=true',
                  `--providers.kubernetesingress.ingressEndpoint.publishedService=${ns}/traefik`,
                  '--providers.kubernetesgateway=true',
                  `--providers.kubernetesgateway.statusAddress.service.name=traefik`,
                  `--providers.kubernetesgateway.statusAddress.service.namespace=${ns}`,
                  '--accesslog=true',
                  '--log.level=INFO',
                ],
                ports: Object.entries(ENTRY_POINTS).map(([name, containerPort]) => ({ name, containerPort })),
                readinessProbe: { httpGet: { path: '/ping', port: 'traefik' }, periodSeconds: 2 },
                livenessProbe: { httpGet: { path: '/ping', port: 'traefik' }, periodSeconds: 10 },
                securityContext: {
                  allowPrivilegeEscalation: false,
                  readOnlyRootFilesystem: true,
                  capabilities: { drop: ['ALL'] },
                },
              },
            ],
          },
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'traefik', namespace: ns, labels },
      spec: {
        type: 'LoadBalancer',
        // The client's own address reaches Traefik, which passes it on in X-Forwarded-For.
        externalTrafficPolicy: 'Local',
        selector: labels,
        ports: [
          { name: 'web', port: 80, targetPort: 'web' },
          { name: 'websecure', port: 443, targetPort: 'websecure' },
        ],
      },
    },
  ] as KubeObject[];
}

export interface RealTraefik {
  /** The address of its LoadBalancer Service: http://ADDRESS and https://ADDRESS reach its entry points. */
  address: string;
}

/**
 * Installs the Gateway API CRDs and Traefik (server-side, through the real kubectl) and waits until
 * Traefik is Ready, its Service has its address and its Gateway is Programmed.
 */
export async function installTraefik(
  kubeconfig: string,
  kube: KubeClient,
  dir: string,
  timeoutMs = 120_000,
): Promise<RealTraefik> {
  const kubectl = async (args: string[]) => {
    const done = await runExecutable('kubectl', args, { KUBECONFIG: kubeconfig });
    if (done.exitCode !== 0)
      throw new Error(`kubectl ${args.slice(0, 2).join(' ')} (Traefik) failed: ${done.stderr}`);
  };
  const crds = join(dir, 'gateway-api-crds.json');
  writeFileSync(crds, JSON.stringify({ apiVersion: 'v1', kind: 'List', items: gatewayApiCrds() }));
  await kubectl(['apply', '--server-side', '--field-manager=gateway-api', '-f', crds]);
  await kubectl([
    'wait',
    '--for=condition=Established',
    `--timeout=${Math.round(timeoutMs / 1000)}s`,
    '-f',
    crds,
  ]);
  const objects = join(dir, 'traefik.json');
  writeFileSync(objects, JSON.stringify({ apiVersion: 'v1', kind: 'List', items: traefikObjects() }));
  await kubectl(['apply', '--server-side', '--field-manager=traefik-install', '-f', objects]);
  return eventually(
    async () => {
      const deployment = await kube.read<KubeObject & { status?: { availableReplicas?: number } }>({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        name: 'traefik',
        namespace: TRAEFIK_NAMESPACE,
      });
      if (!deployment?.status?.availableReplicas) throw new Error('traefik is not available yet');
      const service = await kube.read<
        KubeObject & { status?: { loadBalancer?: { ingress?: Array<{ ip?: string }> } } }
      >({ apiVersion: 'v1', kind: 'Service', name: 'traefik', namespace: TRAEFIK_NAMESPACE });
      const address = service?.status?.loadBalancer?.ingress?.[0]?.ip;
      if (!address) throw new Error('service traefik has no load balancer address yet');
      const gateway = await kube.read<
        KubeObject & { status?: { conditions?: Array<{ type: string; status: string }> } }
      >({
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'Gateway',
        name: TRAEFIK_GATEWAY,
        namespace: TRAEFIK_NAMESPACE,
      });
      if (!gateway?.status?.conditions?.some((c) => c.type === 'Programmed' && c.status === 'True'))
        throw new Error('gateway traefik is not Programmed yet');
      return { address };
    },
    { timeoutMs, intervalMs: 500 },
  );
}
