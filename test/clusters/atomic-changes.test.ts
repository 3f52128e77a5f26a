/**
 * A config the gateway pods' HAProxy refuses never stays, on each control plane of the run. With no
 * HAProxy on the plugin's machine (HAPROXY_BIN=none) the pods' own HAProxy checks it through
 * pods/exec before anything is written; where exec is not allowed, nothing checks it, the new pods'
 * crash ends the wait at once, their alerts are shown, and the previous haproxy.cfg and pod template
 * are put back. The refused config is a hand edit elsewhere in the file, which our parser lets through.
 */
import { isDeepStrictEqual } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execInPod } from '../../src/kube/exec.ts';
import { isPodReady, type PodLike } from '../../src/kube/rollout.ts';
import { runExecutable } from '../support/cli.ts';
import { type ClusterUnderTest, controlPlanes, freshNamespace } from '../support/clusters.ts';
import { eventually } from '../support/eventually.ts';
import { gatewayReaders } from '../support/gateway-objects.ts';

const VALID =
  'global\ndefaults\n  mode http\n  timeout client 1s\n  timeout server 1s\n  timeout connect 1s\nfrontend x\n  bind :8080\n';

describe.each(controlPlanes())('atomic config changes on the $name control plane', (row) => {
  let cluster: ClusterUnderTest;
  let editor: string;
  const ns = freshNamespace('tg-atomic');
  /** The plugin through the real kubectl, on a machine without HAProxy. */
  const plugin = (kubeconfig: string, ...args: string[]) =>
    runExecutable('kubectl', ['trigger-gateway', ...args, '-n', ns, '--timeout=2m'], {
      KUBECONFIG: kubeconfig,
      HAPROXY_BIN: 'none',
    });
  const { configMap, deployment } = gatewayReaders(() => cluster.kube, ns);
  const gatewayPods = () =>
    cluster.kube.list<PodLike>('v1', 'Pod', {
      namespace: ns,
      labelSelector: 'app.kubernetes.io/name=trigger-gateway',
    });
  /** Two Ready pods whose HAProxy answers its health check, through the API server's pod proxy. */
  const expectServing = async () =>
    eventually(
      async () => {
        const pods = await gatewayPods();
        expect(pods.filter(isPodReady)).toHaveLength(2);
        expect(pods).toHaveLength(2);
        for (const pod of pods) {
          const health = await cluster.kube.proxyGet(
            { name: pod.metadata.name, namespace: ns },
            8404,
            '/healthz',
          );
          expect(health).toContain('200 OK');
        }
      },
      { timeoutMs: 60_000 },
    );

  beforeAll(async () => {
    cluster = await row.connect();
    const installed = await plugin(cluster.kubeconfig, 'install');
    expect(installed.exitCode, installed.stderr).toBe(0);
    editor = await cluster.noExecKubeconfig(ns);
  });

  afterAll(async () => {
    await cluster?.close();
  });

  /** A hand edit HAProxy refuses and our parser lets through; the pods run the config from before it. */
  let edited = false;
  const handEdit = async () => {
    if (edited) return;
    edited = true;
    const live = await configMap();
    const cfg = live.data['haproxy.cfg']?.replace(/^defaults\n/m, 'defaults\n    no_such_keyword on\n') ?? '';
    expect(cfg).toContain('no_such_keyword');
    await cluster.kube.replace({ ...live, data: { ...live.data, 'haproxy.cfg': cfg } });
  };

  it('says which HAProxy checked the new config: the pods own where this machine has none', async () => {
    if (!cluster.runsHaproxy) return;
    const added = await plugin(cluster.kubeconfig, 'route', 'add', '/ok', `el-ok.${ns}:8080`);
    expect(added.exitCode, added.stderr).toBe(0);
    expect(added.stdout).toMatch(
      /^Checked by HAProxy [\d.]+ in pod trigger-gateway-\S+ \(no HAProxy on this machine\)\.$/m,
    );
    const json = await plugin(cluster.kubeconfig, 'route', 'remove', '/ok', '-o', 'json');
    expect(json.exitCode, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout).check).toMatchObject({ by: 'pod', notes: ['no HAProxy on this machine'] });
  });

  it('exec into a gateway pod runs its HAProxy: the config on stdin, its alerts and exit code', async () => {
    if (!cluster.runsHaproxy) return;
    const [pod] = await gatewayPods();
    const target = { name: pod?.metadata.name ?? '', namespace: ns };
    // Through a pipe of the pod's shell, as the plugin does: haproxy runs as user 99, who may not
    // open /dev/stdin on the exec's own stdin (the runtime's, mode 0600): a real node says so.
    const check = (stdin: string) =>
      execInPod(cluster.kube, target, {
        container: 'haproxy',
        command: ['sh', '-c', 'cat | haproxy -c -f /dev/stdin'],
        stdin,
      });
    if (cluster.name === 'real') {
      const direct = await execInPod(cluster.kube, target, {
        container: 'haproxy',
        command: ['haproxy', '-c', '-f', '/dev/stdin'],
        stdin: VALID,
      });
      expect(direct.stderr).toContain('Could not open configuration file /dev/stdin : Permission denied');
    }
    expect((await check(VALID)).exitCode).toBe(0);
    const refused = await check(`${VALID}  no_such_keyword\n`);
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toMatch(/^\[ALERT\].*'no_such_keyword'/m);
  });

  it.each([
    ['route add', ['route', 'add', '/github', 'el-github.ci:8080'], 'this route change'],
    ['install', ['install', '--max-body', '1MiB'], 'this install'],
  ])(
    '%s: the pods HAProxy refuses the hand edit through exec; nothing is written, the gateway serves on',
    async (_, args, what) => {
      if (!cluster.runsHaproxy) return;
      await handEdit();
      const [before, generation] = [await configMap(), (await deployment()).metadata.generation];
      const refused = await plugin(cluster.kubeconfig, ...args);
      expect(refused.exitCode, refused.stderr).toBe(7);
      expect(refused.stderr).toMatch(
        new RegExp(
          `error: HAProxy [\\d.]+ in pod trigger-gateway-\\S+ already rejects the live haproxy\\.cfg, so ${what} cannot be checked; nothing was written`,
        ),
      );
      expect(refused.stderr).toContain("unknown keyword 'no_such_keyword'");
      const after = await configMap();
      expect(after.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
      expect(after.data).toEqual(before.data);
      expect((await deployment()).metadata.generation).toBe(generation);
      await expectServing();
    },
  );

  it.each([
    ['route add', ['route', 'add', '/github', `el-github.${ns}:8080`]],
    ['install', ['install', '--max-body', '1MiB']],
  ])(
    '%s without exec rights: nothing checks it, the new pod crashes, its alerts are shown and all is put back',
    async (_, args) => {
      if (!cluster.runsHaproxy) return;
      await handEdit();
      const before = await configMap();
      const template = (await deployment()).spec.template;
      const result = await plugin(editor, ...args);
      expect(result.exitCode, result.stderr).toBe(9);
      expect(result.stderr).toContain(
        `Not checked by any HAProxy (no HAProxy on this machine; not allowed to exec into pod`,
      );
      expect(result.stderr).toContain(
        'error: the gateway pods refused the new haproxy.cfg; the change was rolled back',
      );
      expect(result.stderr).toMatch(
        /why: pod trigger-gateway-\S+, container haproxy, (CrashLoopBackOff|exited|restarted)/,
      );
      expect(result.stderr).toMatch(/^ +\[ALERT\].*unknown keyword 'no_such_keyword'/m);
      expect(result.stderr).toContain(
        'restored: configmap/trigger-gateway-haproxy: haproxy.cfg as it was; deployment/trigger-gateway: its previous pod template; 2/2 pods serve the previous config',
      );
      // The ConfigMap byte for byte as before the command, the pod template as before, the old pods serving.
      expect((await configMap()).data).toEqual(before.data);
      expect(isDeepStrictEqual((await deployment()).spec.template, template)).toBe(true);
      await expectServing();
    },
  );

  it('--no-rollback keeps the failed state to debug it: the new config stays, its pod crashes', async () => {
    if (!cluster.runsHaproxy) return;
    await handEdit();
    const result = await plugin(editor, 'route', 'add', '/gitlab', `el-gitlab.${ns}:8080`, '--no-rollback');
    expect(result.exitCode, result.stderr).toBe(7);
    expect(result.stderr).toContain(
      'error: the new gateway pods crash on this change; kept as it is (--no-rollback)',
    );
    expect(result.stderr).toMatch(/^ +\[ALERT\].*unknown keyword 'no_such_keyword'/m);
    expect((await configMap()).data['haproxy.cfg']).toContain('/gitlab/');
    const pods = await gatewayPods();
    expect(pods.filter((pod) => !isPodReady(pod)).length).toBeGreaterThan(0);
  });
});
