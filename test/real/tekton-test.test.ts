/**
 * The whole path on real Tekton Triggers v0.35.0: provider → gateway (real HAProxy) → EventListener
 * (the sink the real controller deployed) → core interceptor → a real PipelineRun. `route add
 * --event-listener` on the objects the controller wrote (HTTP and TLS listeners), `test` finding the
 * secret by itself for GitHub and GitLab, a delivery signed by hand with openssl and sent with curl,
 * and `status` showing each listener's Ready condition.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import RouteList from '../../src/commands/route/list.ts';
import Status from '../../src/commands/status.ts';
import Test from '../../src/commands/test.ts';
import { GATEWAY_HTTP_PORT } from '../../src/haproxy/gateway-config.ts';
import { forwardPodPort } from '../../src/kube/port-forward.ts';
import { receivesTraffic } from '../../src/kube/rollout.ts';
import type { KubeObject } from '../../src/manifests/types.ts';
import type { DeliveryTestResult } from '../../src/services/test-delivery.ts';
import type { GatewayStatus } from '../../src/services/status-model.ts';
import { selfSignedCertificate } from '../support/certificates.ts';
import { runExecutable } from '../support/cli.ts';
import { freshNamespace } from '../support/clusters.ts';
import { eventually } from '../support/eventually.ts';
import { pipelineRunsOf } from './listener-traffic.ts';
import { listenerObjects, waitForListener } from './listeners.ts';
import {
  githubListener,
  gitlabListener,
  tektonInstalled,
  type TektonScene,
  tektonScene,
} from './tekton-scene.ts';

const execFileAsync = promisify(execFile);
const GITHUB_SECRET = 'github-secret-7c1e';
const GITLAB_SECRET = 'gitlab-token-5d9a';

/** A listener like `listenerObjects` makes, serving HTTPS with a certificate from `tlsSecret` (TLS_CERT/TLS_KEY). */
function tlsListener(namespace: string, name: string, tlsSecret: string): KubeObject[] {
  const objects = listenerObjects({
    namespace,
    name,
    provider: 'github',
    secretName: 'github-webhook',
    eventTypes: ['push'],
  });
  const listener = objects.find((object) => object.kind === 'EventListener') as KubeObject & { spec: object };
  const env = ['TLS_CERT', 'TLS_KEY'].map((variable, index) => ({
    name: variable,
    valueFrom: { secretKeyRef: { name: tlsSecret, key: index === 0 ? 'tls.crt' : 'tls.key' } },
  }));
  listener.spec = {
    ...listener.spec,
    resources: { kubernetesResource: { spec: { template: { spec: { containers: [{ env }] } } } } },
  };
  return objects;
}

/** A self-signed certificate for the listener's Service name, as a Secret. */
function certificateSecret(namespace: string, name: string, host: string): KubeObject {
  const { cert, key } = selfSignedCertificate(host);
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace },
    type: 'Opaque',
    stringData: { 'tls.crt': cert, 'tls.key': key },
  } as KubeObject;
}

describe.skipIf(!tektonInstalled())('test and status against real Tekton Triggers', () => {
  let scene: TektonScene;
  const ci = freshNamespace('tk-ci');
  const gitlab = freshNamespace('tk-gitlab');

  beforeAll(async () => {
    scene = await tektonScene('tk');
    await scene.addListener(githubListener(ci), GITHUB_SECRET);
    await scene.addListener(gitlabListener(gitlab), GITLAB_SECRET);
    await scene.apply([
      certificateSecret(ci, 'el-tls', `el-tls-listener.${ci}.svc`),
      ...tlsListener(ci, 'tls-listener', 'el-tls'),
    ]);
    await waitForListener(scene.kube, ci, 'tls-listener');
    await scene.route('/github', 'github-listener', ci);
    await scene.route('/gitlab', 'gitlab-listener', gitlab);
    await scene.route('/tls', 'tls-listener', ci);
  });

  afterAll(async () => {
    await scene?.close();
  });

  it('route add --event-listener routes to the Service and port the real controller created, HTTP or TLS', async () => {
    const listed = await scene.run(RouteList, '-o', 'json');
    expect(listed.exitCode, listed.stderr).toBe(0);
    const routes = JSON.parse(listed.stdout) as Array<{
      match: { path?: string };
      service?: object;
      tls: boolean;
    }>;
    const byMatch = Object.fromEntries(routes.map((route) => [route.match.path, route]));
    expect(byMatch['/github']).toMatchObject({
      service: { name: 'el-github-listener', namespace: ci, port: 8080 },
      tls: false,
    });
    // The controller names the port https-listener and moves it to 8443 when the listener serves TLS.
    expect(byMatch['/tls']).toMatchObject({
      service: { name: 'el-tls-listener', namespace: ci, port: 8443 },
      tls: true,
    });
    const service = await scene.kube.read<
      KubeObject & { spec: { ports: Array<{ name: string; port: number }> } }
    >({
      apiVersion: 'v1',
      kind: 'Service',
      name: 'el-tls-listener',
      namespace: ci,
    });
    expect(service?.spec.ports.map((port) => `${port.name}:${port.port}`)).toEqual([
      'https-listener:8443',
      'http-metrics:9000',
    ]);
  });

  it('test signs with the Secret the interceptor reads, by itself, and proves the delivery by the PipelineRun it started', async () => {
    // Through the real kubectl, which finds and runs the plugin.
    const tested = await runExecutable(
      'kubectl',
      ['trigger-gateway', 'test', '/github', '-n', scene.gateway, '-o', 'json'],
      {
        KUBECONFIG: scene.kubeconfig,
      },
    );
    expect(tested.exitCode, tested.stderr).toBe(0);
    const result = JSON.parse(tested.stdout) as DeliveryTestResult;
    expect(result.status).toBe(202);
    expect(result.listener).toMatchObject({
      name: 'github-listener',
      namespace: ci,
      trigger: 'github-push',
      interceptor: 'verify-github',
      secret: { source: 'interceptor', namespace: ci, name: 'github-webhook', key: 'secretToken' },
      event: 'push',
      eventTypes: ['push', 'pull_request'],
    });
    const eventId = result.listener?.eventId ?? '';
    const runs = await pipelineRunsOf(scene.kube, ci, eventId);
    expect(result.listener?.created).toEqual(
      runs.map((run) => ({
        apiVersion: 'tekton.dev/v1',
        kind: 'PipelineRun',
        namespace: ci,
        name: run.metadata.name,
        trigger: 'github-push',
      })),
    );
    expect(runs).toHaveLength(1);
    expect(`${tested.stdout}${tested.stderr}`).not.toContain(GITHUB_SECRET);

    const text = await scene.run(Test, '/github');
    expect(text.exitCode, text.stderr).toBe(0);
    expect(text.stdout).toContain(
      `eventlistener ${ci}/github-listener: trigger github-push, signed with secret github-webhook (key secretToken) as its verify-github interceptor reads it, event push (it accepts push, pull_request)`,
    );
    expect(text.stdout).toMatch(
      new RegExp(`^ {4}PipelineRun ${ci}/build-[a-z0-9]{5} \\(trigger github-push\\)$`, 'm'),
    );
  });

  it('test --provider gitlab sends the token in X-Gitlab-Token and the event as GitLab names it, and a PipelineRun starts', async () => {
    const tested = await scene.run(Test, '/gitlab', '--provider', 'gitlab', '-o', 'json');
    expect(tested.exitCode, tested.stderr).toBe(0);
    const result = JSON.parse(tested.stdout) as DeliveryTestResult;
    expect(result.delivery.headers['X-Gitlab-Token']).toBe('…(redacted)');
    expect(result.delivery.headers['X-Gitlab-Event']).toBe('Push Hook');
    expect(result.listener).toMatchObject({
      trigger: 'gitlab-push',
      secret: { name: 'gitlab-webhook' },
      eventTypes: ['Push Hook'],
    });
    expect(await pipelineRunsOf(scene.kube, gitlab, result.listener?.eventId ?? '')).toHaveLength(1);
    expect(`${tested.stdout}${tested.stderr}`).not.toContain(GITLAB_SECRET);
    // Without --provider, the provider is the one the listener checks.
    const guessed = await scene.run(Test, '/gitlab', '-o', 'json');
    expect(guessed.exitCode, guessed.stderr).toBe(0);
    expect((JSON.parse(guessed.stdout) as DeliveryTestResult).delivery.provider).toBe('gitlab');
  });

  it('a listener serving TLS behind the gateway: test proves the delivery the same way', async () => {
    const tested = await scene.run(Test, '/tls', '-o', 'json');
    expect(tested.exitCode, tested.stderr).toBe(0);
    const result = JSON.parse(tested.stdout) as DeliveryTestResult;
    expect(await pipelineRunsOf(scene.kube, ci, result.listener?.eventId ?? '')).toHaveLength(1);
  });

  it('a delivery signed by hand with openssl and sent with curl through the gateway starts a PipelineRun', async () => {
    // The gateway must pass every byte the interceptor checks: the body and the signature header.
    const dir = mkdtempSync(join(tmpdir(), 'curl-delivery-'));
    const body = join(dir, 'push.json');
    writeFileSync(
      body,
      '{"ref":"refs/heads/main","after":"5d4c1e0a9b3f27e86a1d0c4b7f9e2a3c8b6d1f04",\n  "repository":{"full_name":"example/by-hand"}}\n',
    );
    const digest = execFileSync('openssl', ['dgst', '-sha256', '-hmac', GITHUB_SECRET, '-r', body], {
      encoding: 'utf8',
    }).split(' ')[0];
    const pods = await scene.kube.list('v1', 'Pod', {
      namespace: scene.gateway,
      labelSelector: 'app.kubernetes.io/name=trigger-gateway',
    });
    const pod = pods.find(receivesTraffic as (p: KubeObject) => boolean);
    const forwarded = await forwardPodPort(
      scene.kube,
      { name: pod?.metadata.name ?? '', namespace: scene.gateway },
      GATEWAY_HTTP_PORT,
    );
    try {
      // Not execFileSync: the port-forward runs in this process and must go on while curl waits.
      const { stdout: answer } = await execFileAsync(
        'curl',
        [
          '-sS',
          '--max-time',
          '10',
          '-X',
          'POST',
          `http://127.0.0.1:${forwarded.localPort}/github`,
          '-H',
          'Content-Type: application/json',
          '-H',
          'X-GitHub-Event: push',
          '-H',
          `X-Hub-Signature-256: sha256=${digest}`,
          '--data-binary',
          `@${body}`,
        ],
        { encoding: 'utf8' },
      );
      const { eventID } = JSON.parse(answer) as { eventID: string };
      const [run] = await eventually(
        async () => {
          const runs = await pipelineRunsOf(scene.kube, ci, eventID);
          if (runs.length === 0) throw new Error(`no PipelineRun for event ${eventID} yet`);
          return runs;
        },
        { timeoutMs: 30_000 },
      );
      // The binding read the repository from the body the gateway passed on.
      expect(
        (run as KubeObject & { spec: { params: Array<{ name: string; value: string }> } }).spec.params,
      ).toContainEqual({ name: 'repository', value: 'example/by-hand' });
    } finally {
      await forwarded.close();
    }
  });

  it("status shows each listener's Ready condition, and why one is not", async () => {
    const broken = freshNamespace('tk-broken');
    await scene.apply([
      {
        apiVersion: 'triggers.tekton.dev/v1beta1',
        kind: 'EventListener',
        metadata: { name: 'broken-listener', namespace: broken },
        spec: { serviceAccountName: 'no-such-account', triggers: [] },
      } as KubeObject,
    ]);
    // Its controller creates the Service at once, the Deployment's failure a moment later.
    await eventually(() => scene.route('/broken', 'broken-listener', broken), {
      timeoutMs: 30_000,
      intervalMs: 500,
    });
    const status = await eventually(
      async () => {
        const shown = await scene.run(Status, '-o', 'json');
        const parsed = JSON.parse(shown.stdout) as GatewayStatus;
        const listener = parsed.routes.find((route) => route.match === '/broken')?.listener;
        if (!listener?.message?.includes('no-such-account'))
          throw new Error(`not reported yet: ${shown.stdout}`);
        return parsed;
      },
      { timeoutMs: 60_000, intervalMs: 1000 },
    );
    const byMatch = Object.fromEntries(status.routes.map((route) => [route.match, route.listener]));
    expect(byMatch['/github']).toEqual({
      name: 'github-listener',
      namespace: ci,
      ready: 'True',
      message: 'EventListener is ready',
    });
    expect(byMatch['/broken']).toMatchObject({ name: 'broken-listener', ready: 'False' });
    const text = await scene.run(Status);
    expect(text.stdout).toMatch(/^\/github\s+el-github-listener\.\S+:8080\s+1 ready\s+Ready\s/m);
    expect(text.stdout).toContain(`! eventlistener ${broken}/broken-listener is not Ready`);
  });
});
