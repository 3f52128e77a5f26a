/**
 * The gateway's delivery record: real HAProxy pods (the control plane's data plane) serving the config
 * `install` wrote print one JSON line per request, whatever the sender put in its headers, with the
 * provider's IDs, cut values marked, and no query string, signature or token.
 */
import { mkdtempSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Install from '../../src/commands/install.ts';
import { type Delivery, parseDeliveryLog } from '../../src/haproxy/delivery-log.ts';
import { runCommand } from '../support/cli.ts';
import {
  type ControlPlaneWithDataPlane,
  type KubeObject,
  startControlPlane,
} from '../support/control-plane/index.ts';
import { eventually } from '../support/eventually.ts';
import { findHaproxy } from '../support/haproxy.ts';

let plane: ControlPlaneWithDataPlane;

function gateway(): { host: string; port: number } {
  return plane.dataPlane.serviceAddress('trigger-gateway', 'trigger-gateway', 80);
}

/** Everything the gateway pods printed, all pods together. */
function gatewayLogs(): string {
  return plane
    .list('pods', 'trigger-gateway')
    .map((pod) => plane.dataPlane.logs(pod as KubeObject))
    .join('\n');
}

/** One request written byte for byte on its own connection (fetch refuses control characters); the reply. */
async function sendRaw(request: string | Buffer): Promise<string> {
  const { host, port } = gateway();
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    let reply = '';
    socket.on('data', (chunk) => {
      reply += chunk.toString('latin1');
    });
    socket.on('end', () => resolve(reply));
    socket.on('error', reject);
    socket.write(request);
  });
}

function rawPost(path: string, headers: string[]): string {
  return [
    `POST ${path} HTTP/1.1`,
    'Host: gateway',
    ...headers,
    'Content-Length: 0',
    'Connection: close',
    '',
    '',
  ].join('\r\n');
}

const SECRET = 'do-not-log-me';

describe.skipIf(!findHaproxy() && !process.env.CI)('the delivery record on the gateway pods', () => {
  let records: Delivery[];
  let log: string;
  const sent: string[] = [];

  beforeAll(async () => {
    plane = await startControlPlane({ dataPlane: true });
    const kubeconfig = plane.writeKubeconfig(join(mkdtempSync(join(tmpdir(), 'tg-record-')), 'kubeconfig'));
    // The test stands in for the Ingress controller: trust its address, so its X-Forwarded-For names the client.
    const installed = await runCommand(Install, [
      '--kubeconfig',
      kubeconfig,
      '--with-echo',
      '--trusted-proxies',
      '127.0.0.1',
    ]);
    expect(installed.exitCode, installed.stderr).toBe(0);

    const { host, port } = gateway();
    // The echo route's backend resolves on HAProxy's own clock: wait until it answers.
    await eventually(async () => {
      const response = await fetch(`http://${host}:${port}/trigger/ready`, { method: 'POST', body: '{}' });
      expect(response.status).toBe(200);
    });

    const github = await fetch(`http://${host}:${port}/trigger/push?token=${SECRET}`, {
      method: 'POST',
      body: '{"ref":"main"}',
      headers: {
        'X-GitHub-Event': 'push',
        'X-GitHub-Delivery': 'gh-delivery-1',
        'X-GitHub-Hook-ID': '4242',
        'X-Hub-Signature-256': `sha256=${SECRET}`,
        Authorization: `Bearer ${SECRET}`,
        'X-Forwarded-For': '198.51.100.1, 203.0.113.7',
      },
    });
    expect(github.status).toBe(200);
    sent.push(
      await sendRaw(
        rawPost('/trigger/hostile', [
          'X-Request-Id: hostile-quotes',
          'X-GitHub-Delivery: q"b\\c\x01d\x7fe\tf',
          'X-GitHub-Event: ","forged":"1',
        ]),
      ),
      await sendRaw(
        rawPost('/trigger/long', [
          'X-Request-Id: hostile-long',
          `X-Gitlab-Event-UUID: ${'x'.repeat(9000)}`,
          'X-Gitlab-Event: Push Hook',
          `X-Gitlab-Token: ${SECRET}`,
        ]),
      ),
      // A line feed inside a header value, followed by a whole record: HAProxy ends the header there
      // and refuses the rest, it never becomes a line of its own.
      await sendRaw(
        rawPost('/trigger/forged', [
          `X-Bitbucket-Forged: a\n{"time":1,"backend":"route:forged","status":200,"github":{"delivery":"forged"}}`,
        ]),
      ),
      await sendRaw(
        rawPost('/no/route/here', ['X-Event-Key: repo:push', 'X-Request-UUID: bb-1', 'X-Hook-UUID: bb-hook']),
      ),
      // The headers Gitea's own delivery carries: its own beside GitHub's, the same UUID in both.
      await sendRaw(
        rawPost('/trigger/gitea', [
          'X-Gitea-Delivery: 0f6c3b5e-gitea-1',
          'X-Gitea-Event: push',
          'X-Gitea-Event-Type: push',
          'X-Gogs-Delivery: 0f6c3b5e-gitea-1',
          'X-GitHub-Delivery: 0f6c3b5e-gitea-1',
          'X-GitHub-Event: push',
          `X-Hub-Signature-256: sha256=${SECRET}`,
        ]),
      ),
    );
    const ours = () => parseDeliveryLog(gatewayLogs()).filter((record) => record.path !== '/trigger/ready');
    await eventually(() => expect(ours().length).toBeGreaterThanOrEqual(6));
    log = gatewayLogs();
    records = ours();
    expect(records).toHaveLength(6);
  }, 120_000);

  afterAll(async () => {
    await plane?.stop();
  });

  const byRequestId = (id: string) => records.find((record) => record.requestId === id);

  it('every line the gateway writes after starting is one JSON record, one per request', () => {
    const lines = log.split('\n').filter((line) => line.startsWith('{'));
    expect(lines).toHaveLength(parseDeliveryLog(log).length);
    for (const line of lines) expect(() => JSON.parse(line) as unknown).not.toThrow();
  });

  it('records a GitHub delivery: route, provider IDs, client from the X-Forwarded-For of a trusted proxy, the path without its query', () => {
    const record = records.find((candidate) => candidate.deliveryId === 'gh-delivery-1');
    expect(record).toMatchObject({
      route: '/trigger',
      method: 'POST',
      path: '/trigger/push',
      status: 200,
      provider: 'github',
      event: 'push',
      hookId: '4242',
      client: '203.0.113.7',
      termination: '----',
      cut: [],
    });
    expect(record?.timings.total).toBeGreaterThanOrEqual(0);
    expect(record?.bytesIn).toBeGreaterThan(0);
  });

  it('never records a query string, a signature, a token or an Authorization header', () => {
    expect(log).not.toContain(SECRET);
  });

  it('keeps quotes, backslashes and control characters inside their own field', () => {
    // The echo backend (Node's HTTP parser) refuses the control characters; the gateway records that.
    expect(sent[0]).toMatch(/^HTTP\/1\.1 400/);
    expect(byRequestId('hostile-quotes')).toMatchObject({
      route: '/trigger',
      status: 400,
      deliveryId: 'q"b\\c\u0001d\u007fe\tf',
      event: '","forged":"1',
    });
    expect(log).not.toContain('"forged":"1"');
  });

  it('cuts a 9,000-byte value to 128 bytes and marks the cut', () => {
    expect(sent[1]).toMatch(/^HTTP\/1\.1 200/);
    expect(byRequestId('hostile-long')).toMatchObject({
      provider: 'gitlab',
      event: 'Push Hook',
      deliveryId: `${'x'.repeat(128)}[cut]`,
      cut: ['gitlab.event_uuid'],
    });
  });

  it('a header line feed cannot forge a record: the request is refused and recorded once', () => {
    expect(sent[2]).toMatch(/^HTTP\/1\.1 400/);
    expect(records.filter((record) => record.status === 400 && record.backend === '')).toHaveLength(1);
    expect(
      records.some((record) => record.backend === 'route:forged' || record.deliveryId === 'forged'),
    ).toBe(false);
  });

  it('records a request no route matched, with its Bitbucket IDs', () => {
    expect(sent[3]).toMatch(/^HTTP\/1\.1 404/);
    expect(records.find((record) => record.path === '/no/route/here')).toMatchObject({
      route: undefined,
      status: 404,
      provider: 'bitbucket',
      event: 'repo:push',
      deliveryId: 'bb-1',
      hookId: 'bb-hook',
    });
  });

  it("records a Gitea delivery as Gitea's, though it carries GitHub's headers too", () => {
    expect(sent[4]).toMatch(/^HTTP\/1\.1 200/);
    expect(records.find((record) => record.path === '/trigger/gitea')).toMatchObject({
      route: '/trigger',
      provider: 'gitea',
      event: 'push',
      deliveryId: '0f6c3b5e-gitea-1',
      hookId: undefined,
    });
  });
});
