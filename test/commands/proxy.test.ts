/**
 * HTTPS_PROXY, HTTP_PROXY, NO_PROXY and the kubeconfig's proxy-url, end to end: the kubeconfig names
 * the local control plane by a host name only the test proxy resolves, so a command that reaches it
 * went through the proxy, and one that ignores the proxy fails with ENOTFOUND (the bug this covers).
 * The real kubectl, with the same kubeconfig and environment, shows the setup is right.
 * Loading @kubernetes/client-node fails every test here: proxies must not need it.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import Install from '../../src/commands/install.ts';
import RouteList from '../../src/commands/route/list.ts';
import { pluginPath, REPO_ROOT, runCommand, runExecutable } from '../support/cli.ts';
import { type ControlPlane, startControlPlane } from '../support/control-plane/index.ts';
import { kubeconfigForUser, namespacesSeenBy } from '../support/kubeconfig.ts';
import { freePort } from '../support/ports.ts';
import { startProxy, type TestProxy } from '../support/proxy.ts';
import { startSilentServer } from '../support/silent-server.ts';

const clientNode = vi.hoisted(() => ({ loads: 0 }));
vi.mock('@kubernetes/client-node', () => {
  clientNode.loads += 1;
  throw new Error('@kubernetes/client-node was loaded');
});

const HOST = 'cluster.proxy-only.test';
const PROXY_ENV = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'NO_PROXY', 'no_proxy'];

let plane: ControlPlane;
let port: number;
let proxy: TestProxy;
const proxies: TestProxy[] = [];

/** A kubeconfig for the control plane under the name only the proxy resolves; `cluster` adds fields. */
const kubeconfig = (cluster: Record<string, unknown> = {}) =>
  kubeconfigForUser(
    plane,
    { token: 'admin-token' },
    // The control plane's certificate is for localhost, as kubectl checks it with tls-server-name.
    { server: `https://${HOST}:${port}`, 'tls-server-name': 'localhost', ...cluster },
  );

/** The proxy variables for one test: these and no others from the machine running the tests. */
function proxyEnv(env: Record<string, string>) {
  for (const name of PROXY_ENV) vi.stubEnv(name, env[name] ?? '');
}

const routeList = (file: string) => runCommand(RouteList, ['--kubeconfig', file]);

async function aProxy(options: Parameters<typeof startProxy>[0] = {}): Promise<TestProxy> {
  const started = await startProxy({ hosts: { [HOST]: '127.0.0.1' }, ...options });
  proxies.push(started);
  return started;
}

const tunnelsTo = (from: TestProxy) =>
  from.requests.filter((request) => request.target === `${HOST}:${port}`);

beforeAll(async () => {
  plane = await startControlPlane();
  port = Number(new URL(plane.url).port);
  const direct = plane.writeKubeconfig(join(mkdtempSync(join(tmpdir(), 'tg-proxy-')), 'kubeconfig'));
  const installed = await runCommand(Install, ['--kubeconfig', direct, '--with-echo', '--no-wait']);
  expect(installed.exitCode, installed.stderr).toBe(0);
  proxy = await aProxy();
});
afterEach(() => {
  vi.unstubAllEnvs();
});
afterAll(async () => {
  await Promise.all(proxies.map((each) => each.stop()));
  await plane.stop();
});

describe('HTTPS_PROXY', () => {
  it('route list reaches a cluster only the proxy can resolve, through a CONNECT tunnel', async () => {
    const file = kubeconfig();
    proxyEnv({});
    const direct = await routeList(file);
    expect(direct.exitCode).toBe(4);
    expect(direct.stderr).toContain(`error: cannot reach the cluster at https://${HOST}:${port}`);
    expect(direct.stderr).toContain('its host name does not resolve');

    proxyEnv({ HTTPS_PROXY: proxy.url });
    const result = await routeList(file);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^\/trigger\s+httpecho\.trigger:80/m);
    expect(tunnelsTo(proxy).at(-1)).toMatchObject({
      method: 'CONNECT',
      userAgent: 'kubectl-trigger-gateway',
    });
  });

  it('kubectl and kubectl trigger-gateway work alike with the same kubeconfig and environment', async () => {
    const env = { KUBECONFIG: kubeconfig(), HTTPS_PROXY: proxy.url };
    const kubectl = await runExecutable('kubectl', ['get', 'configmaps', '-n', 'trigger-gateway'], env);
    expect(kubectl.exitCode, kubectl.stderr).toBe(0);
    expect(kubectl.stdout).toContain('trigger-gateway-haproxy');
    const plugin = await runExecutable('kubectl', ['trigger-gateway', 'route', 'list'], env);
    expect(plugin.exitCode, plugin.stderr).toBe(0);
    expect(plugin.stdout).toMatch(/^\/trigger\s+httpecho\.trigger:80/m);
  });

  it('upper case first, as Go reads them: HTTPS_PROXY wins over https_proxy, which serves alone too', async () => {
    const file = kubeconfig();
    const unreachable = `http://127.0.0.1:${await freePort()}`;
    proxyEnv({ HTTPS_PROXY: proxy.url, https_proxy: unreachable });
    expect((await routeList(file)).exitCode).toBe(0);

    proxyEnv({ https_proxy: unreachable });
    const lower = await routeList(file);
    expect(lower.exitCode).toBe(4);
    expect(lower.stderr).toContain(
      `error: cannot reach the proxy ${unreachable} (from https_proxy): connection refused`,
    );

    // HTTP_PROXY is for http:// servers only.
    proxyEnv({ HTTP_PROXY: proxy.url });
    expect((await routeList(file)).stderr).toContain('its host name does not resolve');
  });

  it('an unreachable proxy is named, with where it was set and how to bypass it: exit 4', async () => {
    const unreachable = `http://127.0.0.1:${await freePort()}`;
    proxyEnv({ HTTPS_PROXY: unreachable });
    const result = await routeList(kubeconfig());
    expect(result.exitCode).toBe(4);
    expect(result.stderr).toContain(
      `error: cannot reach the proxy ${unreachable} (from HTTPS_PROXY): connection refused`,
    );
    expect(result.stderr).toContain(
      `why: requests to the cluster at https://${HOST}:${port} (context "plane") go through this proxy`,
    );
    expect(result.stderr).toContain(
      `try: check HTTPS_PROXY, or send ${HOST} past the proxy: NO_PROXY=${HOST}`,
    );
  });

  it('a proxy that never answers the CONNECT: exit 4 after --request-timeout, naming it; its connection is closed', async () => {
    const silent = await startSilentServer('tcp');
    try {
      proxyEnv({ HTTPS_PROXY: silent.url });
      const result = await runCommand(RouteList, [
        '--kubeconfig',
        kubeconfig(),
        '--request-timeout',
        '300ms',
      ]);
      expect(result.exitCode).toBe(4);
      expect(result.stderr).toContain(
        `error: the proxy ${silent.url} (from HTTPS_PROXY) did not open a tunnel within 0.3s: get configmaps/trigger-gateway-haproxy in namespace trigger-gateway`,
      );
      expect(result.stderr).toContain('try: raise the limit, e.g. --request-timeout=2m');
      expect(silent.connections).toBeGreaterThan(0);
      await silent.allClosed();
    } finally {
      await silent.stop();
    }
  });

  it('an https:// proxy, checked against the cluster CA as kubectl checks it', async () => {
    const secure = await aProxy({ tls: true });
    proxyEnv({ HTTPS_PROXY: secure.url });
    const result = await routeList(kubeconfig());
    expect(result.exitCode, result.stderr).toBe(0);
    expect(tunnelsTo(secure)).toHaveLength(1);
  });
});

describe('NO_PROXY', () => {
  it.each([
    ['a domain suffix', '.proxy-only.test'],
    ['the host itself', HOST],
    ['the host and its port', `${HOST}:PORT`],
    ['*', '*'],
  ])('%s sends the cluster past the proxy (where it does not resolve)', async (_what, entry) => {
    const file = kubeconfig();
    proxyEnv({ HTTPS_PROXY: proxy.url, NO_PROXY: 'example.com' });
    expect((await routeList(file)).exitCode).toBe(0);

    const before = proxy.requests.length;
    proxyEnv({ HTTPS_PROXY: proxy.url, NO_PROXY: `example.com, ${entry.replace('PORT', String(port))}` });
    const result = await routeList(file);
    expect(result.exitCode).toBe(4);
    expect(result.stderr).toContain('its host name does not resolve');
    expect(proxy.requests.length).toBe(before);
  });

  it('entries for other hosts or ports leave it to the proxy', async () => {
    proxyEnv({
      HTTPS_PROXY: proxy.url,
      no_proxy: `${HOST}:1, other.proxy-only.test, only.${HOST}, 10.0.0.0/8, 127.0.0.1`,
    });
    const before = tunnelsTo(proxy).length;
    const result = await routeList(kubeconfig());
    expect(result.exitCode, result.stderr).toBe(0);
    expect(tunnelsTo(proxy).length).toBeGreaterThan(before);
  });
});

describe('a proxy that wants credentials', () => {
  let guarded: TestProxy;
  beforeAll(async () => {
    guarded = await aProxy({ auth: { username: 'ci', password: 'p@ss:word' } });
  });

  it('without them: 407, exit 4, and where to put them', async () => {
    proxyEnv({ HTTPS_PROXY: guarded.url });
    const result = await routeList(kubeconfig());
    expect(result.exitCode).toBe(4);
    expect(result.stderr).toContain(
      `error: the proxy ${guarded.url} (from HTTPS_PROXY) wants credentials to open a tunnel to ${HOST}:${port} (407 Proxy Authentication Required)`,
    );
    expect(result.stderr).toContain('why: the proxy URL carries no user name and password');
    expect(result.stderr).toContain(
      `try: put them in the proxy URL: HTTPS_PROXY=http://USER:PASSWORD@127.0.0.1:${guarded.port}`,
    );
  });

  it('from the proxy URL, percent-decoded, as Proxy-Authorization; a wrong password is refused and never shown', async () => {
    proxyEnv({ HTTPS_PROXY: `http://ci:p%40ss%3Aword@127.0.0.1:${guarded.port}` });
    const result = await routeList(kubeconfig());
    expect(result.exitCode, result.stderr).toBe(0);
    expect(tunnelsTo(guarded).at(-1)?.authorization).toBe(
      `Basic ${Buffer.from('ci:p@ss:word').toString('base64')}`,
    );

    proxyEnv({ HTTPS_PROXY: `http://ci:wrong-secret@127.0.0.1:${guarded.port}` });
    const wrong = await routeList(kubeconfig());
    expect(wrong.exitCode).toBe(4);
    expect(wrong.stderr).toContain('why: it refused the user name and password in the proxy URL');
    expect(`${wrong.stdout}${wrong.stderr}`).not.toContain('wrong-secret');
  });
});

it('a proxy that does not allow the destination: 403, exit 4, saying so', async () => {
  const strict = await aProxy({ deny: (destination) => destination.startsWith(HOST) });
  proxyEnv({ HTTPS_PROXY: strict.url });
  const result = await routeList(kubeconfig());
  expect(result.exitCode).toBe(4);
  expect(result.stderr).toContain(
    `error: the proxy ${strict.url} (from HTTPS_PROXY) does not allow a tunnel to ${HOST}:${port} (403 Forbidden)`,
  );
  expect(result.stderr).toContain(`try: ask the proxy's administrators to allow CONNECT to ${HOST}:${port}`);
});

describe("the kubeconfig's proxy-url", () => {
  it('wins over HTTPS_PROXY and NO_PROXY; socks5 with a user and password', async () => {
    const socks = await aProxy({ socks5: true, auth: { username: 'ci', password: 's3cret' } });
    proxyEnv({ HTTPS_PROXY: `http://127.0.0.1:${await freePort()}`, NO_PROXY: '*' });
    const result = await routeList(kubeconfig({ 'proxy-url': `socks5://ci:s3cret@127.0.0.1:${socks.port}` }));
    expect(result.exitCode, result.stderr).toBe(0);
    expect(tunnelsTo(socks).at(-1)).toMatchObject({ method: 'SOCKS5', authorization: 'ci:s3cret' });
  });

  it('an http:// proxy-url, and the same kubeconfig with the real kubectl', async () => {
    const file = kubeconfig({ 'proxy-url': proxy.url });
    proxyEnv({});
    expect((await routeList(file)).exitCode).toBe(0);
    const kubectl = await runExecutable('kubectl', ['get', 'configmaps', '-n', 'trigger-gateway'], {
      KUBECONFIG: file,
    });
    expect(kubectl.exitCode, kubectl.stderr).toBe(0);
  });

  it('when its proxy is down, the error names proxy-url, not HTTPS_PROXY', async () => {
    const down = `http://127.0.0.1:${await freePort()}`;
    proxyEnv({ HTTPS_PROXY: proxy.url });
    const result = await routeList(kubeconfig({ 'proxy-url': down }));
    expect(result.exitCode).toBe(4);
    expect(result.stderr).toContain(
      `error: cannot reach the proxy ${down} (from the kubeconfig's proxy-url): connection refused`,
    );
    expect(result.stderr).toContain("try: check the cluster's proxy-url: kubectl config view --minify");
  });

  it('a scheme kubectl does not take is refused before any request: exit 3', async () => {
    const result = await routeList(kubeconfig({ 'proxy-url': 'ftp://127.0.0.1:21' }));
    expect(result.exitCode).toBe(3);
    expect(result.stderr).toContain(
      'error: the proxy-url of cluster "plane" is not a proxy URL kubectl accepts',
    );
    expect(result.stderr).toContain('why: its scheme is "ftp"; it must be http, https or socks5');
  });
});

it('status --watch: the watches go through the proxy too, and follow a change', async () => {
  const child = spawn(join(REPO_ROOT, 'bin', 'run.js'), ['status', '--watch', '--kubeconfig', kubeconfig()], {
    env: { PATH: pluginPath(), HOME: process.env.HOME ?? '/tmp', NO_COLOR: '1', HTTPS_PROXY: proxy.url },
  });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  await expect.poll(() => stdout, { timeout: 30_000 }).toMatch(/route \/trigger|\/trigger/);
  const pod = plane.list('pods', 'trigger-gateway')[0]?.metadata.name ?? '';
  plane.put({
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: 'through-the-proxy', namespace: 'trigger-gateway' },
    involvedObject: { kind: 'Pod', name: pod, namespace: 'trigger-gateway' },
    type: 'Warning',
    reason: 'ProxiedWatch',
    message: 'seen through the tunnel',
    lastTimestamp: new Date().toISOString(),
  });
  await expect.poll(() => stdout, { timeout: 30_000 }).toContain('ProxiedWatch: seen through the tunnel');
  child.kill('SIGINT');
  expect(await exited).toBe(0);
});

// Last: it also proves that the guard at the top of this file would catch a load.
it('nothing here loaded @kubernetes/client-node; an auth-provider user still does', async () => {
  expect(clientNode.loads).toBe(0);
  await expect(
    namespacesSeenBy(kubeconfigForUser(plane, { 'auth-provider': { name: 'oidc' } })),
  ).rejects.toThrow();
  expect(clientNode.loads).toBe(1);
});
