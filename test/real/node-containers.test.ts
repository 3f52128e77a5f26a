/**
 * What the real node does with containers, as a kubelet does, so that the plugin meets what a real
 * node shows: a container that exits is restarted with the kubelet's back-off (CrashLoopBackOff
 * between restarts, restartCount, lastState, the previous instance's log), a failing liveness probe
 * gets the container killed and restarted, and each pod is a host of its own (own PID 1, own network
 * namespace and address, its ServiceAccount's token, the cluster DNS).
 */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { eventually } from '../support/eventually.ts';
import { runExecutable } from '../support/cli.ts';

const plane = inject('realControlPlane');
const ns = `tg-node-${process.pid.toString(36)}`;
const kubectl = (...args: string[]) =>
  runExecutable('kubectl', ['-n', ns, ...args], { KUBECONFIG: plane.kubeconfig });

interface ContainerStatus {
  restartCount: number;
  ready: boolean;
  state: {
    waiting?: { reason: string; message?: string };
    running?: object;
    terminated?: { exitCode: number };
  };
  lastState: { terminated?: { exitCode: number; reason: string } };
}

async function containerStatus(pod: string): Promise<ContainerStatus> {
  const got = await kubectl('get', 'pod', pod, '-o', 'jsonpath={.status.containerStatuses[0]}');
  if (got.exitCode !== 0 || !got.stdout) throw new Error(`no status for pod ${pod} yet: ${got.stderr}`);
  return JSON.parse(got.stdout) as ContainerStatus;
}

/** A pod of the haproxy image (the host's root filesystem has a shell) running `script`. */
function pod(name: string, script: string, extra: object = {}): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns },
    spec: {
      terminationGracePeriodSeconds: 1,
      containers: [
        { name: 'main', image: 'docker.io/library/haproxy:3.2', command: ['sh', '-c', script], ...extra },
      ],
    },
  });
}

async function create(manifest: string): Promise<void> {
  const file = join(tmpdir(), `${ns}-${Date.now()}.json`);
  writeFileSync(file, manifest);
  const created = await kubectl('create', '-f', file);
  expect(created.exitCode, created.stderr).toBe(0);
}

describe('containers on the real node', () => {
  beforeAll(async () => {
    const made = await runExecutable('kubectl', ['create', 'namespace', ns], {
      KUBECONFIG: plane.kubeconfig,
    });
    expect(made.exitCode, made.stderr).toBe(0);
  });

  afterAll(async () => {
    await runExecutable('kubectl', ['delete', 'namespace', ns, '--wait=false'], {
      KUBECONFIG: plane.kubeconfig,
    });
  });

  it('restarts a container that exits, with CrashLoopBackOff between restarts and the previous log kept', async () => {
    await create(pod('crasher', 'echo "run $(cat /proc/1/cmdline | tr "\\0" " ")"; exit 3'));
    const backedOff = await eventually(
      async () => {
        const status = await containerStatus('crasher');
        if (status.state.waiting?.reason !== 'CrashLoopBackOff')
          throw new Error(JSON.stringify(status.state));
        return status;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    expect(backedOff.lastState.terminated).toMatchObject({ exitCode: 3, reason: 'Error' });
    expect(backedOff.state.waiting?.message).toMatch(
      /^back-off 10s restarting failed container=main pod=crasher_/,
    );
    // The kubelet's back-off: the first restart 10 s after the crash.
    const restarted = await eventually(
      async () => {
        const status = await containerStatus('crasher');
        if (status.restartCount < 1) throw new Error(`restartCount ${status.restartCount}`);
        return status;
      },
      { timeoutMs: 40_000, intervalMs: 500 },
    );
    expect(restarted.restartCount).toBeGreaterThanOrEqual(1);
    // The program is PID 1 of its own PID namespace, as in a container.
    const previous = await kubectl('logs', 'crasher', '--previous');
    expect(previous.exitCode, previous.stderr).toBe(0);
    expect(previous.stdout).toContain('run sh -c');
    const events = await kubectl(
      'get',
      'events',
      '--field-selector',
      'involvedObject.name=crasher',
      '-o',
      'json',
    );
    expect(events.stdout).toContain('"reason": "BackOff"');
  });

  it('kills and restarts a container whose liveness probe fails', async () => {
    await create(
      pod('unhealthy', 'touch /tmp/healthy; sleep 3; rm /tmp/healthy; exec sleep 3600', {
        livenessProbe: { exec: { command: ['cat', '/tmp/healthy'] }, periodSeconds: 1, failureThreshold: 2 },
      }),
    );
    const restarted = await eventually(
      async () => {
        const status = await containerStatus('unhealthy');
        if (status.restartCount < 1) throw new Error(`restartCount ${status.restartCount}`);
        return status;
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
    // sleep as PID 1 ignores SIGTERM: killed when its grace period ends.
    expect(restarted.lastState.terminated?.exitCode).toBe(137);
    const events = await kubectl(
      'get',
      'events',
      '--field-selector',
      'involvedObject.name=unhealthy',
      '-o',
      'json',
    );
    expect(events.stdout).toContain('failed liveness probe, will be restarted');
    expect(events.stdout).toContain('"reason": "Unhealthy"');
  });

  it("gives each pod its own address and host name, the cluster DNS and its ServiceAccount's token", async () => {
    const script = [
      'hostname',
      'cat /etc/resolv.conf',
      'ls /var/run/secrets/kubernetes.io/serviceaccount',
      'cat /var/run/secrets/kubernetes.io/serviceaccount/namespace; echo',
      'exec sleep 3600',
    ].join('; ');
    await create(pod('introspect', script, { securityContext: { runAsUser: 1234, runAsGroup: 1234 } }));
    const logs = await eventually(
      async () => {
        const got = await kubectl('logs', 'introspect');
        // Until the script's last line: the namespace, printed after the listing.
        if (!got.stdout.includes(`${ns}\n`)) throw new Error(got.stdout + got.stderr);
        return got.stdout;
      },
      { timeoutMs: 30_000 },
    );
    expect(logs).toContain('introspect\n');
    expect(logs).toContain(`search ${ns}.svc.cluster.local svc.cluster.local cluster.local`);
    expect(logs).toContain('nameserver 10.96.0.10');
    expect(logs).toMatch(/ca\.crt\s+namespace\s+token/);
    expect(logs).toContain(`${ns}\n`);
    const ips = await kubectl('get', 'pod', 'introspect', '-o', 'jsonpath={.status.podIP} {.status.hostIP}');
    const [podIP, hostIP] = ips.stdout.split(' ');
    expect(podIP).toMatch(new RegExp(`^10\\.245\\.${plane.index}\\.\\d+$`));
    expect(hostIP).toBe(`10.244.${plane.index}.2`);
  });
});
