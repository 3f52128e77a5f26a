/**
 * The real front door routes to the gateway: install's Ingress (the default) and `install --expose
 * httproute --gateway traefik.traefik`, both served by Traefik at its LoadBalancer address, the
 * HTTPRoute's Accepted and ResolvedRefs written by Traefik's own controller, and switches from one
 * kind to the other and back while a provider keeps sending (up to 100 webhooks a second): every webhook answered 200 and recorded
 * by this gateway, and nothing of the old kind left. Each gateway has a host of its own (other
 * suites' gateways share Traefik), which resolves nowhere here: requests name it in Host.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { KubeClient } from '../../src/kube/client.ts';
import { resolveKubeTarget } from '../../src/kube/kubeconfig.ts';
import type { KubeObject } from '../../src/manifests/types.ts';
import { type CommandResult, runExecutable } from '../support/cli.ts';
import { freshNamespace } from '../support/clusters.ts';
import { eventually } from '../support/eventually.ts';
import { type Answer, postThroughFrontDoor } from './front-door.ts';
import { TRAEFIK_GATEWAY, TRAEFIK_NAMESPACE } from './traefik.ts';

const plane = inject('realControlPlane');
const ns = freshNamespace('tg-door');
const host = `${ns}.example.test`;
const address = plane.ingressAddress ?? '';
const OURS = 'app.kubernetes.io/managed-by=kubectl-trigger-gateway';
const kube = new KubeClient(resolveKubeTarget({ kubeconfig: plane.kubeconfig, requestTimeoutMs: 30_000 }));

function plugin(...args: string[]): Promise<CommandResult> {
  return runExecutable('kubectl', ['trigger-gateway', ...args, '-n', ns], { KUBECONFIG: plane.kubeconfig });
}

/** A GitHub push through Traefik to the gateway's /trigger; its delivery ID and the answer. */
async function push(): Promise<{ id: string; answer: Answer | Error }> {
  const id = randomUUID();
  const answer = await postThroughFrontDoor({
    to: address,
    host,
    path: '/trigger',
    headers: { 'X-GitHub-Event': 'push', 'X-GitHub-Delivery': id },
    body: '{"ref":"refs/heads/main"}',
  }).catch((error: Error) => error);
  return { id, answer };
}

/** What the gateway recorded, by delivery ID. */
async function recorded(): Promise<Map<string, { status: number; client: string }>> {
  const listed = await plugin('deliveries', '-o', 'json');
  expect(listed.exitCode, listed.stderr).toBe(0);
  const records = JSON.parse(listed.stdout) as Array<{ deliveryId: string; status: number; client: string }>;
  return new Map(records.map((record) => [record.deliveryId, record]));
}

/** A provider sending a push every 10 ms, one after the other, each tagged with the phase it was sent in. */
function keepSending() {
  const sent: Array<{ id: string; phase: string; answer: Answer | Error }> = [];
  let phase = 'before';
  let running = true;
  const loop = (async () => {
    while (running) {
      const during = phase;
      sent.push({ phase: during, ...(await push()) });
      // Pacing, not waiting for anything: up to 100 webhooks a second.
      await delay(10);
    }
  })();
  return {
    /** The phase the next webhooks belong to. */
    enter: (next: string) => (phase = next),
    stop: async () => {
      running = false;
      await loop;
      return sent;
    },
  };
}

async function exposureStatus() {
  const shown = await plugin('status', '-o', 'json');
  expect(shown.exitCode, shown.stderr).toBe(0);
  return JSON.parse(shown.stdout) as {
    publicUrl?: string;
    exposure: { kind: string; address?: string };
  };
}

const ours = (apiVersion: string, kind: string) =>
  kube.list(apiVersion, kind, { namespace: ns, labelSelector: OURS });

beforeAll(() => {
  expect(plane.ingressAddress, 'Traefik runs where the node does').toBeDefined();
});

afterAll(() => kube.close());

describe('the gateway behind Traefik, as an Ingress and as an HTTPRoute', () => {
  it('install (an Ingress) is served by Traefik at the address it publishes, which status shows', async () => {
    const installed = await plugin('install', '--with-echo', '--host', host);
    expect(installed.exitCode, installed.stderr).toBe(0);
    expect(await exposureStatus()).toMatchObject({
      publicUrl: `http://${host}/`,
      exposure: { kind: 'ingress', address },
    });
    // Traefik routes a new Ingress once it sees the gateway's ready endpoints.
    const { id } = await eventually(
      async () => {
        const sent = await push();
        expect(sent.answer).toMatchObject({ status: 200 });
        return sent;
      },
      { timeoutMs: 30_000, intervalMs: 500 },
    );
    await eventually(async () => expect((await recorded()).get(id)).toMatchObject({ status: 200 }));
  });

  it("switching to an HTTPRoute on Traefik's Gateway and back: Traefik's controller accepts it, nothing of the old kind is left, and not one webhook is lost", async () => {
    const sender = keepSending();
    let sent: Array<{ id: string; phase: string; answer: Answer | Error }> = [];
    try {
      sender.enter('to an HTTPRoute');
      const switched = await plugin(
        ...['install', '--with-echo', '--host', host, '--expose', 'httproute'],
        ...['--gateway', `${TRAEFIK_GATEWAY}.${TRAEFIK_NAMESPACE}`],
      );
      expect(switched.exitCode, switched.stderr).toBe(0);
      sender.enter('an HTTPRoute');
      expect(switched.stdout).toContain(
        `Exposed by httproute.gateway.networking.k8s.io/trigger-gateway (Accepted=True Accepted, ResolvedRefs=True ResolvedRefs): http://${host}/`,
      );
      const [route] = (await ours('gateway.networking.k8s.io/v1', 'HTTPRoute')) as Array<
        KubeObject & {
          status?: {
            parents?: Array<{ controllerName: string; conditions: Array<{ type: string; status: string }> }>;
          };
        }
      >;
      expect(route?.status?.parents).toEqual([
        expect.objectContaining({
          controllerName: 'traefik.io/gateway-controller',
          conditions: expect.arrayContaining([
            expect.objectContaining({ type: 'Accepted', status: 'True' }),
            expect.objectContaining({ type: 'ResolvedRefs', status: 'True' }),
          ]) as unknown,
        }),
      ]);
      expect(await ours('networking.k8s.io/v1', 'Ingress')).toEqual([]);
      // The URL has port 80, which Traefik's Service publishes, not its listener's :8000.
      expect(await exposureStatus()).toMatchObject({
        publicUrl: `http://${host}/`,
        exposure: { kind: 'httproute', address },
      });
      const tested = await plugin('test', '-o', 'json');
      expect(tested.exitCode, tested.stderr).toBe(0);
      expect(JSON.parse(tested.stdout)).toMatchObject({ via: 'httproute', address, status: 200 });

      sender.enter('back to the Ingress');
      const back = await plugin('install', '--with-echo', '--host', host);
      expect(back.exitCode, back.stderr).toBe(0);
      sender.enter('the Ingress');
      expect(back.stdout).toContain('httproute.gateway.networking.k8s.io/trigger-gateway (');
      expect(await ours('gateway.networking.k8s.io/v1', 'HTTPRoute')).toEqual([]);
      expect(await ours('networking.k8s.io/v1', 'Ingress')).toHaveLength(1);
    } finally {
      sent = await sender.stop();
    }
    // Webhooks went out all through both switches, and every one arrived.
    const phases = new Set(sent.map(({ phase }) => phase));
    expect(phases).toContain('to an HTTPRoute');
    expect(phases).toContain('back to the Ingress');
    expect(sent.filter(({ answer }) => answer instanceof Error || answer.status !== 200)).toEqual([]);
    await eventually(async () => {
      const records = await recorded();
      expect(sent.filter(({ id }) => records.get(id)?.status !== 200)).toEqual([]);
    });
  });
});
