/**
 * Who the gateway sees behind the real front door, and its limits through it. Several real senders
 * (host addresses on the Node's link) post through Traefik, which passes each one's address on in
 * X-Forwarded-For and drops what an untrusted client sent there itself. With install's default
 * trusted proxies (the pod ranges, where Traefik's pod is), `deliveries` shows each sender, not
 * Traefik's pod; a sender's own X-Forwarded-For gets it past neither an allow-list nor its per-source
 * rate limit; `--max-body` is the gateway's 413 at one byte past the limit, with or without a
 * Content-Length, and a body at the limit arrives whole.
 */
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { type CommandResult, runExecutable } from '../support/cli.ts';
import { freshNamespace } from '../support/clusters.ts';
import { eventually } from '../support/eventually.ts';
import { type Answer, type FrontDoorRequest, postThroughFrontDoor } from './front-door.ts';
import { clientAddress, nodeNetwork } from './network.ts';

const plane = inject('realControlPlane');
const net = nodeNetwork(plane.index);
const ns = freshNamespace('tg-clients');
const host = `${ns}.example.test`;
const ECHO = 'httpecho.trigger:80';
let senders: string[] = [];

function plugin(...args: string[]): Promise<CommandResult> {
  return runExecutable('kubectl', ['trigger-gateway', ...args, '-n', ns], { KUBECONFIG: plane.kubeconfig });
}

/** A GitHub push from `from` through Traefik; its delivery ID and the answer. */
async function push(
  from: string,
  path: string,
  extra: Partial<FrontDoorRequest> = {},
): Promise<{ id: string; answer: Answer }> {
  const id = randomUUID();
  const answer = await postThroughFrontDoor({
    to: plane.ingressAddress ?? '',
    from,
    host,
    path,
    body: '{"ref":"refs/heads/main"}',
    ...extra,
    headers: { 'X-GitHub-Event': 'push', 'X-GitHub-Delivery': id, ...extra.headers },
  });
  return { id, answer };
}

/** The gateway's record of each delivery ID. */
async function records(): Promise<
  Map<string, { client: string; peer: string; status: number; route?: string }>
> {
  const listed = await plugin('deliveries', '-o', 'json');
  expect(listed.exitCode, listed.stderr).toBe(0);
  const all = JSON.parse(listed.stdout) as Array<{
    deliveryId: string;
    client: string;
    peer: string;
    status: number;
  }>;
  return new Map(all.map((record) => [record.deliveryId, record]));
}

/** The echo backend's answer: what it received. */
const echoed = (answer: Answer) =>
  JSON.parse(answer.body.toString('utf8')) as { body: string; headers: Record<string, string> };

beforeAll(async () => {
  expect(plane.ingressAddress, 'Traefik runs where the node does').toBeDefined();
  senders = [1, 2, 3].map((n) => clientAddress(net, n));
  // One gateway pod: rates are counted by each pod on its own.
  const installed = await plugin('install', '--with-echo', '--host', host, '--replicas', '1', '-o', 'json');
  expect(installed.exitCode, installed.stderr).toBe(0);
  expect(JSON.parse(installed.stdout).protection).toMatchObject({
    trustedFrom: 'pod ranges',
    trustedProxies: [net.podCIDR],
  });
  for (const args of [
    ['/allowed', ECHO, '--allow-from', `${senders[0]}/32`],
    ['/limited', ECHO, '--rate-limit', '3/m', '--rate-limit-per-source'],
    ['/small', ECHO, '--max-body', '1KiB'],
  ]) {
    const added = await plugin('route', 'add', ...args);
    expect(added.exitCode, added.stderr).toBe(0);
  }
  // Traefik follows the gateway's new pods on its own clock.
  await eventually(async () => expect((await push(senders[2] ?? '', '/trigger')).answer.status).toBe(200), {
    timeoutMs: 60_000,
    intervalMs: 500,
  });
});

describe('clients behind Traefik', () => {
  it("deliveries shows each real sender as the client, and Traefik's pod as the peer", async () => {
    const sent: Array<{ from: string; id: string; answer: Answer }> = [];
    for (const from of senders) sent.push({ from, ...(await push(from, '/trigger')) });
    for (const { answer } of sent) expect(answer.status).toBe(200);
    await eventually(async () => {
      const recorded = await records();
      for (const { from, id } of sent) {
        const record = recorded.get(id);
        expect(record).toMatchObject({ client: from, route: '/trigger', status: 200 });
        // Traefik's pod, in the pod range: the connection's source is never the sender.
        expect(record?.peer).toMatch(new RegExp(`^10\\.245\\.${plane.index}\\.\\d+$`));
      }
    });
  });

  it('a sender that forges X-Forwarded-For gets no further: an allow-list holds its real address', async () => {
    const [allowed = '', other = ''] = senders;
    expect((await push(allowed, '/allowed')).answer.status).toBe(200);
    const refused = await push(other, '/allowed');
    expect(refused.answer.status).toBe(403);
    const forged = await push(other, '/allowed', { headers: { 'X-Forwarded-For': allowed } });
    expect(forged.answer.status).toBe(403);
    expect(forged.answer.body.toString()).toContain('not in the allow-list of this route');
    await eventually(async () =>
      expect((await records()).get(forged.id)).toMatchObject({ client: other, status: 403 }),
    );
  });

  it('a per-source rate limit counts each real sender, whatever X-Forwarded-For it sends', async () => {
    const [first = '', second = '', third = ''] = senders;
    for (let n = 0; n < 3; n++) expect((await push(first, '/limited')).answer.status).toBe(200);
    const over = await push(first, '/limited');
    expect(over.answer.status).toBe(429);
    expect(over.answer.headers['retry-after']).toBe('60');
    // Another address in X-Forwarded-For each time, to look like someone new: still the same sender.
    for (let n = 0; n < 3; n++) {
      const answer = (await push(second, '/limited', { headers: { 'X-Forwarded-For': `192.0.2.${n + 1}` } }))
        .answer;
      expect(answer.status).toBe(200);
    }
    const disguised = await push(second, '/limited', { headers: { 'X-Forwarded-For': '192.0.2.99' } });
    expect(disguised.answer.status).toBe(429);
    expect((await push(third, '/limited')).answer.status).toBe(200);
  });
});

describe('--max-body through Traefik', () => {
  const atLimit = Buffer.alloc(1024, 'a');
  const overLimit = Buffer.alloc(1025, 'a');

  for (const chunked of [false, true]) {
    it(`${chunked ? 'chunked, without a Content-Length' : 'with a Content-Length'}: the limit passes whole, one byte more is the gateway's 413`, async () => {
      const [from = ''] = senders;
      const whole = await push(from, '/small', { body: atLimit, chunked });
      expect(whole.answer.status).toBe(200);
      const received = echoed(whole.answer);
      expect(received.body).toBe(atLimit.toString());
      // Traefik passes the body on as it came.
      if (chunked) expect(received.headers).toMatchObject({ 'transfer-encoding': 'chunked' });
      else expect(received.headers).toMatchObject({ 'content-length': '1024' });

      const refused = await push(from, '/small', { body: overLimit, chunked });
      expect(refused.answer.status).toBe(413);
      expect(JSON.parse(refused.answer.body.toString())).toEqual({
        error: 'the request body is larger than 1KiB, the max-body of this route',
        gateway: 'trigger-gateway',
      });
      await eventually(async () =>
        expect((await records()).get(refused.id)).toMatchObject({ route: '/small', status: 413 }),
      );
    });
  }
});
