/**
 * Gateways set up by hand, as the original manifests did it (configmap/haproxy-config,
 * deployment/gateway, service/gateway), in each way those manifests let a pod read its haproxy.cfg.
 */
import { HAND_MADE_CONFIG_MAP, HAND_MADE_DEPLOYMENT } from '../../src/services/gateway.ts';
import type { KubeObject } from '../support/control-plane/index.ts';

export { HAND_MADE_CONFIG_MAP, HAND_MADE_DEPLOYMENT };
/** The port the hand-made configs of the end-to-end tests bind (as the later original revision did). */
export const HAND_MADE_PORT = 8080;

export interface HandMadeLayout {
  name: string;
  /** Where the pod's haproxy reads its config. */
  configPath: string;
  container: { command?: string[]; args?: string[]; volumeMounts: Array<Record<string, unknown>> };
  volume: Record<string, unknown>;
}

/** The ways the original manifests allow; the reference Deployment is the second. */
export const HAND_MADE_LAYOUTS: HandMadeLayout[] = [
  {
    name: 'a directory mount read through the image default -f',
    configPath: '/usr/local/etc/haproxy/haproxy.cfg',
    container: { volumeMounts: [{ name: 'config', mountPath: '/usr/local/etc/haproxy', readOnly: true }] },
    volume: { name: 'config', configMap: { name: HAND_MADE_CONFIG_MAP } },
  },
  {
    name: 'a subPath mount at the image default path',
    configPath: '/usr/local/etc/haproxy/haproxy.cfg',
    container: {
      volumeMounts: [
        {
          name: 'config',
          mountPath: '/usr/local/etc/haproxy/haproxy.cfg',
          subPath: 'haproxy.cfg',
          readOnly: true,
        },
      ],
    },
    volume: { name: 'config', configMap: { name: HAND_MADE_CONFIG_MAP } },
  },
  {
    name: 'a subPath mount read through a non-default -f',
    configPath: '/etc/haproxy/haproxy.cfg',
    container: {
      command: ['haproxy', '-W', '-db', '-f', '/etc/haproxy/haproxy.cfg'],
      volumeMounts: [
        { name: 'config', mountPath: '/etc/haproxy/haproxy.cfg', subPath: 'haproxy.cfg', readOnly: true },
      ],
    },
    volume: { name: 'config', configMap: { name: HAND_MADE_CONFIG_MAP } },
  },
  {
    name: 'a directory mount of items under another name, -f in args',
    configPath: '/etc/gateway/gateway.cfg',
    container: {
      args: ['-f', '/etc/gateway/gateway.cfg'],
      volumeMounts: [{ name: 'gateway-config', mountPath: '/etc/gateway', readOnly: true }],
    },
    volume: {
      name: 'gateway-config',
      configMap: { name: HAND_MADE_CONFIG_MAP, items: [{ key: 'haproxy.cfg', path: 'gateway.cfg' }] },
    },
  },
];

/** The hand-made gateway's ConfigMap, Deployment and Service in `namespace`, reading `cfg` as `layout` says. */
export function handMadeGateway(namespace: string, layout: HandMadeLayout, cfg: string): KubeObject[] {
  const labels = { app: HAND_MADE_DEPLOYMENT };
  return [
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: HAND_MADE_CONFIG_MAP, namespace },
      data: { 'haproxy.cfg': cfg },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: HAND_MADE_DEPLOYMENT, namespace, labels },
      spec: {
        replicas: 1,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            containers: [
              {
                name: 'gateway',
                image: 'docker.io/haproxytech/haproxy-debian:2.6',
                ports: [{ name: 'http-port', protocol: 'TCP', containerPort: HAND_MADE_PORT }],
                ...layout.container,
              },
            ],
            volumes: [layout.volume],
          },
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: HAND_MADE_DEPLOYMENT, namespace },
      spec: { selector: labels, ports: [{ name: 'http-port', port: 80, targetPort: 'http-port' }] },
    },
  ];
}
