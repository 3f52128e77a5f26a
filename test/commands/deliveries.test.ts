/**
 * `deliveries` end to end: webhooks sent through real HAProxy pods (the control plane's data plane),
 * then listed from the pods' own records: merged across pods, newest first, filtered, found by ID.
 */
import { mkdtempSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as yaml from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Deliveries from '../../src/commands/deliveries.ts';
import Install from '../../src/commands/install.ts';
import { removeDeliveryLog } from '../support/gateway-objects.ts';
import { parseDeliveryLog } from '../../src/haproxy/delivery-log.ts';
import type { ListedDelivery } from '../../src/services/deliveries.ts';
import { runCommand } from '../support/cli.ts';
import {
  type ControlPlaneWithDataPlane,
  type KubeObject,
  startControlPlane,
} from '../support/control-plane/index.ts';
import { eventually } from '../support/eventually.ts';
import { gatewayPods as gatewayPodsOf, postToGateway } from '../support/gateway-traffic.ts';
import { findHaproxy } from '../support/haproxy.ts';

let plane: ControlPlaneWithDataPlane;
let kubeconfig: string;

function run(...args: string[]) {
  return runCommand(Deliveries, ['--kubeconfig', kubeconfig, ...args]);
}

async function listed(...args: string[]): Promise<ListedDelivery[]> {
  const result = await run('-o', 'json', ...args);
  expect(result.exitCode, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as ListedDelivery[];
}

const gatewayPods = () => gatewayPodsOf(plane);
const post = (path: string, headers: Record<string, string> = {}, pod?: KubeObject) =>
  postToGateway(plane, path, headers, pod);

function gatewayLogs(): string {
  return gatewayPods()
    .map((pod) => plane.dataPlane.logs(pod))
    .join('\n');
}

const WEBHOOKS: Array<{ path: string; headers: Record<string, string> }> = [
  { path: '/trigger/a', headers: { 'X-GitHub-Event': 'push', 'X-GitHub-Delivery': 'gh-1' } },
  { path: '/trigger/b', headers: { 'X-GitHub-Event': 'pull_request', 'X-GitHub-Delivery': 'gh-2' } },
  { path: '/trigger/c', headers: { 'X-Gitlab-Event': 'Push Hook', 'X-Gitlab-Event-UUID': 'gl-1' } },
  { path: '/nowhere', headers: { 'X-Event-Key': 'repo:push', 'X-Request-UUID': 'bb-1' } },
];
const IDS = ['gh-1', 'gh-2', 'gl-1', 'bb-1'];

describe.skipIf(!findHaproxy() && !process.env.CI)('deliveries', () => {
  beforeAll(async () => {
    plane = await startControlPlane({ dataPlane: true });
    kubeconfig = plane.writeKubeconfig(join(mkdtempSync(join(tmpdir(), 'tg-deliveries-')), 'kubeconfig'));
    const installed = await runCommand(Install, ['--kubeconfig', kubeconfig, '--with-echo']);
    expect(installed.exitCode, installed.stderr).toBe(0);
    // The echo route's backend resolves on HAProxy's own clock: wait until it answers.
    await eventually(async () => expect(await post('/trigger/ready')).toBe(200));
    // Alternately to each pod: the list must merge both pods' records.
    const pods = gatewayPods();
    expect(pods).toHaveLength(2);
    for (const [index, { path, headers }] of WEBHOOKS.entries()) await post(path, headers, pods[index % 2]);
    await eventually(() =>
      expect(parseDeliveryLog(gatewayLogs()).filter((record) => record.deliveryId).length).toBe(IDS.length),
    );
  }, 120_000);

  afterAll(async () => {
    await plane?.stop();
  });

  it('lists the deliveries of both pods, newest first, with route, provider, status and backend', async () => {
    const deliveries = (await listed()).filter((delivery) => delivery.deliveryId);
    expect(new Set(deliveries.map((delivery) => delivery.deliveryId))).toEqual(new Set(IDS));
    expect(new Set(deliveries.map((delivery) => delivery.pod)).size).toBe(2);
    const times = deliveries.map((delivery) => delivery.timeMs);
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect(deliveries.find((delivery) => delivery.deliveryId === 'gh-1')).toMatchObject({
      route: '/trigger',
      provider: 'github',
      event: 'push',
      status: 200,
      target: 'httpecho.trigger:80',
    });
    const unrouted = deliveries.find((delivery) => delivery.deliveryId === 'bb-1');
    expect(unrouted).toMatchObject({ backend: 'no_route', status: 404, provider: 'bitbucket' });
    expect(unrouted?.route).toBeUndefined();

    const text = await run();
    expect(text.exitCode, text.stderr).toBe(0);
    const [header, ...rows] = text.stdout.trimEnd().split('\n');
    expect(header?.split(/\s{3,}/)).toEqual([
      'TIME',
      'ROUTE',
      'PROVIDER/EVENT',
      'DELIVERY ID',
      'STATUS',
      'TOTAL TIME',
      'BACKEND',
    ]);
    expect(rows.find((row) => row.includes('gh-1'))).toMatch(
      /\/trigger\s+github\/push\s+gh-1\s+200\s+\d+ms\s+httpecho\.trigger:80$/,
    );
    expect(rows.find((row) => row.includes('bb-1'))).toMatch(
      /-\s+bitbucket\/repo:push\s+bb-1\s+404\s+\d+ms\s+-$/,
    );
    // No colour off a terminal.
    expect(text.stdout).not.toContain('\u001b[');
  });

  it('--id finds one delivery and prints everything recorded about it', async () => {
    const result = await run('--id', 'gl-1');
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^Time: +\d{4}-/m);
    expect(result.stdout).toMatch(/^Provider: +gitlab$/m);
    expect(result.stdout).toMatch(/^Event: +Push Hook$/m);
    expect(result.stdout).toMatch(/^Delivery ID: +gl-1$/m);
    expect(result.stdout).toMatch(/^Request: +POST \/trigger\/c$/m);
    expect(result.stdout).toMatch(/^Backend: +httpecho\.trigger:80 \(HAProxy backend route:trigger\)$/m);
    expect(result.stdout).toMatch(/^Gateway pod: +trigger-gateway-/m);
    expect(await listed('--id', 'gl-1')).toHaveLength(1);
    // Exact match only.
    expect((await run('--id', 'gl')).exitCode).toBe(7);
  });

  it('--id for a delivery that is not recorded says how far back each pod reached', async () => {
    const result = await run('--id', 'not-a-delivery');
    expect(result.exitCode).toBe(7);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('no delivery not-a-delivery');
    const reached = result.stderr.match(/trigger-gateway-\S+: \d+ records back to \d{4}-\d\d-\d\dT/g) ?? [];
    expect(reached).toHaveLength(2);
  });

  it.each([
    [['--status', '4xx'], ['bb-1']],
    [['--status', '404'], ['bb-1']],
    [['--provider', 'gitlab'], ['gl-1']],
    [['--event', 'pull_request'], ['gh-2']],
    [
      ['--route', '/trigger', '--provider', 'github'],
      ['gh-1', 'gh-2'],
    ],
    [
      ['--since', '1h', '--status', '2xx', '--provider', 'github'],
      ['gh-1', 'gh-2'],
    ],
  ])('filters: %j', async (args, ids) => {
    const found = (await listed(...args)).map((delivery) => delivery.deliveryId);
    expect(found.sort()).toEqual(ids);
  });

  it('--limit keeps the newest; -o yaml is the same array', async () => {
    const all = await listed();
    const limited = await listed('--limit', '2');
    expect(limited).toEqual(all.slice(0, 2));
    const asYaml = await run('-o', 'yaml', '--limit', '2');
    expect(yaml.load(asYaml.stdout)).toEqual(limited);
  });

  it('refuses a status that is not one, naming the flag', async () => {
    const result = await run('--status', 'bad');
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('--status "bad" is not a status');
  });

  it('dates a webhook on a connection kept alive since an earlier one by its own arrival, as behind an ingress', async () => {
    const [pod] = gatewayPods();
    if (!pod) throw new Error('no gateway pod');
    const { host, port } = plane.dataPlane.podAddress(pod, 8080);
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const send = (id: string) =>
      new Promise<{ status: number; reused: boolean }>((resolve, reject) => {
        const headers = { 'X-Request-Id': id };
        const req = httpRequest(
          { host, port, path: '/trigger/kept', method: 'POST', agent, headers },
          (res) => {
            res.resume();
            res.on('end', () => resolve({ status: res.statusCode ?? 0, reused: req.reusedSocket }));
          },
        );
        req.on('error', reject);
        req.end('{}');
      });
    const recorded = async (id: string): Promise<ListedDelivery> => {
      const found = (await listed()).find((delivery) => delivery.requestId === id);
      if (!found) throw new Error(`${id} is not recorded yet`);
      return found;
    };
    try {
      expect(await send('kept-1')).toMatchObject({ status: 200 });
      // The connection idles while the first record is read back.
      await eventually(() => recorded('kept-1'));
      const sentAt = Date.now();
      expect(await send('kept-2')).toEqual({ status: 200, reused: true });
      const second = await eventually(() => recorded('kept-2'));
      // HAProxy's timers are whole milliseconds: its date may fall up to 2 ms before ours.
      expect(second.timeMs).toBeGreaterThanOrEqual(sentAt - 2);
    } finally {
      agent.destroy();
    }
  });

  it('a gateway without the delivery log says what deliveries needs and how to get it', async () => {
    removeDeliveryLog(plane);
    const result = await run();
    expect(result.exitCode).toBe(7);
    expect(result.stderr).toContain('does not record deliveries');
    expect(result.stderr).toContain('kubectl trigger-gateway install -n trigger-gateway');
  });
});
