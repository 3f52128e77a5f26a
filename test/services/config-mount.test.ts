/**
 * Where the gateway pods read haproxy.cfg, read from their Deployment: every layout the original
 * manifests allow, the bundled one, and the layouts route edits could not reach, each refused with
 * what was found.
 */
import { describe, expect, it } from 'vitest';
import { ExitCode, GatewayError } from '../../src/errors.ts';
import { CONFIG_DIR, CONFIG_PATH } from '../../src/haproxy/gateway-config.ts';
import { loadBundledManifests } from '../../src/manifests/render.ts';
import type { KubeObject } from '../../src/manifests/types.ts';
import { findConfigMount } from '../../src/services/config-mount.ts';
import {
  HAND_MADE_LAYOUTS,
  handMadeGateway,
  UNREADABLE_LAYOUTS,
  unreadableGateway,
} from '../control-plane/hand-made-gateway.ts';

const configMap = (keys: string[] = ['haproxy.cfg']) => ({
  name: 'haproxy-config',
  namespace: 'legacy',
  keys,
});

/** A Deployment `gateway` with these containers and volumes. */
function deployment(spec: Record<string, unknown>): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'gateway', namespace: 'legacy' },
    spec: { template: { spec } },
  };
}

const configVolume = { name: 'config', configMap: { name: 'haproxy-config' } };
const haproxyContainer = (extra: Record<string, unknown>) => ({
  name: 'gateway',
  image: 'docker.io/haproxytech/haproxy-debian:2.6',
  ...extra,
});

/** The GatewayError findConfigMount throws for the Deployment, as the user reads it. */
function refusal(object: KubeObject, keys?: string[]): { message: string; why: string; next: string[] } {
  try {
    findConfigMount(object, configMap(keys));
  } catch (error) {
    expect(error).toBeInstanceOf(GatewayError);
    const { message, why, next, exitCode } = error as GatewayError;
    expect(exitCode).toBe(ExitCode.clusterState);
    return { message, why: why ?? '', next };
  }
  throw new Error('findConfigMount accepted the layout');
}

describe('layouts route edits reach', () => {
  it('the bundled Deployment: the directory mount its -f reads haproxy.cfg from', () => {
    const bundled = loadBundledManifests().gateway.find(
      (object) => object.kind === 'Deployment',
    ) as KubeObject;
    expect(findConfigMount(bundled, { ...configMap(), name: 'trigger-gateway-haproxy' })).toEqual({
      container: 'haproxy',
      configPath: CONFIG_PATH,
      mountPaths: [CONFIG_DIR],
      files: [{ path: CONFIG_PATH, key: 'haproxy.cfg' }],
    });
  });

  it.each(HAND_MADE_LAYOUTS.map((layout) => [layout.name, layout] as const))('%s', (_name, layout) => {
    const object = handMadeGateway('legacy', layout, '').find(
      (one) => one.kind === 'Deployment',
    ) as KubeObject;
    const mount = findConfigMount(object, configMap(['haproxy.cfg', 'README']));
    expect(mount.container).toBe('gateway');
    expect(mount.configPath).toBe(layout.configPath);
    expect(mount.files).toContainEqual({ path: layout.configPath, key: 'haproxy.cfg' });
  });

  it('every key of a directory mount, and only the subPath of a subPath mount', () => {
    const both = deployment({
      containers: [
        haproxyContainer({
          command: ['haproxy', '-f', '/etc/haproxy/haproxy.cfg'],
          volumeMounts: [
            { name: 'config', mountPath: '/etc/haproxy/haproxy.cfg', subPath: 'haproxy.cfg' },
            { name: 'config', mountPath: '/etc/gateway/' },
          ],
        }),
      ],
      volumes: [configVolume],
    });
    expect(findConfigMount(both, configMap(['haproxy.cfg', 'errors.http']))).toEqual({
      container: 'gateway',
      configPath: '/etc/haproxy/haproxy.cfg',
      mountPaths: ['/etc/haproxy/haproxy.cfg', '/etc/gateway'],
      files: [
        { path: '/etc/haproxy/haproxy.cfg', key: 'haproxy.cfg' },
        { path: '/etc/gateway/haproxy.cfg', key: 'haproxy.cfg' },
        { path: '/etc/gateway/errors.http', key: 'errors.http' },
      ],
    });
  });

  it('-f on the mounted directory, a relative -f with -C, and the files after --', () => {
    const withArgs = (args: string[]) =>
      deployment({
        containers: [
          haproxyContainer({ args, volumeMounts: [{ name: 'config', mountPath: '/etc/haproxy' }] }),
        ],
        volumes: [configVolume],
      });
    expect(
      findConfigMount(withArgs(['-f', '/etc/haproxy']), configMap(['haproxy.cfg', 'hosts.map'])).configPath,
    ).toBe('/etc/haproxy/haproxy.cfg');
    expect(
      findConfigMount(withArgs(['-C', '/etc/haproxy', '-f', 'haproxy.cfg']), configMap()).configPath,
    ).toBe('/etc/haproxy/haproxy.cfg');
    expect(findConfigMount(withArgs(['-db', '--', '/etc/haproxy/haproxy.cfg']), configMap()).configPath).toBe(
      '/etc/haproxy/haproxy.cfg',
    );
  });
});

describe('layouts route edits cannot reach are refused, naming what was found', () => {
  it.each(UNREADABLE_LAYOUTS.map((layout) => [layout.name, layout] as const))('%s', (_name, layout) => {
    const object = unreadableGateway('legacy', '', layout.change).find((one) => one.kind === 'Deployment');
    const { message, why, next } = refusal(object as KubeObject, ['haproxy.cfg', 'global.cfg']);
    expect(message).toBe(`deployment/gateway: ${layout.found}`);
    expect(why).toBe(
      `${layout.why}; route edits change key haproxy.cfg of configmap/haproxy-config, so nothing was written`,
    );
    expect(next).toEqual([
      'mount configmap/haproxy-config in container gateway (a directory, or haproxy.cfg with subPath) and start haproxy with -f on that file',
      'kubectl -n legacy edit deployment gateway',
    ]);
  });

  it('-f on a directory that holds several .cfg keys', () => {
    const { message } = refusal(
      deployment({
        containers: [
          haproxyContainer({
            args: ['-f', '/etc/haproxy'],
            volumeMounts: [{ name: 'config', mountPath: '/etc/haproxy' }],
          }),
        ],
        volumes: [configVolume],
      }),
      ['00-global.cfg', 'haproxy.cfg'],
    );
    expect(message).toBe(
      'deployment/gateway: container gateway loads every .cfg file in /etc/haproxy: 00-global.cfg, haproxy.cfg of configmap/haproxy-config',
    );
  });

  it('the ConfigMap mounted by another container than the one running haproxy', () => {
    const { message, why } = refusal(
      deployment({
        containers: [
          haproxyContainer({}),
          {
            name: 'reloader',
            image: 'example/reloader:1',
            volumeMounts: [{ name: 'config', mountPath: '/config' }],
          },
        ],
        volumes: [configVolume],
      }),
    );
    expect(message).toBe(
      'deployment/gateway: container gateway reads /usr/local/etc/haproxy/haproxy.cfg from its image (no volume is mounted there), not from configmap/haproxy-config',
    );
    expect(why).toContain('only container reloader mounts configmap/haproxy-config');
  });

  it('the config on an emptyDir, the ConfigMap nowhere in the pod', () => {
    const { message, why } = refusal(
      deployment({
        containers: [
          haproxyContainer({ volumeMounts: [{ name: 'scratch', mountPath: '/usr/local/etc/haproxy' }] }),
        ],
        volumes: [{ name: 'scratch', emptyDir: {} }],
      }),
    );
    expect(message).toContain(
      'reads /usr/local/etc/haproxy/haproxy.cfg from volume scratch (emptyDir) mounted at /usr/local/etc/haproxy',
    );
    expect(why).toContain('the pods have no volume of configmap/haproxy-config');
  });

  it('another key of the ConfigMap, a path the mount does not show, a shell, no haproxy at all', () => {
    const mounted = (command: string[], keys?: string[]) =>
      refusal(
        deployment({
          containers: [
            haproxyContainer({ command, volumeMounts: [{ name: 'config', mountPath: '/etc/haproxy' }] }),
          ],
          volumes: [configVolume],
        }),
        keys,
      ).message;
    expect(mounted(['haproxy', '-f', '/etc/haproxy/gateway.cfg'], ['haproxy.cfg', 'gateway.cfg'])).toBe(
      'deployment/gateway: container gateway reads /etc/haproxy/gateway.cfg, which is key gateway.cfg of configmap/haproxy-config',
    );
    expect(mounted(['haproxy', '-f', '/etc/haproxy/other.cfg'])).toBe(
      'deployment/gateway: container gateway reads /etc/haproxy/other.cfg, which configmap/haproxy-config does not hold as mounted at /etc/haproxy (it shows haproxy.cfg)',
    );
    expect(mounted(['/bin/sh', '-c', 'exec haproxy -f /etc/haproxy/haproxy.cfg'])).toBe(
      'deployment/gateway: container gateway starts haproxy through a shell: /bin/sh -c exec haproxy -f /etc/haproxy/haproxy.cfg',
    );
    expect(
      refusal(deployment({ containers: [{ name: 'web', image: 'nginx:1.27' }], volumes: [configVolume] }))
        .message,
    ).toBe('deployment/gateway: no container runs haproxy (containers: web (nginx:1.27))');
  });
});
