/**
 * --request-timeout and --timeout bound every command: against servers that accept connections and
 * requests and never answer (real loopback servers, and the local control plane holding chosen
 * requests), each command ends with exit 4, says what it was doing and which flag to raise, and closes
 * what it opened: the server sees every one of its connections close. No timing is asserted: ending at
 * all (within vitest's limit) is the proof.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import Install from '../../src/commands/install.ts';
import RouteAdd from '../../src/commands/route/add.ts';
import RouteList from '../../src/commands/route/list.ts';
import RouteRemove from '../../src/commands/route/remove.ts';
import Status from '../../src/commands/status.ts';
import Test from '../../src/commands/test.ts';
import Uninstall from '../../src/commands/uninstall.ts';
import WorkspaceCreate from '../../src/commands/workspace/create.ts';
import WorkspaceCurrent from '../../src/commands/workspace/current.ts';
import WorkspaceUse from '../../src/commands/workspace/use.ts';
import { KubeClient } from '../../src/kube/client.ts';
import { resolveKubeTarget } from '../../src/kube/kubeconfig.ts';
import { sampleDeliveryTest, testDelivery } from '../../src/services/test-delivery.ts';
import { pluginPath, REPO_ROOT, runCommand } from '../support/cli.ts';
import { type ControlPlane, type Stall, startControlPlane } from '../support/control-plane/index.ts';
import { CA_CERT } from '../support/control-plane/tls.ts';
import { writeKubeconfig } from '../support/kubeconfig.ts';
import { type SilentServer, startSilentServer } from '../support/silent-server.ts';

const tempKubeconfig = (plane: ControlPlane, options: { workspace?: string } = {}) =>
  plane.writeKubeconfig(join(mkdtempSync(join(tmpdir(), 'tg-timeouts-')), 'kubeconfig'), options);

/** Progress that goes nowhere. */
const SILENT = { update() {}, done() {}, warn() {}, stop() {} };

/** Every held request's connection was closed by the client. */
const allClosed = (stall: Stall) => Promise.all(stall.requests.map((request) => request.closed));

const COMMANDS = [
  ['install', Install, ['--timeout', '1s']],
  ['uninstall', Uninstall, []],
  ['route add', RouteAdd, ['/github', 'el-github.ci:8080', '--timeout', '1s']],
  ['route remove', RouteRemove, ['/github', '--timeout', '1s']],
  ['route list', RouteList, []],
  ['status', Status, []],
  ['test', Test, ['--timeout', '1s']],
  ['workspace create', WorkspaceCreate, ['team', '--timeout', '1s']],
  ['workspace use', WorkspaceUse, ['team']],
  ['workspace current', WorkspaceCurrent, []],
] as const;

describe.each(['https', 'tcp'] as const)('a server that accepts and never answers (%s)', (mode) => {
  let silent: SilentServer;
  let kubeconfig: string;
  beforeAll(async () => {
    silent = await startSilentServer(mode);
    kubeconfig = writeKubeconfig({
      server: `https://127.0.0.1:${silent.port}`,
      caData: Buffer.from(CA_CERT).toString('base64'),
    });
  });
  afterAll(async () => {
    await silent.stop();
  });

  it.each(COMMANDS)(
    '%s: exit 4 after --request-timeout, saying what it was doing; every connection closed',
    async (_name, command, args) => {
      const before = silent.connections;
      const result = await runCommand(command, [
        '--kubeconfig',
        kubeconfig,
        '--request-timeout',
        '300ms',
        ...args,
      ]);
      expect(result.exitCode, result.stderr).toBe(4);
      expect(result.stderr).toMatch(
        new RegExp(
          `^error: the cluster at https://127\\.0\\.0\\.1:${silent.port} \\(context "test"\\) did not answer within 0\\.3s: (get|list) \\S+`,
          'm',
        ),
      );
      expect(result.stderr).toContain('why: no answer came within --request-timeout (0.3s)');
      expect(result.stderr).toContain('try: raise the limit, e.g. --request-timeout=2m');
      expect(silent.connections).toBeGreaterThan(before);
      await silent.allClosed();
    },
  );
});

describe('a cluster that answers, except for the requests it holds', () => {
  let plane: ControlPlane;
  let kubeconfig: string;
  let stall: Stall | undefined;
  beforeAll(async () => {
    plane = await startControlPlane({
      // Pod addresses no other test's pods use: nothing listens on them.
      podRuntime: { start: async () => 'ready', stop: async () => {}, podIP: () => '127.77.0.9' },
    });
    kubeconfig = tempKubeconfig(plane);
    const installed = await runCommand(Install, ['--kubeconfig', kubeconfig, '--with-echo']);
    expect(installed.exitCode, installed.stderr).toBe(0);
  });
  afterEach(() => {
    stall?.end();
    stall = undefined;
  });
  afterAll(async () => {
    await plane.stop();
  });

  const test = (...args: string[]) =>
    runCommand(Test, ['--kubeconfig', kubeconfig, '--timeout', '1s', '--request-timeout', '1s', ...args]);

  it('test: a log stream whose headers never come ends the command with exit 4, and the stream is closed', async () => {
    stall = plane.stall((request) => request.path.endsWith('/log'));
    const result = await test();
    expect(result.exitCode, result.stderr).toBe(4);
    expect(result.stderr).toMatch(
      /error: the cluster at \S+ \(context "control-plane"\) did not answer within 1s: get pods\/log\/httpecho-\S+ in namespace trigger$/m,
    );
    expect(stall.requests.length).toBeGreaterThan(0);
    await allClosed(stall);
  });

  it('test: a port-forward whose upgrade is never answered ends with exit 4, and its connection is closed', async () => {
    stall = plane.stall((request) => request.upgrade && request.path.endsWith('/portforward'));
    const result = await test();
    expect(result.exitCode, result.stderr).toBe(4);
    expect(result.stderr).toMatch(
      /error: the cluster at \S+ \(context "control-plane"\) did not answer within 1s: create pods\/portforward\/trigger-gateway-\S+ in namespace trigger-gateway$/m,
    );
    await allClosed(stall);
  });

  it("the same in a process that goes on (status's t key): the log streams it opened are closed at once", async () => {
    stall = plane.stall((request) => request.upgrade && request.path.endsWith('/portforward'));
    const kube = new KubeClient(resolveKubeTarget({ kubeconfig, requestTimeoutMs: 1000 }));
    try {
      const before = plane.requests.length;
      await expect(testDelivery(kube, sampleDeliveryTest(undefined, 1000), SILENT)).rejects.toThrow(
        /did not answer within 1s: create pods\/portforward/,
      );
      const follows = plane.requests.slice(before).filter((request) => request.path.endsWith('/log'));
      expect(follows.length).toBeGreaterThan(0);
      // Still connected: only test's own clean-up can have ended them.
      await expect.poll(() => follows.every((request) => request.streaming === false)).toBe(true);
    } finally {
      await kube.close();
    }
  });

  it('test: a pod port nothing listens on is reported from the port-forward, exit 7', async () => {
    const result = await test();
    expect(result.exitCode, result.stderr).toBe(7);
    expect(result.stderr).toMatch(
      /error: the port-forward to pod trigger-gateway\/trigger-gateway-\S+ port 8080 failed/,
    );
    expect(result.stderr).toContain('connect: connection refused');
  });

  it('test: a gateway URL that accepts the delivery and never answers: exit 4, and its connection is closed', async () => {
    const gateway = await startSilentServer('http');
    try {
      const result = await test('--url', gateway.url);
      expect(result.exitCode, result.stderr).toBe(4);
      expect(result.stderr).toContain(
        `error: the gateway at ${gateway.url} did not answer within 1s: POST /trigger (the test delivery)`,
      );
      expect(gateway.requests).toEqual(['POST /trigger']);
      await gateway.allClosed();
    } finally {
      await gateway.stop();
    }
  });

  it("status: a pod's stats that never come are a notice naming the limit; the rest is shown, exit 0", async () => {
    stall = plane.stall((request) => request.path.includes('/proxy/'));
    const result = await runCommand(Status, [
      '--kubeconfig',
      kubeconfig,
      '--request-timeout',
      '1s',
      '-o',
      'json',
    ]);
    expect(result.exitCode, result.stderr).toBe(0);
    const status = JSON.parse(result.stdout) as { notices: string[]; pods: unknown[] };
    expect(status.pods).toHaveLength(2);
    expect(status.notices.join('\n')).toMatch(
      /cannot read HAProxy stats from pod trigger-gateway-\S+: the cluster at \S+ \(context "control-plane"\) did not answer within 1s: get pods\/proxy\/trigger-gateway-\S+ in namespace trigger-gateway/,
    );
    await allClosed(stall);
  });

  it('status --watch: watches that never open are noticed and retried, each one closed; Ctrl-C ends it', async () => {
    stall = plane.stall((request) => request.query.get('watch') === 'true');
    const child = spawn(
      join(REPO_ROOT, 'bin', 'run.js'),
      ['status', '--watch', '--request-timeout', '500ms', '--kubeconfig', kubeconfig],
      { env: { ...process.env, PATH: pluginPath(), NO_COLOR: '1' } },
    );
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const held = stall;
    await expect
      .poll(() => stdout, { timeout: 30_000 })
      .toMatch(
        /note: cannot watch configmap\/trigger-gateway-haproxy: the cluster at \S+ \(context "control-plane"\) did not answer within 0\.5s: watch configmaps in namespace trigger-gateway/,
      );
    // While it still runs: the watch that timed out was closed, not left open beside its retry.
    await held.requests[0]?.closed;
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    await allClosed(held);
  });

  it('a rollout that times out while its pods cannot be read still reports the timeout, exit 8', async () => {
    const stuck = await startControlPlane({
      podRuntime: { start: async () => 'never-ready', stop: async () => {}, podIP: () => '127.77.0.10' },
    });
    try {
      const held = stuck.stall(
        (request) => request.path === '/api/v1/namespaces/trigger-gateway/pods' && request.method === 'GET',
      );
      const result = await runCommand(Install, [
        '--kubeconfig',
        tempKubeconfig(stuck),
        '--timeout',
        '1s',
        '--request-timeout',
        '1s',
      ]);
      expect(result.exitCode, result.stderr).toBe(8);
      expect(result.stderr).toContain(
        'error: timed out waiting for deployment trigger-gateway/trigger-gateway to roll out',
      );
      expect(result.stderr).toMatch(
        /its pods could not be read: the cluster at \S+ \(context "control-plane"\) did not answer within [\d.]+s: list pods in namespace trigger-gateway/,
      );
      await allClosed(held);
    } finally {
      await stuck.stop();
    }
  });
});

describe('kcp: waiting for a workspace', () => {
  let plane: ControlPlane;
  beforeAll(async () => {
    plane = await startControlPlane({
      kcp: {
        workspaces: [{ path: 'root:org', type: 'organization' }],
        workspaceTypes: [{ name: 'stuck', stuck: true }],
      },
    });
  });
  afterAll(async () => {
    await plane.stop();
  });

  it('a workspace that never becomes ready times out with exit 8; a read that never returns ends it with exit 4', async () => {
    const kubeconfig = tempKubeconfig(plane, { workspace: 'root:org' });
    const create = (name: string) =>
      runCommand(WorkspaceCreate, [
        '--kubeconfig',
        kubeconfig,
        name,
        '--type',
        'stuck',
        '--timeout',
        '1s',
        '--request-timeout',
        '1s',
      ]);
    const slow = await create('slow');
    expect(slow.exitCode, slow.stderr).toBe(8);

    const stall = plane.stall(
      (request) => request.method === 'GET' && request.path.endsWith('/workspaces/held'),
    );
    try {
      const held = await create('held');
      expect(held.exitCode, held.stderr).toBe(4);
      expect(held.stderr).toMatch(/did not answer within 1s: get workspaces\/held$/m);
      expect(stall.requests.length).toBeGreaterThan(0);
      await allClosed(stall);
    } finally {
      stall.end();
    }
  });
});
