/**
 * `test` end to end: a signed sample delivery through real HAProxy pods to the echo backend, proven
 * from the backend's own log, and the failures explained.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import Install from '../../src/commands/install.ts';
import RouteAdd from '../../src/commands/route/add.ts';
import Test from '../../src/commands/test.ts';
import { verifySignature } from '../../src/webhook/index.ts';
import { pluginPath, REPO_ROOT, runCommand } from '../support/cli.ts';
import {
  type ControlPlaneWithDataPlane,
  type KubeObject,
  startControlPlane,
} from '../support/control-plane/index.ts';
import { echoRequests } from '../support/gateway-traffic.ts';
import { findHaproxy } from '../support/haproxy.ts';
import { kubeconfigForUser } from '../support/kubeconfig.ts';
import { startProxy } from '../support/proxy.ts';

let plane: ControlPlaneWithDataPlane;
let kubeconfig: string;

async function waitFor(condition: () => boolean | Promise<boolean>, context: () => string): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`condition not met; output so far:\n${context()}`);
}

function run(...args: string[]) {
  return runCommand(Test, ['--kubeconfig', kubeconfig, ...args]);
}

function gatewayUrl(): string {
  const { host, port } = plane.dataPlane.serviceAddress('trigger-gateway', 'trigger-gateway', 80);
  return `http://${host}:${port}`;
}

describe.skipIf(!findHaproxy() && !process.env.CI)('test', () => {
  beforeAll(async () => {
    plane = await startControlPlane({ dataPlane: true });
    kubeconfig = plane.writeKubeconfig(join(mkdtempSync(join(tmpdir(), 'tg-test-')), 'kubeconfig'));
    const installed = await runCommand(Install, ['--kubeconfig', kubeconfig, '--with-echo']);
    expect(installed.exitCode, installed.stderr).toBe(0);
    // These tests are about `test`, not about how soon HAProxy resolves a brand-new Service name.
    await waitFor(
      async () => (await fetch(`${gatewayUrl()}/trigger`)).status === 200,
      () => 'gateway never served /trigger',
    );
  });

  afterAll(async () => {
    await plane?.stop();
  });

  it('delivers a signed GitHub push and shows it in the backend log; the signature verifies on what arrived', async () => {
    const result = await run('--url', gatewayUrl(), '--secret', 's3cret-value', '-o', 'json');
    expect(result.exitCode, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({
      route: '/trigger',
      backend: 'httpecho.trigger:80',
      via: 'url',
      status: 200,
    });
    expect(report.evidence.length).toBeGreaterThan(0);
    // The gateway's own record of it, beside the backend's.
    expect(report.gateway).toMatchObject({ route: '/trigger', status: 200, termination: '----' });
    expect(report.gateway.pod).toMatch(/^trigger-gateway-/);
    // The request's own time, and (kept for scripts written before it) the time from the accept.
    expect(report.gateway.activeMs).toBeTypeOf('number');
    expect(report.gateway.totalMs).toBeGreaterThanOrEqual(report.gateway.activeMs);
    expect(result.stdout).not.toContain('s3cret-value');
    expect(result.stderr).not.toContain('s3cret-value');
    expect(result.stderr).toMatch(/^httpecho-[a-z0-9]+-[a-z0-9]+ \{/m);

    const arrived = echoRequests(plane).find(
      (request) => request.headers['x-github-delivery'] === report.delivery.id,
    );
    expect(arrived).toBeDefined();
    const headers = arrived?.headers ?? {};
    expect(verifySignature('github', headers, Buffer.from(arrived?.body ?? ''), 's3cret-value')).toBe(true);
    expect(verifySignature('github', headers, Buffer.from(arrived?.body ?? ''), 'another-secret')).toBe(
      false,
    );
  });

  it('shows what the gateway recorded beside what the backend logged', async () => {
    const result = await run('--url', gatewayUrl());
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toMatch(
      /the gateway recorded it: pod trigger-gateway-\S+, route \/trigger, HTTP 200 in \d+ ms \(termination ----\)/,
    );
  });

  it('sends through a port-forward to a gateway pod when there is no Ingress address, and says so', async () => {
    const result = await run('/trigger', '--provider', 'gitlab', '--event', 'merge_request', '-o', 'json');
    expect(result.exitCode, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ via: 'port-forward', status: 200 });
  });

  it('reads the secret from a Secret, as an EventListener secretRef names it, and never shows it', async () => {
    plane.put({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'github-webhook', namespace: 'trigger' },
      data: { secretToken: Buffer.from('from-a-secret').toString('base64') },
    } as KubeObject);
    const result = await run('--url', gatewayUrl(), '--secret-from', 'github-webhook', '-o', 'json');
    expect(result.exitCode, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout);
    const arrived = echoRequests(plane).find(
      (request) => request.headers['x-github-delivery'] === report.delivery.id,
    );
    expect(
      verifySignature('github', arrived?.headers ?? {}, Buffer.from(arrived?.body ?? ''), 'from-a-secret'),
    ).toBe(true);
    expect(`${result.stdout}${result.stderr}`).not.toContain('from-a-secret');

    const missingKey = await run('--url', gatewayUrl(), '--secret-from', 'github-webhook:token');
    expect(missingKey.exitCode).toBe(2);
    expect(missingKey.stderr).toContain('secret trigger/github-webhook has no key token');
    expect(missingKey.stderr).toContain('its keys are: secretToken');
    expect(missingKey.stderr).not.toContain('from-a-secret');
  });

  it('sends to the Ingress address when it has one', async () => {
    const ingress = plane.get('ingresses', 'trigger-gateway', 'trigger-gateway') as KubeObject;
    const { host } = plane.dataPlane.serviceAddress('trigger-gateway', 'trigger-gateway', 80);
    plane.put({ ...ingress, status: { loadBalancer: { ingress: [{ ip: host }] } } } as KubeObject);
    const result = await run('-o', 'json');
    expect(result.exitCode, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({
      via: 'ingress',
      url: `http://${host}/trigger`,
      status: 200,
    });
    plane.put({ ...ingress, status: { loadBalancer: {} } } as KubeObject);
  });

  it("connects to the Ingress's address with its host in Host when that host does not resolve here, and says so", async () => {
    const ingress = plane.get('ingresses', 'trigger-gateway', 'trigger-gateway') as KubeObject & {
      spec: { rules: Array<Record<string, unknown>> };
    };
    const { host } = plane.dataPlane.serviceAddress('trigger-gateway', 'trigger-gateway', 80);
    plane.put({
      ...ingress,
      spec: {
        ...ingress.spec,
        rules: ingress.spec.rules.map((rule) => ({ ...rule, host: 'hooks.example.test' })),
      },
      status: { loadBalancer: { ingress: [{ ip: host }] } },
    } as KubeObject);
    try {
      const result = await run('-o', 'json');
      expect(result.exitCode, result.stderr).toBe(0);
      expect(JSON.parse(result.stdout)).toMatchObject({
        via: 'ingress',
        url: 'http://hooks.example.test/trigger',
        address: host,
        viaReason: `hooks.example.test does not resolve here: sent to the Ingress's load balancer address ${host} with hooks.example.test in Host, as curl --resolve hooks.example.test:80:${host} does`,
        status: 200,
      });
      const arrived = echoRequests(plane).find(
        (request) => request.headers['x-github-delivery'] === JSON.parse(result.stdout).delivery.id,
      );
      expect(arrived?.headers.host).toBe('hooks.example.test');
      const text = await run();
      expect(text.stdout).toContain(
        `via ingress: POST http://hooks.example.test/trigger at ${host} (hooks.example.test does not resolve here`,
      );
    } finally {
      plane.put({ ...ingress, status: { loadBalancer: {} } } as KubeObject);
    }
  });

  it('refuses a --certificate-authority it cannot read, or one without a certificate, with exit 2 before anything is sent', async () => {
    const missing = await run('--certificate-authority', '/nonexistent/ca.crt');
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toContain('error: cannot read --certificate-authority /nonexistent/ca.crt');
    const notPem = join(mkdtempSync(join(tmpdir(), 'tg-ca-')), 'ca.crt');
    writeFileSync(notPem, 'hooks.example.test\n');
    const refused = await run('--certificate-authority', notPem);
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toContain(`error: --certificate-authority ${notPem} holds no PEM certificate`);
    expect(refused.stderr).not.toContain('Sending');
  });

  it('behind a proxy: requests, log streams and the port-forward through HTTPS_PROXY, a --url delivery through HTTP_PROXY', async () => {
    const cluster = 'cluster.proxy-only.test';
    const hooks = 'hooks.proxy-only.test';
    const gateway = plane.dataPlane.serviceAddress('trigger-gateway', 'trigger-gateway', 80);
    const proxy = await startProxy({ hosts: { [cluster]: '127.0.0.1', [hooks]: gateway.host } });
    // Only the proxy resolves these names: what reaches them went through it.
    const file = kubeconfigForUser(
      plane,
      { token: 'admin-token' },
      { server: `https://${cluster}:${new URL(plane.url).port}`, 'tls-server-name': 'localhost' },
    );
    for (const name of ['NO_PROXY', 'no_proxy', 'https_proxy', 'http_proxy']) vi.stubEnv(name, '');
    vi.stubEnv('HTTPS_PROXY', proxy.url);
    vi.stubEnv('HTTP_PROXY', proxy.url);
    try {
      const forwarded = await runCommand(Test, ['--kubeconfig', file, '/trigger', '-o', 'json']);
      expect(forwarded.exitCode, forwarded.stderr).toBe(0);
      expect(JSON.parse(forwarded.stdout)).toMatchObject({ via: 'port-forward', status: 200 });

      const url = `http://${hooks}:${gateway.port}`;
      const direct = await runCommand(Test, ['--kubeconfig', file, '--url', url, '-o', 'json']);
      expect(direct.exitCode, direct.stderr).toBe(0);
      expect(JSON.parse(direct.stdout)).toMatchObject({ via: 'url', status: 200 });
      expect(proxy.requests).toContainEqual({ method: 'POST', target: new URL('/trigger', url).href });
    } finally {
      vi.unstubAllEnvs();
      await proxy.stop();
    }
  });

  it('fails at once, saying why, when the gateway itself answers 404 for the URL', async () => {
    const result = await run('--url', `${gatewayUrl()}/nothing-routed-here`, '--timeout', '5m');
    expect(result.exitCode).toBe(7);
    expect(result.stderr).toContain('error: the gateway answered 404 for /trigger: it has no route there');
  });

  it('--follow reports the delivery, keeps tailing the backend, and leaves cleanly on Ctrl-C', async () => {
    const child = spawn(
      join(REPO_ROOT, 'bin', 'run.js'),
      ['test', '--follow', '--url', gatewayUrl(), '--kubeconfig', kubeconfig],
      {
        env: { ...process.env, PATH: pluginPath(), NO_COLOR: '1' },
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await waitFor(
      () => stdout.includes('the backend logged it:'),
      () => stderr,
    );
    await fetch(`${gatewayUrl()}/trigger/after-the-test`, { method: 'POST', body: '{}' });
    await waitFor(
      () => stderr.includes('"path":"/trigger/after-the-test"'),
      () => stderr,
    );
    child.kill('SIGINT');
    expect(await exited).toBe(0);
  });

  it('fails with the reason when the route points at a Service that does not exist', async () => {
    const added = await runCommand(RouteAdd, ['--kubeconfig', kubeconfig, '/github', 'el-github.ci:8080']);
    expect(added.exitCode, added.stderr).toBe(0);
    const result = await run('/github', '--url', gatewayUrl());
    expect(result.exitCode).toBe(7);
    expect(result.stderr).toContain('error: the backend Service el-github.ci does not exist');
  });

  it('fails when no pod behind the Service is ready, and at once when the gateway cannot reach it (50x)', async () => {
    const labels = { app: 'idle' };
    plane.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'idle' } });
    plane.put({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'idle', namespace: 'idle' },
      spec: { selector: labels, ports: [{ port: 80, targetPort: 8080 }] },
    } as KubeObject);
    expect((await runCommand(RouteAdd, ['--kubeconfig', kubeconfig, '/idle', 'idle.idle:80'])).exitCode).toBe(
      0,
    );
    const noPods = await run('/idle', '--url', gatewayUrl());
    expect(noPods.exitCode).toBe(7);
    expect(noPods.stderr).toContain('error: no ready pods behind service idle.idle');

    // A pod that is Ready but runs nothing the gateway can connect to: HAProxy answers 503.
    plane.put({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'idle', namespace: 'idle' },
      spec: {
        replicas: 1,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: { containers: [{ name: 'idle', image: 'registry.example/idle:1' }] },
        },
      },
    } as KubeObject);
    await waitFor(
      () => plane.list('pods', 'idle').length === 1,
      () => 'no idle pod',
    );
    const unreachable = await run('/idle', '--url', gatewayUrl(), '--timeout', '5m');
    expect(unreachable.exitCode).toBe(7);
    expect(unreachable.stderr).toMatch(
      /error: the gateway answered 50[234] for \/idle: it cannot reach idle\.idle:80/,
    );
  });

  it('sends a payload file byte for byte, and rejects one that is not JSON with the position', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-payload-'));
    const file = join(dir, 'push.json');
    const bytes = '{ "ref" : "refs/heads/release",\n  "note": "grüße" }\n';
    writeFileSync(file, bytes);
    const sent = await run('--url', gatewayUrl(), '--payload', file, '--secret', 'k', '-o', 'json');
    expect(sent.exitCode, sent.stderr).toBe(0);
    const report = JSON.parse(sent.stdout);
    const arrived = echoRequests(plane).find(
      (request) => request.headers['x-github-delivery'] === report.delivery.id,
    );
    expect(arrived?.body).toBe(bytes);

    writeFileSync(file, '{ "ref": "main", }');
    const broken = await run('--url', gatewayUrl(), '--payload', file);
    expect(broken.exitCode).toBe(2);
    expect(broken.stderr).toMatch(/line 1, column 1[0-9]/);
  });

  describe('against an endpoint that answers but is not the route backend', () => {
    let decoy: Server;
    let decoyUrl = '';
    beforeAll(async () => {
      decoy = createServer((_request, response) => response.end('{"accepted":true}'));
      await new Promise<void>((resolve) => decoy.listen(0, '127.0.0.1', resolve));
      decoyUrl = `http://127.0.0.1:${(decoy.address() as AddressInfo).port}`;
    });
    afterAll(() => {
      decoy.close();
    });

    it('a 200 is not proof: with nothing in the backend log it times out, exit 8, and says what that usually means', async () => {
      const result = await run('--url', decoyUrl, '--timeout', '1s');
      expect(result.exitCode).toBe(8);
      expect(result.stderr).toMatch(
        /error: the backend did not log delivery [0-9a-f-]+ within 1s \(HTTP 200\)/,
      );
      expect(result.stderr).toContain('the listener may not log deliveries');
      // The gateway never saw it: the decoy took it instead, and the error says so.
      expect(result.stderr).toContain(
        `the gateway has no record of it: it never reached the gateway at ${decoyUrl}`,
      );
    });

    it('Ctrl-C while waiting closes everything and exits 130', async () => {
      const child = spawn(
        join(REPO_ROOT, 'bin', 'run.js'),
        ['test', '--url', decoyUrl, '--timeout', '5m', '--kubeconfig', kubeconfig],
        {
          env: { ...process.env, PATH: pluginPath(), NO_COLOR: '1' },
        },
      );
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      await waitFor(
        () => stderr.includes('Waiting for the backend to log delivery'),
        () => stderr,
      );
      child.kill('SIGINT');
      expect(await exited).toBe(130);
      expect(stderr).toContain('error: interrupted before the backend logged the delivery');
    });
  });

  it('fails on a path that has no route, listing the routes', async () => {
    const result = await run('/nope', '--url', gatewayUrl());
    expect(result.exitCode).toBe(7);
    expect(result.stderr).toContain('no route for /nope');
    expect(result.stderr).toContain('/trigger');
  });
});
