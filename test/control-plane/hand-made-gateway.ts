/**
 * Gateways set up by hand, as the original manifests did it (configmap/haproxy-config,
 * deployment/gateway, service/gateway), in each way those manifests let a pod read its haproxy.cfg.
 */
import { HAND_MADE_CONFIG_MAP, HAND_MADE_DEPLOYMENT } from '../../src/services/gateway.ts';
import type { KubeObject } from '../support/control-plane/index.ts';
import { appWithService } from './gateway-fixture.ts';

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
  const container = {
    name: 'gateway',
    image: 'docker.io/haproxytech/haproxy-debian:2.6',
    ports: [{ name: 'http-port', protocol: 'TCP', containerPort: HAND_MADE_PORT }],
    ...layout.container,
  };
  return [
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: HAND_MADE_CONFIG_MAP, namespace },
      data: { 'haproxy.cfg': cfg },
    },
    ...appWithService(
      HAND_MADE_DEPLOYMENT,
      namespace,
      { containers: [container], volumes: [layout.volume] },
      [{ name: 'http-port', port: 80, targetPort: 'http-port' }],
    ),
  ];
}

type PodSpec = Record<string, unknown> & { containers: Array<Record<string, unknown>>; volumes: unknown[] };

/** Ways a pod can run haproxy on a config route edits never reach, each a change to the reference pod. */
export const UNREADABLE_LAYOUTS: Array<{
  name: string;
  change: (spec: PodSpec) => void;
  found: string;
  why: string;
}> = [
  {
    name: 'an init container copies the config into an emptyDir',
    change: (spec) => {
      spec.initContainers = [
        {
          name: 'copy-config',
          image: 'busybox:1.36',
          command: ['cp', '/config/haproxy.cfg', '/work/haproxy.cfg'],
          volumeMounts: [
            { name: 'config', mountPath: '/config' },
            { name: 'work', mountPath: '/work' },
          ],
        },
      ];
      spec.volumes.push({ name: 'work', emptyDir: {} });
      Object.assign(spec.containers[0] as object, {
        volumeMounts: [{ name: 'work', mountPath: '/usr/local/etc/haproxy' }],
      });
    },
    found:
      'container gateway reads /usr/local/etc/haproxy/haproxy.cfg from volume work (emptyDir) mounted at /usr/local/etc/haproxy, not from configmap/haproxy-config',
    why: 'init container copy-config mounts configmap/haproxy-config, so that file is a copy made at start, which a ConfigMap edit never reaches',
  },
  {
    name: 'the config is assembled from several keys',
    change: (spec) => {
      Object.assign(spec.containers[0] as object, {
        command: ['haproxy', '-f', '/etc/haproxy/global.cfg', '-f', '/etc/haproxy/haproxy.cfg'],
        volumeMounts: [{ name: 'config', mountPath: '/etc/haproxy' }],
      });
    },
    found:
      'container gateway assembles its config from several files: /etc/haproxy/global.cfg, /etc/haproxy/haproxy.cfg',
    why: 'the tool edits one file, haproxy.cfg, and cannot tell how the others combine with it',
  },
  {
    name: 'the container that runs haproxy does not mount the ConfigMap',
    change: (spec) => {
      Object.assign(spec.containers[0] as object, { volumeMounts: [] });
      spec.containers.push({
        name: 'config-reloader',
        image: 'example/reloader:1',
        volumeMounts: [{ name: 'config', mountPath: '/config' }],
      });
    },
    found:
      'container gateway reads /usr/local/etc/haproxy/haproxy.cfg from its image (no volume is mounted there), not from configmap/haproxy-config',
    why: 'only container config-reloader mounts configmap/haproxy-config',
  },
];

/** The reference gateway (haproxy.cfg mounted with subPath at the image's path), its pod changed by `change`. */
export function unreadableGateway(
  namespace: string,
  cfg: string,
  change: (spec: PodSpec) => void,
): KubeObject[] {
  const objects = handMadeGateway(namespace, HAND_MADE_LAYOUTS[1] as HandMadeLayout, cfg);
  const deployment = objects.find((object) => object.kind === 'Deployment') as KubeObject;
  change((deployment.spec as { template: { spec: PodSpec } }).template.spec);
  return objects;
}
