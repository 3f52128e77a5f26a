/**
 * pods/exec: the plugin's adapter (src/kube/exec.ts) and the real kubectl against the local control
 * plane, whose data plane runs a gateway pod's HAProxy in the pod's view. Stdin closed with v5, exit
 * codes from the Status, v4 told apart, 403 and a server that never answers as a user meets them.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayError } from '../../src/errors.ts';
import { KubeClient } from '../../src/kube/client.ts';
import { EXEC_V4, execInPod, exitCodeOf, StdinNotClosableError } from '../../src/kube/exec.ts';
import { resolveKubeTarget } from '../../src/kube/kubeconfig.ts';
import { runExecutable } from '../support/cli.ts';
import { type ControlPlane, startControlPlane } from '../support/control-plane/index.ts';
import { DEFAULT_TOKEN } from '../support/control-plane/kubeconfig.ts';
import { eventually } from '../support/eventually.ts';
import { findHaproxy, HAPROXY_MISSING } from '../support/haproxy.ts';
import { kubeconfigForUser } from '../support/kubeconfig.ts';

describe('exitCodeOf: the Status on the error channel', () => {
  it('reads Success as 0 and a NonZeroExitCode cause as its code', () => {
    expect(exitCodeOf({ status: 'Success' })).toBe(0);
    expect(
      exitCodeOf({
        status: 'Failure',
        reason: 'NonZeroExitCode',
        details: { causes: [{ reason: 'ExitCode', message: '3' }] },
      }),
    ).toBe(3);
  });

  it('is an error with the server message when the command could not run', () => {
    const error = exitCodeOf({
      status: 'Failure',
      reason: 'InternalError',
      message: 'exec: "sh": not found',
    });
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toBe('exec: "sh": not found');
  });
});

const VALID =
  'global\ndefaults\n  mode http\n  timeout client 1s\n  timeout server 1s\n  timeout connect 1s\nfrontend x\n  bind :8080\n';

describe.skipIf(!findHaproxy() && !process.env.CI)(
  `pods/exec on a gateway pod (${findHaproxy() ?? HAPROXY_MISSING})`,
  () => {
    let plane: ControlPlane;
    let kube: KubeClient;
    let pod: { name: string; namespace: string };
    const clientFor = (kubeconfig: string, requestTimeoutMs = 30_000) =>
      new KubeClient(resolveKubeTarget({ kubeconfig, requestTimeoutMs }));

    beforeAll(async () => {
      plane = await startControlPlane({
        dataPlane: true,
        users: {
          [DEFAULT_TOKEN]: { name: 'admin' },
          noexec: { name: 'noexec', deny: [{ resource: 'pods/exec' }] },
        },
      });
      const kubeconfig = plane.writeKubeconfig(join(mkdtempSync(join(tmpdir(), 'tg-exec-')), 'kubeconfig'));
      kube = clientFor(kubeconfig);
      const installed = await runExecutable('kubectl', ['trigger-gateway', 'install', '--timeout=60s'], {
        KUBECONFIG: kubeconfig,
      });
      expect(installed.exitCode, installed.stderr).toBe(0);
      const [first] = plane.list('pods', 'trigger-gateway');
      pod = { name: first?.metadata.name ?? '', namespace: 'trigger-gateway' };
    });

    afterAll(async () => {
      await kube?.close();
      await plane?.stop();
    });

    const check = (stdin: string, options: Partial<Parameters<typeof execInPod>[2]> = {}) =>
      execInPod(kube, pod, {
        container: 'haproxy',
        command: ['haproxy', '-c', '-f', '/dev/stdin'],
        stdin,
        ...options,
      });

    it('feeds stdin, closes it (v5) and reads the exit code: 0 for a valid config', async () => {
      const result = await check(VALID);
      expect(result.protocol).toBe('v5.channel.k8s.io');
      expect(result.exitCode, result.stderr).toBe(0);
    });

    it('a config HAProxy refuses: its exit code and its own [ALERT] lines, naming /dev/stdin', async () => {
      const result = await check(`${VALID}  no_such_keyword\n`);
      expect(result.exitCode).toBe(1);
      expect(result.stderr).toMatch(/^\[ALERT\].*\[\/dev\/stdin:9\].*'no_such_keyword'/m);
    });

    it('a config larger than one frame arrives whole', async () => {
      const comment = `# ${'x'.repeat(200_000)}\n`;
      const result = await check(`${comment}${VALID}  no_such_keyword\n`);
      expect(result.stderr).toContain('[/dev/stdin:10]');
    });

    it('v4 cannot close stdin: said at once instead of waiting for the timeout; without stdin it works', async () => {
      await expect(check(VALID, { protocols: [EXEC_V4] })).rejects.toBeInstanceOf(StdinNotClosableError);
      const version = await execInPod(kube, pod, {
        container: 'haproxy',
        command: ['haproxy', '-v'],
        protocols: [EXEC_V4],
      });
      expect(version.protocol).toBe(EXEC_V4);
      expect(version.exitCode).toBe(0);
      expect(version.stdout).toMatch(/^HAProxy version 2\.6/m);
    });

    it('a command the container cannot run is an error with the server message', async () => {
      await expect(
        execInPod(kube, pod, { container: 'haproxy', command: ['sh', '-c', 'true'] }),
      ).rejects.toThrow(/executable file not found/);
    });

    it('403 names pods/exec and the verb', async () => {
      const noexec = clientFor(kubeconfigForUser(plane, { token: 'noexec' }));
      try {
        const error = await execInPod(noexec, pod, {
          container: 'haproxy',
          command: ['haproxy', '-v'],
        }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(GatewayError);
        expect((error as GatewayError).exitCode).toBe(6);
        expect((error as GatewayError).message).toContain('pods/exec');
      } finally {
        await noexec.close();
      }
    });

    it('an API server that never answers the upgrade: the exec ends within --request-timeout (exit 4)', async () => {
      const stall = plane.stall((request) => request.path.endsWith('/exec'));
      const quick = clientFor(
        plane.writeKubeconfig(join(mkdtempSync(join(tmpdir(), 'tg-exec-')), 'kc')),
        1000,
      );
      try {
        const timedOut = await execInPod(quick, pod, {
          container: 'haproxy',
          command: ['haproxy', '-v'],
        }).catch((e: unknown) => e);
        expect((timedOut as GatewayError).exitCode).toBe(4);
      } finally {
        stall.end();
        await quick.close();
      }
    });

    it('the real kubectl exec -i gets the same: stdin, stderr and the exit code', async () => {
      const kubeconfig = plane.writeKubeconfig(join(mkdtempSync(join(tmpdir(), 'tg-exec-')), 'kubeconfig'));
      const refused = await runExecutable(
        'sh',
        [
          '-c',
          `printf '%s' "$0" | kubectl exec -i -n trigger-gateway ${pod.name} -- haproxy -c -f /dev/stdin`,
          `${VALID}  nope\n`,
        ],
        { KUBECONFIG: kubeconfig },
      );
      expect(refused.exitCode).toBe(1);
      expect(refused.stderr).toContain("unknown keyword 'nope'");
      expect(refused.stderr).toContain('command terminated with exit code 1');
      await eventually(async () => {
        expect(
          plane.requests.some((r) => r.path.endsWith('/exec') && r.upgrade?.protocol === 'v5.channel.k8s.io'),
        ).toBe(true);
      });
    });
  },
);
