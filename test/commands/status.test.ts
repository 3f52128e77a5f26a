/**
 * `status` against real HAProxy pods: their stats come through the API server's pod proxy, their
 * objects through watches, and traffic sent through the gateway shows up in the numbers.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { render } from 'ink-testing-library';
import { createElement } from 'react';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import Install from '../../src/commands/install.ts';
import Status from '../../src/commands/status.ts';
import { resolveKubeTarget } from '../../src/kube/kubeconfig.ts';
import { KubeClient } from '../../src/kube/client.ts';
import { removeDeliveryLog } from '../support/gateway-objects.ts';
import { runDeliveryFeed } from '../../src/services/delivery-feed.ts';
import { locateGateway } from '../../src/services/gateway.ts';
import type { GatewayStatus } from '../../src/services/status-model.ts';
import { useGatewayStatus } from '../../src/ui/status/use-gateway-status.ts';
import { pluginPath, runCommand, runExecutable } from '../support/cli.ts';
import { type ControlPlaneWithDataPlane, startControlPlane } from '../support/control-plane/index.ts';
import { postToGateway } from '../support/gateway-traffic.ts';
import { findHaproxy } from '../support/haproxy.ts';

let plane: ControlPlaneWithDataPlane;
let kubeconfig: string;

const status = (...args: string[]) => runCommand(Status, ['--kubeconfig', kubeconfig, ...args]);

async function send(path: string): Promise<number> {
  const { host, port } = plane.dataPlane.serviceAddress('trigger-gateway', 'trigger-gateway', 80);
  const response = await fetch(`http://${host}:${port}${path}`, { method: 'POST', body: '{}' });
  await response.text();
  return response.status;
}

/** Sends until the gateway routes /trigger to the echo backend (HAProxy resolves names on its own clock). */
async function untilRouted(): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    if ((await send('/trigger/warmup')) === 200) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('/trigger never answered 200');
}

const ESCAPE = '\u001b';

/** `kubectl trigger-gateway status` on a pseudo-terminal (`script`): what is typed into its stdin reaches the view. */
function statusOnTerminal(env: Record<string, string> = {}) {
  const child = spawn('script', ['-qfec', 'kubectl trigger-gateway status', '/dev/null'], {
    env: {
      PATH: pluginPath(),
      HOME: mkdtempSync(join(tmpdir(), 'tg-home-')),
      KUBECONFIG: kubeconfig,
      TERM: 'xterm',
      NO_COLOR: '1',
      ...env,
    },
  });
  let screen = '';
  child.stdout.on('data', (chunk: Buffer) => {
    screen += chunk.toString();
  });
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  return { child, screen: () => screen, exited };
}

const triggerRoute = (value: GatewayStatus) => value.routes.find((route) => route.match === '/trigger');

describe.skipIf(!findHaproxy() && !process.env.CI)('status', () => {
  beforeAll(async () => {
    plane = await startControlPlane({
      dataPlane: true,
      users: {
        'admin-token': { name: 'admin' },
        'no-proxy-token': {
          name: 'no-proxy',
          deny: [{ resource: 'pods/proxy' }, { verb: 'list', resource: 'events' }],
        },
      },
    });
    kubeconfig = plane.writeKubeconfig(join(mkdtempSync(join(tmpdir(), 'tg-status-')), 'kubeconfig'));
    const installed = await runCommand(Install, ['--kubeconfig', kubeconfig, '--with-echo']);
    expect(installed.exitCode, installed.stderr).toBe(0);
    await untilRouted();
  });
  afterAll(async () => {
    await plane?.stop();
  });

  it("-o json: pods on the current config, the route's endpoints, and HAProxy's counts of the traffic sent", async () => {
    const before = JSON.parse((await status('-o', 'json')).stdout) as GatewayStatus;
    const sent = 3;
    for (let index = 0; index < sent; index++) expect(await send(`/trigger/status-${index}`)).toBe(200);
    const result = await status('-o', 'json');
    expect(result.exitCode, result.stderr).toBe(0);
    const after = JSON.parse(result.stdout) as GatewayStatus;
    expect(after.pods).toHaveLength(2);
    for (const pod of after.pods)
      expect(pod).toMatchObject({ ready: true, currentConfig: true, readyContainers: '1/1' });
    expect(after.haproxyVersion).toMatch(/^\d+\.\d+/);
    expect(after.notices).toEqual([]);
    const route = triggerRoute(after);
    expect(route).toMatchObject({ backend: 'httpecho.trigger:80', serviceExists: true, readyEndpoints: 1 });
    expect(route?.stats?.status).toBe('UP');
    expect((route?.stats?.requests ?? 0) - (triggerRoute(before)?.stats?.requests ?? 0)).toBe(sent);
    expect((route?.stats?.http2xx ?? 0) - (triggerRoute(before)?.stats?.http2xx ?? 0)).toBe(sent);
    expect(route?.stats?.lastRequestSeconds).toBeDefined();
  });

  it("lists recent warning events for the gateway's own objects only", async () => {
    const pod = plane.list('pods', 'trigger-gateway')[0]?.metadata.name ?? '';
    const event = (name: string, involved: string, type: string, reason: string) =>
      plane.put({
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name, namespace: 'trigger-gateway' },
        involvedObject: { kind: 'Pod', name: involved, namespace: 'trigger-gateway' },
        type,
        reason,
        message: `${reason} happened`,
        count: 3,
        lastTimestamp: new Date().toISOString(),
      });
    event('ours', pod, 'Warning', 'BackOff');
    event('normal', pod, 'Normal', 'Pulled');
    event('theirs', 'someone-else', 'Warning', 'Failed');
    const value = JSON.parse((await status('-o', 'json')).stdout) as GatewayStatus;
    expect(value.events).toEqual([
      expect.objectContaining({
        object: `pod/${pod}`,
        reason: 'BackOff',
        message: 'BackOff happened',
        count: 3,
      }),
    ]);
  });

  it('piped, the real kubectl runs it as a plain snapshot: no raw-mode errors, no colour', async () => {
    const result = await runExecutable('kubectl', ['trigger-gateway', 'status'], { KUBECONFIG: kubeconfig });
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/^POD\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+CONFIG$/m);
    expect(result.stdout).toMatch(/^trigger-gateway-\S+\s+1\/1\s+Running\s+0\s+\S+\s+current$/m);
    expect(result.stdout).toMatch(/^\/trigger\s+httpecho\.trigger:80\s+1 ready\s+UP\s/m);
    expect(result.stdout).not.toContain('\u001b[');
  });

  it('without permission for the pod proxy or events, says so and shows the rest', async () => {
    const limited = plane.writeKubeconfig(join(mkdtempSync(join(tmpdir(), 'tg-status-')), 'kubeconfig'), {
      token: 'no-proxy-token',
    });
    const result = await runCommand(Status, ['--kubeconfig', limited, '-o', 'json']);
    expect(result.exitCode).toBe(0);
    const value = JSON.parse(result.stdout) as GatewayStatus;
    expect(value.notices.join('\n')).toContain('not allowed to read HAProxy stats from pod');
    expect(value.notices.join('\n')).toContain('not allowed to list events (403)');
    expect(triggerRoute(value)).toMatchObject({ serviceExists: true, readyEndpoints: 1 });
    expect(triggerRoute(value)?.stats).toBeUndefined();
    expect(value.pods).toHaveLength(2);
  });

  it('the live hook follows the watches and polls the stats: new traffic shows up without re-running', async () => {
    const kube = new KubeClient(resolveKubeTarget({ kubeconfig, requestTimeoutMs: 10_000 }));
    const location = await locateGateway(kube);
    let latest: GatewayStatus | undefined;
    const Probe = () => {
      const live = useGatewayStatus(kube, location, 1000);
      latest = live.status;
      return null;
    };
    const app = render(createElement(Probe));
    try {
      await vi.waitFor(() => expect(triggerRoute(latest as GatewayStatus)?.stats).toBeDefined(), {
        timeout: 15_000,
      });
      const start = triggerRoute(latest as GatewayStatus)?.stats?.requests ?? 0;
      expect(await send('/trigger/live')).toBe(200);
      await vi.waitFor(
        () => expect(triggerRoute(latest as GatewayStatus)?.stats?.requests).toBeGreaterThan(start),
        { timeout: 15_000 },
      );
      expect(latest?.pods.every((pod) => pod.currentConfig)).toBe(true);
    } finally {
      app.unmount();
      await kube.close();
    }
  });

  it('on a terminal, the real kubectl shows the live view, and q leaves it with exit 0', async () => {
    const { child, screen, exited } = statusOnTerminal();
    try {
      await vi.waitFor(() => expect(screen()).toMatch(/\/trigger\s+httpecho\.trigger:80/), {
        timeout: 20_000,
      });
      child.stdin.write('q');
      expect(await exited).toBe(0);
    } finally {
      child.kill('SIGINT');
    }
    expect(screen()).not.toMatch(/TypeError|Error:/);
  });

  it('--watch prints the state, then a line per change, until Ctrl-C', async () => {
    const child = spawn(
      join(pluginPath().split(':')[0] ?? '', 'kubectl-trigger_gateway'),
      ['status', '--watch', '--interval', '1s'],
      {
        env: {
          PATH: pluginPath(),
          HOME: mkdtempSync(join(tmpdir(), 'tg-home-')),
          KUBECONFIG: kubeconfig,
          NO_COLOR: '1',
        },
      },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
    try {
      await vi.waitFor(
        () => expect(output).toMatch(/route \/trigger → httpecho\.trigger:80: service 1 ready, UP/),
        {
          timeout: 20_000,
        },
      );
      const seen = output.split('\n').length;
      expect(await send('/trigger/watched')).toBe(200);
      await vi.waitFor(
        () =>
          expect(
            output
              .split('\n')
              .slice(seen - 1)
              .join('\n'),
          ).toMatch(/route \/trigger .* requests/),
        {
          timeout: 20_000,
        },
      );
      expect(output).toMatch(
        /^\d\d:\d\d:\d\d pod trigger-gateway-\S+ 1\/1 Running, current config, 0 restarts$/m,
      );
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
  });

  it("on a terminal, shows the selected route's deliveries as they arrive; d lists them, Enter shows one", async () => {
    // Room for every section: the deliveries come after the pods and the route.
    const { child, screen, exited } = statusOnTerminal({ LINES: '50', COLUMNS: '160' });
    const WAIT = { timeout: 20_000, interval: 100 };
    // The text as a user reads it: the terminal's cursor movements removed.
    const text = () => screen().replace(new RegExp(`${ESCAPE}\\[[0-9;?]*[A-Za-z]`, 'g'), '');
    try {
      await vi.waitFor(() => expect(text()).toContain('Deliveries to /trigger'), WAIT);
      const github = { 'X-GitHub-Event': 'push', 'X-GitHub-Delivery': 'gh-live-status' };
      expect(await postToGateway(plane, '/trigger/live', github)).toBe(200);
      await vi.waitFor(() => expect(text()).toMatch(/github\/push\s+gh-live-status\s+200/), WAIT);
      child.stdin.write('d');
      await vi.waitFor(
        () => expect(text()).toMatch(/Deliveries to \/trigger\s+1 of \d+, newest first/),
        WAIT,
      );
      child.stdin.write('\r');
      await vi.waitFor(() => expect(text()).toMatch(/Delivery ID:\s+gh-live-status/), WAIT);
      expect(text()).toMatch(/Backend:\s+httpecho\.trigger:80/);
      child.stdin.write('q');
      expect(await exited).toBe(0);
    } finally {
      child.kill('SIGINT');
    }
    expect(screen()).not.toMatch(/TypeError|Error:/);
    // NO_COLOR: no colour, no bold or dim (SGR sequences); the selection is marked with › instead.
    expect(screen()).not.toMatch(new RegExp(`${ESCAPE}\\[[0-9;]*m`));
  });

  it('the delivery feed says why a gateway without the delivery log shows none, and recovers once install adds it', async () => {
    removeDeliveryLog(plane);
    const kube = new KubeClient(resolveKubeTarget({ kubeconfig, requestTimeoutMs: 10_000 }));
    const stop = new AbortController();
    let reason: string | undefined;
    const ids: Array<string | undefined> = [];
    const feed = runDeliveryFeed(kube, await locateGateway(kube), {
      signal: stop.signal,
      retryMs: 100,
      onBatch: (batch) => ids.push(...batch.map((each) => each.deliveryId)),
      onUnavailable: (why) => (reason = why),
    });
    try {
      await vi.waitFor(() => expect(reason).toContain('does not record deliveries'), { timeout: 15_000 });
      expect(reason).toContain('\nfix: kubectl trigger-gateway install -n trigger-gateway');
      const installed = await runCommand(Install, ['--kubeconfig', kubeconfig, '--with-echo']);
      expect(installed.exitCode, installed.stderr).toBe(0);
      await vi.waitFor(() => expect(reason).toBeUndefined(), { timeout: 15_000 });
      const github = { 'X-GitHub-Event': 'push', 'X-GitHub-Delivery': 'gh-after-install' };
      await vi.waitFor(
        async () => {
          expect(await postToGateway(plane, '/trigger/again', github)).toBe(200);
          expect(ids).toContain('gh-after-install');
        },
        { timeout: 30_000, interval: 500 },
      );
    } finally {
      stop.abort();
      await feed;
      await kube.close();
    }
  });
});
