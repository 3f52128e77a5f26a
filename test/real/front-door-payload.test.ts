/**
 * A webhook of 25 MiB, GitHub's maximum and the gateway's default --max-body, arrives whole through
 * both proxies (Traefik, then the gateway) at a real Tekton EventListener, whose GitHub interceptor
 * checks its HMAC-SHA256 signature over every byte it received: only then does the trigger create
 * its PipelineRun, labelled with the event's ID, from values read out of the body. One byte more is
 * the gateway's 413, before anything reaches the listener.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { KubeClient } from '../../src/kube/client.ts';
import { resolveKubeTarget } from '../../src/kube/kubeconfig.ts';
import type { KubeObject } from '../../src/manifests/types.ts';
import { hmacSignature } from '../../src/webhook/index.ts';
import { type CommandResult, runExecutable } from '../support/cli.ts';
import { freshNamespace } from '../support/clusters.ts';
import { eventually } from '../support/eventually.ts';
import { type FrontDoorRequest, postThroughFrontDoor } from './front-door.ts';
import { applyObjects, listenerObjects, waitForListener, webhookSecret } from './listeners.ts';

const plane = inject('realControlPlane');
const ns = freshNamespace('tg-payload');
const listeners = freshNamespace('tg-listener');
const host = `${ns}.example.test`;
const SECRET = randomUUID();
const GITHUB_MAXIMUM = 25 * 1024 * 1024;
const kube = new KubeClient(resolveKubeTarget({ kubeconfig: plane.kubeconfig, requestTimeoutMs: 30_000 }));

function plugin(...args: string[]): Promise<CommandResult> {
  return runExecutable('kubectl', ['trigger-gateway', ...args, '-n', ns], { KUBECONFIG: plane.kubeconfig });
}

/** A push payload of exactly `size` bytes: a real one's fields, then padding. */
function pushOfSize(size: number, repository: string): Buffer {
  const head = `{"ref":"refs/heads/main","repository":{"full_name":"${repository}"},"padding":"`;
  const tail = '"}';
  return Buffer.concat([
    Buffer.from(head),
    Buffer.alloc(size - head.length - tail.length, 'x'),
    Buffer.from(tail),
  ]);
}

/** The signed push through Traefik and the gateway to the listener's route; its delivery ID and the answer. */
async function sendSigned(body: Buffer, options: Partial<FrontDoorRequest> = {}) {
  const id = randomUUID();
  const answer = await postThroughFrontDoor({
    to: plane.ingressAddress ?? '',
    host,
    path: '/github',
    headers: {
      'X-GitHub-Event': 'push',
      'X-GitHub-Delivery': id,
      'X-Hub-Signature-256': hmacSignature('sha256', SECRET, body),
    },
    body,
    ...options,
  });
  return { id, ...answer };
}

beforeAll(async () => {
  expect(plane.ingressAddress, 'Traefik runs where the node does').toBeDefined();
  await applyObjects(plane.kubeconfig, mkdtempSync(join(tmpdir(), 'tg-listener-')), [
    webhookSecret(listeners, 'github-webhook', SECRET),
    ...listenerObjects({
      namespace: listeners,
      name: 'github',
      provider: 'github',
      secretName: 'github-webhook',
      eventTypes: ['push'],
    }),
  ]);
  await waitForListener(kube, listeners, 'github');
  const installed = await plugin('install', '--host', host);
  expect(installed.exitCode, installed.stderr).toBe(0);
  const routed = await plugin(
    'route',
    'add',
    '/github',
    '--event-listener',
    'github',
    '--listener-namespace',
    listeners,
  );
  expect(routed.exitCode, routed.stderr).toBe(0);
});

afterAll(() => kube.close());

describe("GitHub's largest webhook through the real front door", () => {
  it('25 MiB arrive whole: the GitHub interceptor verifies the signature, and the trigger creates its PipelineRun', async () => {
    const body = pushOfSize(GITHUB_MAXIMUM, 'example/largest');
    // Traefik routes a new Ingress once it sees the gateway's ready endpoints.
    const answer = await eventually(
      async () => {
        const sent = await sendSigned(body);
        expect(sent.status, sent.body.toString()).toBe(202);
        return sent;
      },
      { timeoutMs: 60_000, intervalMs: 1000 },
    );
    const { eventID } = JSON.parse(answer.body.toString()) as { eventID: string };
    const run = await eventually(
      async () => {
        const [created] = await kube.list<
          KubeObject & { spec: { params: Array<{ name: string; value: string }> } }
        >('tekton.dev/v1', 'PipelineRun', {
          namespace: listeners,
          labelSelector: `triggers.tekton.dev/triggers-eventid=${eventID}`,
        });
        expect(created, `a PipelineRun for event ${eventID}`).toBeDefined();
        return created;
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    ).catch(async (error: unknown) => {
      const logged = await runExecutable(
        'kubectl',
        ['logs', '-n', listeners, 'deployment/el-github', '--tail=20'],
        {
          KUBECONFIG: plane.kubeconfig,
        },
      );
      throw new Error(`${String(error)}\nthe listener logged:\n${logged.stdout}${logged.stderr}`, {
        cause: error,
      });
    });
    expect(run?.spec.params).toContainEqual({ name: 'repository', value: 'example/largest' });
  });

  it("one byte more is the gateway's 413, before anything reaches the listener", async () => {
    const tooLarge = pushOfSize(GITHUB_MAXIMUM + 1, 'example/too-large');
    const refusal = {
      error: 'the request body is larger than 25MiB, the max-body of this route',
      gateway: 'trigger-gateway',
    };
    // A sender that waits for 100 Continue (curl, for large bodies) gets it before sending any.
    const waited = await sendSigned(tooLarge, { expectContinue: true });
    expect(waited.status).toBe(413);
    expect(JSON.parse(waited.body.toString())).toEqual(refusal);

    // One that sends at once: HAProxy 3.0 and later read the rest of the body before closing, so
    // Traefik passes the 413 on; earlier ones close at once, and Traefik may answer 502 instead.
    const shown = await plugin('status', '-o', 'json');
    const version = (JSON.parse(shown.stdout) as { haproxyVersion?: string }).haproxyVersion ?? '';
    const eager = await sendSigned(tooLarge);
    expect(Number.parseInt(version, 10) >= 3 ? [413] : [413, 502], version).toContain(eager.status);
    const recorded = await eventually(async () => {
      const found = await plugin('deliveries', '--id', eager.id, '-o', 'json');
      expect(found.exitCode, found.stderr).toBe(0);
      return JSON.parse(found.stdout) as Array<{ status: number; route: string }>;
    });
    expect(recorded).toEqual([expect.objectContaining({ status: 413, route: '/github' })]);
  });
});
