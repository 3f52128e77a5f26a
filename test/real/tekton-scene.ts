/**
 * The scene of the Tekton suites: the real control plane of the run (with Tekton Triggers, which its
 * global setup installed), a gateway of their own in a fresh namespace, and their listeners.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import Deliveries from '../../src/commands/deliveries.ts';
import Install from '../../src/commands/install.ts';
import RouteAdd from '../../src/commands/route/add.ts';
import Uninstall from '../../src/commands/uninstall.ts';
import { KubeClient } from '../../src/kube/client.ts';
import { resolveKubeTarget } from '../../src/kube/kubeconfig.ts';
import type { KubeObject } from '../../src/manifests/types.ts';
import { runCommand } from '../support/cli.ts';
import { freshNamespace } from '../support/clusters.ts';
import { eventually } from '../support/eventually.ts';
import { sendDelivery } from '../support/forges/server.ts';
import {
  applyObjects,
  listenerObjects,
  type ListenerSpec,
  waitForListener,
  webhookSecret,
} from './listeners.ts';

/** Tekton runs only where the node agent runs pods (test/real/global-setup.ts). */
export const tektonInstalled = (): boolean => inject('realControlPlane')?.node === true;

export interface TektonScene {
  kubeconfig: string;
  kube: KubeClient;
  /** The gateway's namespace. */
  gateway: string;
  /** Runs a command in this process against the gateway, as `kubectl trigger-gateway … -n <gateway>`. */
  run(command: Parameters<typeof runCommand>[0], ...args: string[]): ReturnType<typeof runCommand>;
  /** Creates a listener (and its Secret, unless `secret` is undefined) and waits until it is Ready. */
  addListener(spec: ListenerSpec, secret: string | undefined): Promise<void>;
  /** Applies objects as they are, with the real kubectl. */
  apply(objects: KubeObject[]): Promise<void>;
  /** `route add PATH --event-listener NAME --listener-namespace NS`, which must succeed. */
  route(path: string, listener: string, namespace: string): Promise<void>;
  /**
   * Waits until Traefik sends requests for `path` (with Host `host`) to this gateway's pods that route
   * it: route add rolls the pods, and Traefik reads the new endpoints (and any priority) a moment
   * later. Five in a row, answered 202 by a listener and recorded by this gateway, show it.
   */
  throughIngress(path: string, host?: string): Promise<void>;
  /** Uninstalls the gateway (its Ingress included), then closes the client. */
  close(): Promise<void>;
}

/** The scene's gateway, installed with `installArgs` (a host of its own unless they name one or --expose). */
export async function tektonScene(prefix: string, installArgs: string[] = []): Promise<TektonScene> {
  const { kubeconfig } = inject('realControlPlane');
  const kube = new KubeClient(resolveKubeTarget({ kubeconfig, requestTimeoutMs: 30_000 }));
  const gateway = freshNamespace(`${prefix}-gw`);
  const dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
  const run: TektonScene['run'] = (command, ...args) =>
    runCommand(command, ['--kubeconfig', kubeconfig, '-n', gateway, ...args]);
  // A host of its own: on the one Traefik of the run, gateways without one share the catch-all rule
  // of every host, and Traefik sends each request to any of them.
  const own = installArgs.some((arg) => arg === '--host' || arg.startsWith('--expose'))
    ? []
    : ['--host', `${gateway}.hooks.test`];
  const installed = await run(Install, ...own, ...installArgs);
  if (installed.exitCode !== 0) throw new Error(`install failed: ${installed.stderr}`);
  const apply = (objects: KubeObject[]) => applyObjects(kubeconfig, dir, objects);
  return {
    kubeconfig,
    kube,
    gateway,
    run,
    apply,
    async addListener(spec, secret) {
      await apply([
        ...(secret === undefined ? [] : [webhookSecret(spec.namespace, spec.secretName, secret)]),
        ...listenerObjects(spec),
      ]);
      await waitForListener(kube, spec.namespace, spec.name);
    },
    async route(path, listener, namespace) {
      const added = await run(
        RouteAdd,
        path,
        '--event-listener',
        listener,
        '--listener-namespace',
        namespace,
      );
      if (added.exitCode !== 0) throw new Error(`route add ${path} failed: ${added.stderr}`);
    },
    async throughIngress(path, host) {
      const address = inject('realControlPlane').ingressAddress;
      await eventually(
        async () => {
          const ids: string[] = [];
          for (let sent = 0; sent < 5; sent++) {
            const id = randomUUID();
            ids.push(id);
            // To Traefik's address, with the Host a provider would send.
            const answer = await sendDelivery(
              `http://${host ?? address}${path}`,
              { 'X-GitHub-Event': 'ping', 'X-GitHub-Delivery': id, 'Content-Type': 'application/json' },
              Buffer.from('{}'),
              () => ({ host: address ?? '', port: 80 }),
            );
            if (answer.status !== 202) throw new Error(`${path} through Traefik: HTTP ${answer.status}`);
          }
          const listed = await run(Deliveries, '--route', path, '-o', 'json');
          const recorded = (JSON.parse(listed.stdout || '[]') as Array<{ deliveryId?: string }>).map(
            (delivery) => delivery.deliveryId,
          );
          const missing = ids.filter((id) => !recorded.includes(id));
          if (missing.length > 0) throw new Error(`not recorded by this gateway: ${missing.join(', ')}`);
        },
        { timeoutMs: 90_000, intervalMs: 1000 },
      );
    },
    async close() {
      // A gateway left behind would go on competing for Traefik's requests in later suites.
      await run(Uninstall);
      await kube.close();
    },
  };
}

/** The listeners both suites route to: GitHub pushes and pull requests, GitLab pushes. */
export const githubListener = (namespace: string): ListenerSpec => ({
  namespace,
  name: 'github-listener',
  provider: 'github',
  secretName: 'github-webhook',
  eventTypes: ['push', 'pull_request'],
});
export const gitlabListener = (namespace: string): ListenerSpec => ({
  namespace,
  name: 'gitlab-listener',
  provider: 'gitlab',
  secretName: 'gitlab-webhook',
  eventTypes: ['Push Hook'],
});

/** The eventID an error or report names: "… for event <id> …". */
export const eventIdIn = (text: string): string | undefined => /for event ([0-9a-f-]{36})/.exec(text)?.[1];
