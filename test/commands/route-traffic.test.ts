/**
 * Routes reach the running gateway: real HAProxy pods (the control plane's data plane) serve what
 * `install` and `route add/remove` wrote, and HTTP goes through them to real backend processes.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import Install from '../../src/commands/install.ts';
import RouteAdd from '../../src/commands/route/add.ts';
import RouteRemove from '../../src/commands/route/remove.ts';
import { runCommand } from '../support/cli.ts';
import {
  type ControlPlaneWithDataPlane,
  type KubeObject,
  startControlPlane,
} from '../support/control-plane/index.ts';
import { findHaproxy } from '../support/haproxy.ts';
import { echoBackend } from '../control-plane/gateway-fixture.ts';

let plane: ControlPlaneWithDataPlane;
let kubeconfig: string;

function run(command: Parameters<typeof runCommand>[0], ...args: string[]) {
  return runCommand(command, ['--kubeconfig', kubeconfig, ...args]);
}

async function send(path: string): Promise<{ status: number; body: string }> {
  const { host, port } = plane.dataPlane.serviceAddress('trigger-gateway', 'trigger-gateway', 80);
  const response = await fetch(`http://${host}:${port}${path}`, { method: 'POST', body: '{"ref":"main"}' });
  return { status: response.status, body: await response.text() };
}

/** Polls until the gateway answers `path` with `status`: DNS is re-resolved by HAProxy on its own clock. */
async function until(path: string, status: number): Promise<{ status: number; body: string }> {
  let last = { status: 0, body: '' };
  for (let attempt = 0; attempt < 100; attempt++) {
    last = await send(path);
    if (last.status === status) return last;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${path} kept answering ${last.status} (${last.body}), not ${status}`);
}

function echoLog(namespace: string, app: string): string {
  const pod = plane
    .list('pods', namespace)
    .find(
      (candidate) =>
        candidate.metadata.labels?.['app.kubernetes.io/name'] === app ||
        candidate.metadata.labels?.app === app,
    );
  return pod ? plane.dataPlane.logs(pod as KubeObject) : '';
}

describe.skipIf(!findHaproxy() && !process.env.CI)('routes through the running gateway', () => {
  beforeAll(async () => {
    plane = await startControlPlane({ dataPlane: true });
    kubeconfig = plane.writeKubeconfig(join(mkdtempSync(join(tmpdir(), 'tg-traffic-')), 'kubeconfig'));
    const installed = await run(Install, '--with-echo');
    expect(installed.exitCode, installed.stderr).toBe(0);
  });

  afterAll(async () => {
    await plane?.stop();
  });

  it('a routed path reaches its backend, which logs the delivery', async () => {
    const response = await until('/trigger/push', 200);
    expect(JSON.parse(response.body)).toMatchObject({ path: '/trigger/push', method: 'POST' });
    expect(echoLog('trigger', 'httpecho')).toContain('"path":"/trigger/push"');
  });

  it('an unknown path gets the gateway JSON 404', async () => {
    const response = await send('/nothing-here');
    expect(response.status).toBe(404);
    expect(JSON.parse(response.body)).toEqual({
      error: 'no route for this path',
      gateway: 'trigger-gateway',
    });
  });

  it('a route to a Service that does not exist yet answers 503 and the others keep serving; it starts working once the Service exists', async () => {
    const added = await run(RouteAdd, '/github', 'el-github.ci:80', '--strip-prefix');
    expect(added.exitCode, added.stderr).toBe(0);
    expect((await until('/github/push', 503)).status).toBe(503);
    expect((await send('/trigger')).status).toBe(200);

    plane.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ci' } });
    for (const object of echoBackend('el-github', 'ci')) plane.put(object);
    const response = await until('/github/push', 200);
    expect(JSON.parse(response.body)).toMatchObject({ path: '/push' });
  });

  it('a removed path gets the 404 once the pods have rolled', async () => {
    const removed = await run(RouteRemove, '/trigger');
    expect(removed.exitCode, removed.stderr).toBe(0);
    expect(removed.stdout).toContain('traffic flows now');
    const response = await send('/trigger/push');
    expect(response.status).toBe(404);
    expect((await send('/github/push')).status).toBe(200);
  });
});
