/**
 * `deliveries --follow` end to end, through real HAProxy pods (the control plane's data plane): new
 * deliveries appear as they are recorded, filtered, also from the pods a route change rolls out, and
 * Ctrl-C ends it with exit 0. Every wait is on output, with a deadline.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as yaml from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import Install from '../../src/commands/install.ts';
import RouteAdd from '../../src/commands/route/add.ts';
import type { ListedDelivery } from '../../src/services/deliveries.ts';
import { runCommand } from '../support/cli.ts';
import {
  type ControlPlaneWithDataPlane,
  type KubeObject,
  startControlPlane,
} from '../support/control-plane/index.ts';
import { eventually } from '../support/eventually.ts';
import {
  followedPods,
  type Following,
  startFollowing as startFollowingIn,
} from '../support/follow-process.ts';
import { gatewayPods as gatewayPodsOf, postToGateway } from '../support/gateway-traffic.ts';
import { findHaproxy } from '../support/haproxy.ts';

let plane: ControlPlaneWithDataPlane;
let kubeconfig: string;

const gatewayPods = () => gatewayPodsOf(plane);
const post = (path: string, headers: Record<string, string> = {}, pod?: KubeObject) =>
  postToGateway(plane, path, headers, pod);

const startFollowing = (...args: string[]) => startFollowingIn(kubeconfig, ...args);

const WAIT = { timeout: 60_000, interval: 100 };

async function followingAll(following: Following): Promise<void> {
  await vi.waitFor(() => {
    const names = gatewayPods().map((pod) => pod.metadata.name);
    expect(followedPods(following.stderr()), following.stderr()).toEqual(new Set(names));
  }, WAIT);
}

describe.skipIf(!findHaproxy() && !process.env.CI)('deliveries --follow', () => {
  let following: Following | undefined;

  beforeAll(async () => {
    plane = await startControlPlane({ dataPlane: true });
    kubeconfig = plane.writeKubeconfig(join(mkdtempSync(join(tmpdir(), 'tg-follow-')), 'kubeconfig'));
    const installed = await runCommand(Install, ['--kubeconfig', kubeconfig, '--with-echo']);
    expect(installed.exitCode, installed.stderr).toBe(0);
    await eventually(async () => expect(await post('/trigger/ready')).toBe(200));
    expect(gatewayPods()).toHaveLength(2);
  }, 120_000);

  afterAll(async () => {
    following?.child.kill('SIGKILL');
    await plane?.stop();
  });

  it('prints a row for a delivery sent after it started, not the earlier ones, and Ctrl-C ends it with 0', async () => {
    await post('/trigger/before', { 'X-GitHub-Event': 'push', 'X-GitHub-Delivery': 'gh-before' });
    following = startFollowing();
    await followingAll(following);
    expect(await post('/trigger/a', { 'X-GitHub-Event': 'push', 'X-GitHub-Delivery': 'gh-after' })).toBe(200);
    const current = following;
    await vi.waitFor(() => expect(current.stdout()).toContain('gh-after'), WAIT);
    const [header, ...rows] = current.stdout().trimEnd().split('\n');
    expect(header?.split(/\s{3,}/)).toEqual([
      'POD',
      'TIME',
      'ROUTE',
      'PROVIDER/EVENT',
      'DELIVERY ID',
      'STATUS',
      'TOTAL TIME',
      'BACKEND',
    ]);
    expect(rows.find((row) => row.includes('gh-after'))).toMatch(
      /^trigger-gateway-\S+\s+\d{4}-\S+\s+\/trigger\s+github\/push\s+gh-after\s+200\s+\d+ms\s+httpecho\.trigger:80$/,
    );
    expect(current.stdout()).not.toContain('gh-before');
    current.child.kill('SIGINT');
    expect(await current.exited).toBe(0);
    // Every stream it opened was closed on the way out.
    await vi.waitFor(() => expect(followedPods(current.stderr()).size).toBe(0), WAIT);
  }, 120_000);

  it('-o json: one object a line, filtered, and follows the new pods of a rollout', async () => {
    following = startFollowing('-o', 'json', '--provider', 'github');
    const current = following;
    await followingAll(current);
    const before = new Set(gatewayPods().map((pod) => pod.metadata.name));
    // Same pod, in order: once gh-old is printed, the gitlab delivery before it was read and left out.
    const [pod] = gatewayPods();
    await post('/trigger/gl', { 'X-Gitlab-Event': 'Push Hook', 'X-Gitlab-Event-UUID': 'gl-old' }, pod);
    await post('/trigger/gh', { 'X-GitHub-Event': 'push', 'X-GitHub-Delivery': 'gh-old' }, pod);
    await vi.waitFor(() => expect(current.stdout()).toContain('gh-old'), WAIT);

    // A route change rolls the gateway out: its new pods are followed, the old ones let go.
    const added = await runCommand(RouteAdd, ['--kubeconfig', kubeconfig, '/other', 'httpecho.trigger:80']);
    expect(added.exitCode, added.stderr).toBe(0);
    await followingAll(current);
    const after = gatewayPods().map((pod) => pod.metadata.name);
    expect(after.some((name) => before.has(name))).toBe(false);
    for (const [index, pod] of gatewayPods().entries()) {
      const headers = { 'X-GitHub-Event': 'push', 'X-GitHub-Delivery': `gh-new-${index}` };
      expect(await post('/other/x', headers, pod)).toBe(200);
    }
    await vi.waitFor(() => expect(current.stdout()).toContain('gh-new-1'), WAIT);
    await vi.waitFor(() => expect(current.stdout()).toContain('gh-new-0'), WAIT);

    const lines = current.stdout().trimEnd().split('\n');
    const deliveries = lines.map((line) => JSON.parse(line) as ListedDelivery);
    expect(deliveries.map((delivery) => delivery.deliveryId).sort()).toEqual([
      'gh-new-0',
      'gh-new-1',
      'gh-old',
    ]);
    for (const delivery of deliveries.filter((delivery) => delivery.deliveryId?.startsWith('gh-new'))) {
      expect(delivery).toMatchObject({ route: '/other', target: 'httpecho.trigger:80', status: 200 });
      expect(after).toContain(delivery.pod);
    }
    current.child.kill('SIGINT');
    expect(await current.exited).toBe(0);
  }, 180_000);

  it('-o yaml: one YAML document a delivery', async () => {
    following = startFollowing('-o', 'yaml');
    const current = following;
    await followingAll(current);
    for (const id of ['y-1', 'y-2'])
      await post('/trigger/y', { 'X-GitHub-Event': 'push', 'X-GitHub-Delivery': id });
    await vi.waitFor(() => expect(current.stdout()).toMatch(/deliveryId: y-2$/m), WAIT);
    await vi.waitFor(() => expect(current.stdout()).toMatch(/deliveryId: y-1$/m), WAIT);
    const documents = yaml.loadAll(current.stdout()) as ListedDelivery[];
    expect(documents.map((delivery) => delivery.deliveryId).sort()).toEqual(['y-1', 'y-2']);
    current.child.kill('SIGINT');
    expect(await current.exited).toBe(0);
  }, 120_000);

  it('refuses --follow with --since, --limit or --id', async () => {
    const child = startFollowing('--since', '1h');
    expect(await child.exited, child.stderr()).toBe(2);
    expect(child.stderr()).toMatch(/--since=1h cannot also be provided when using --follow/);
  }, 60_000);
});
