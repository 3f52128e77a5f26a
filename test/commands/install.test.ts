import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as yaml from 'js-yaml';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import Install from '../../src/commands/install.ts';
import { DELIVERY_LOG_BEGIN } from '../../src/haproxy/delivery-log-block.ts';
import Uninstall from '../../src/commands/uninstall.ts';
import { REPO_ROOT, runCommand, runExecutable } from '../support/cli.ts';
import { BUNDLED_GATEWAY_OBJECTS, kindAndName, withoutDeliveryLog } from '../support/gateway-objects.ts';
import { type ControlPlane, type KubeObject, startControlPlane } from '../support/control-plane/index.ts';

const NS = 'trigger-gateway';
const GATEWAY_KINDS = [
  'serviceaccounts',
  'configmaps',
  'deployments',
  'services',
  'poddisruptionbudgets',
  'ingresses',
];

let plane: ControlPlane;

function tempKubeconfigPath(): string {
  return join(mkdtempSync(join(tmpdir(), 'tg-install-')), 'kubeconfig');
}
let kubeconfig: string;

async function kubectl(...args: string[]) {
  return runExecutable('kubectl', args, { KUBECONFIG: kubeconfig });
}

function install(...args: string[]) {
  return runCommand(Install, ['--kubeconfig', kubeconfig, ...args]);
}

function uninstall(...args: string[]) {
  return runCommand(Uninstall, ['--kubeconfig', kubeconfig, ...args]);
}

/** Every object in the control plane, by resource, with its resourceVersion: a fingerprint of the cluster. */
function snapshot(): Record<string, string[]> {
  const result: Record<string, string[]> = {};
  for (const resource of ['namespaces', ...GATEWAY_KINDS]) {
    result[resource] = plane
      .list(resource)
      .map(
        (object) =>
          `${object.metadata.namespace ?? ''}/${object.metadata.name}@${object.metadata.resourceVersion}`,
      )
      .sort();
  }
  return result;
}

function liveConfig(namespace = NS): string {
  const configMap = plane.get('configmaps', 'trigger-gateway-haproxy', namespace) as KubeObject & {
    data: Record<string, string>;
  };
  return configMap.data['haproxy.cfg'] ?? '';
}

/** Replaces the live haproxy.cfg by hand, as a user's kubectl patch would. */
async function editLiveConfig(text: string, namespace = NS): Promise<void> {
  const patch = JSON.stringify({ data: { 'haproxy.cfg': text } });
  const patched = await kubectl(
    'patch',
    'configmap',
    'trigger-gateway-haproxy',
    '-n',
    namespace,
    '--type',
    'merge',
    '-p',
    patch,
  );
  expect(patched.exitCode, patched.stderr).toBe(0);
}

function checksumAnnotation(namespace = NS): string | undefined {
  const deployment = plane.get('deployments', 'trigger-gateway', namespace) as KubeObject & {
    spec: { template: { metadata: { annotations?: Record<string, string> } } };
  };
  return deployment.spec.template.metadata.annotations?.['trigger-gateway.dev/config-checksum'];
}

beforeEach(async () => {
  plane = await startControlPlane();
  kubeconfig = plane.writeKubeconfig(tempKubeconfigPath());
});

afterEach(async () => {
  await plane.stop();
});

describe('install --dry-run', () => {
  it('prints the exact objects without any cluster or kubeconfig', async () => {
    const result = await runCommand(Install, [
      '--dry-run',
      '--kubeconfig',
      '/nonexistent',
      '--host',
      'hooks.example.com',
    ]);
    expect(result.exitCode).toBe(0);
    const objects = yaml.loadAll(result.stdout) as KubeObject[];
    expect(objects.map(kindAndName)).toEqual(BUNDLED_GATEWAY_OBJECTS);
    expect(JSON.stringify(objects)).toContain('hooks.example.com');
  });

  it('prints a v1 List with -o json, and touches nothing', async () => {
    const before = snapshot();
    const result = await install('--dry-run', '-o', 'json');
    expect(result.exitCode).toBe(0);
    const list = JSON.parse(result.stdout) as { kind: string; items: KubeObject[] };
    expect(list.kind).toBe('List');
    expect(list.items).toHaveLength(8);
    expect(snapshot()).toEqual(before);
  });
});

describe('install', () => {
  it('creates the gateway, waits for the rollout, and real kubectl reads it back', async () => {
    const result = await install();
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain('Gateway installed in namespace trigger-gateway.');
    expect(result.stdout).toContain('Ready: deployment trigger-gateway/trigger-gateway 2/2 pods.');
    expect(result.stderr).toContain('deployment/trigger-gateway rolled out');

    const read = await kubectl(
      'get',
      'deployments,services,configmaps,ingresses,poddisruptionbudgets',
      '-n',
      NS,
      '-l',
      'app.kubernetes.io/managed-by=kubectl-trigger-gateway',
      '-o',
      'json',
    );
    expect(read.exitCode, read.stderr).toBe(0);
    const names = (JSON.parse(read.stdout) as { items: KubeObject[] }).items.map(
      (o) => `${o.kind}/${o.metadata.name}`,
    );
    expect(names.sort()).toEqual([
      'ConfigMap/trigger-gateway-haproxy',
      'Deployment/trigger-gateway',
      'Ingress/trigger-gateway',
      'PodDisruptionBudget/trigger-gateway',
      'Service/trigger-gateway',
      'Service/trigger-gateway-metrics',
    ]);
    const managers = await kubectl(
      'get',
      'deployment',
      'trigger-gateway',
      '-n',
      NS,
      '--show-managed-fields',
      '-o',
      'jsonpath={.metadata.managedFields[*].manager}',
    );
    expect(managers.stdout).toContain('kubectl-trigger-gateway');
    const config = await kubectl(
      'get',
      'configmap',
      'trigger-gateway-haproxy',
      '-n',
      NS,
      '-o',
      'jsonpath={.data.haproxy\\.cfg}',
    );
    expect(config.stdout).toBe(liveConfig());
    expect(checksumAnnotation()).toBe(createHash('sha256').update(liveConfig()).digest('hex'));
  });

  it('is a no-op the second time: every object unchanged, no resourceVersion moves', async () => {
    expect((await install()).exitCode).toBe(0);
    const before = snapshot();
    const again = await install('-o', 'json');
    expect(again.exitCode).toBe(0);
    const result = JSON.parse(again.stdout) as { objects: Array<{ action: string }> };
    expect(new Set(result.objects.map((object) => object.action))).toEqual(new Set(['unchanged']));
    expect(snapshot()).toEqual(before);
  });

  it('upgrades in place when an option changes', async () => {
    expect((await install()).exitCode).toBe(0);
    const result = await install('--replicas', '3', '-o', 'json');
    expect(result.exitCode, result.stderr).toBe(0);
    const actions = JSON.parse(result.stdout) as { objects: Array<{ kind: string; action: string }> };
    expect(actions.objects.find((object) => object.kind === 'Deployment')?.action).toBe('configured');
    const replicas = await kubectl(
      'get',
      'deployment',
      'trigger-gateway',
      '-n',
      NS,
      '-o',
      'jsonpath={.status.readyReplicas}',
    );
    expect(replicas.stdout).toBe('3');
  });

  it('keeps routes and hand edits in the live haproxy.cfg on re-install, and rolls pods to them', async () => {
    expect((await install('--with-echo')).exitCode).toBe(0);
    const edited = `${liveConfig()}\n# kept: a hand-written comment\n`;
    await editLiveConfig(edited);

    const again = await install('--with-echo');
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.stdout).toContain('Kept the live haproxy.cfg');
    expect(liveConfig()).toBe(edited);
    expect(liveConfig()).toContain('httpecho.trigger.svc.cluster.local:80');
    expect(checksumAnnotation()).toBe(createHash('sha256').update(edited).digest('hex'));
  });

  it('gives a gateway from before the delivery log its log-format block, keeping routes and hand edits', async () => {
    expect((await install('--with-echo')).exitCode).toBe(0);
    const current = `${liveConfig()}\n# kept: a hand-written comment\n`;
    const old = withoutDeliveryLog(current);
    expect(old).not.toContain(DELIVERY_LOG_BEGIN);
    await editLiveConfig(old);

    const again = await install('--with-echo');
    expect(again.exitCode, again.stderr).toBe(0);
    expect(liveConfig()).toBe(current);
    expect(checksumAnnotation()).toBe(createHash('sha256').update(current).digest('hex'));
  });

  it('takes over a gateway applied by hand with kubectl apply -f manifests/', async () => {
    const applied = await kubectl('apply', '-f', join(REPO_ROOT, 'manifests'));
    expect(applied.exitCode, applied.stderr).toBe(0);
    expect(applied.stdout).toContain('deployment.apps/trigger-gateway created');
    expect(applied.stderr).toBe('');
    const result = await install('-o', 'json');
    expect(result.exitCode, result.stderr).toBe(0);
    const actions = JSON.parse(result.stdout) as {
      objects: Array<{ action: string }>;
      keptLiveConfig: boolean;
    };
    expect(actions.objects.map((object) => object.action)).not.toContain('created');
    expect(actions.keptLiveConfig).toBe(true);
  });

  it('--no-wait returns without waiting and says how to follow the rollout', async () => {
    const result = await install('--no-wait');
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('kubectl -n trigger-gateway rollout status deployment/trigger-gateway');
    expect(result.stdout).not.toContain('Ready:');
  });

  it('uses a namespace that already existed without claiming it', async () => {
    expect((await kubectl('create', 'namespace', 'hooks')).exitCode).toBe(0);
    const result = await install('-n', 'hooks', '-o', 'json');
    expect(result.exitCode, result.stderr).toBe(0);
    const namespace = plane.get('namespaces', 'hooks');
    expect(namespace?.metadata.labels?.['app.kubernetes.io/managed-by']).toBeUndefined();
    expect((await uninstall('-n', 'hooks')).exitCode).toBe(0);
    expect(plane.get('namespaces', 'hooks')).toBeDefined();
    expect(plane.list('deployments', 'hooks')).toEqual([]);
  });

  it('refuses to take over an object it did not create, and changes nothing', async () => {
    expect((await kubectl('create', 'namespace', NS)).exitCode).toBe(0);
    expect(
      (
        await kubectl(
          'create',
          'configmap',
          'trigger-gateway-haproxy',
          '-n',
          NS,
          '--from-literal=haproxy.cfg=mine',
        )
      ).exitCode,
    ).toBe(0);
    const before = snapshot();
    const result = await install();
    expect(result.exitCode).toBe(7);
    expect(result.stderr).toContain(
      'configmap/trigger-gateway-haproxy already exists and was not created by trigger-gateway',
    );
    expect(result.stderr).toContain('try: install into another namespace');
    expect(snapshot()).toEqual(before);
  });

  it('names the refused verb and resource on 403, and leaves the cluster as it was', async () => {
    await plane.stop();
    plane = await startControlPlane({
      users: {
        'admin-token': { name: 'admin' },
        'ci-token': { name: 'ci-bot', deny: [{ verb: 'patch', resource: 'ingresses' }] },
      },
    });
    kubeconfig = plane.writeKubeconfig(tempKubeconfigPath(), {
      token: 'ci-token',
    });
    const before = snapshot();
    const result = await install();
    expect(result.exitCode).toBe(6);
    expect(result.stderr).toContain(
      'error: not allowed to patch ingresses/trigger-gateway in namespace trigger-gateway (403 Forbidden)',
    );
    expect(result.stderr).toContain('try: kubectl --context');
    expect(result.stderr).toContain('auth can-i patch ingresses -n trigger-gateway');
    expect(snapshot()).toEqual(before);
  });

  it('times out with the pods and their reasons when the rollout cannot finish', async () => {
    await plane.stop();
    plane = await startControlPlane({
      podRuntime: { start: async () => 'never-ready', stop: async () => {} },
    });
    kubeconfig = plane.writeKubeconfig(tempKubeconfigPath());
    const result = await install('--timeout', '1s');
    expect(result.exitCode).toBe(8);
    expect(result.stderr).toContain(
      'error: timed out waiting for deployment trigger-gateway/trigger-gateway to roll out',
    );
    expect(result.stderr).toMatch(/pod trigger-gateway-[a-z0-9]+-[a-z0-9]+: container haproxy is not ready/);
    expect(result.stderr).toContain('try: kubectl -n trigger-gateway describe deployment trigger-gateway');
  });

  it('rejects bad option values before talking to the cluster', async () => {
    const before = snapshot();
    const result = await install('--host', 'not a host');
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('error: --host: invalid host "not a host"');
    expect(result.stderr).toContain('why: a host is a lowercase DNS name such as hooks.example.com');
    expect(plane.requests).toEqual([]);
    expect(snapshot()).toEqual(before);
  });
});

describe('uninstall', () => {
  it('--dry-run lists what it would remove and removes nothing', async () => {
    expect((await install()).exitCode).toBe(0);
    const before = snapshot();
    const result = await uninstall('--dry-run');
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('Would remove deployment.apps/trigger-gateway (trigger-gateway)');
    expect(result.stdout).toContain('Would remove namespace/trigger-gateway');
    expect(snapshot()).toEqual(before);
  });

  it('removes exactly what install created, echo included', async () => {
    expect((await install('--with-echo')).exitCode).toBe(0);
    const result = await uninstall('-o', 'json');
    expect(result.exitCode, result.stderr).toBe(0);
    const removed = (JSON.parse(result.stdout) as { removed: Array<{ id: string; namespace?: string }> })
      .removed;
    expect(removed.map((object) => `${object.namespace ?? ''}/${object.id}`).sort()).toEqual([
      '/namespace/trigger',
      '/namespace/trigger-gateway',
      'trigger-gateway/configmap/trigger-gateway-haproxy',
      'trigger-gateway/deployment.apps/trigger-gateway',
      'trigger-gateway/ingress.networking.k8s.io/trigger-gateway',
      'trigger-gateway/poddisruptionbudget.policy/trigger-gateway',
      'trigger-gateway/service/trigger-gateway',
      'trigger-gateway/service/trigger-gateway-metrics',
      'trigger-gateway/serviceaccount/trigger-gateway',
      'trigger/deployment.apps/httpecho',
      'trigger/service/httpecho',
    ]);
    for (const resource of GATEWAY_KINDS) {
      expect(plane.list(resource).filter((o) => o.metadata.labels?.['app.kubernetes.io/managed-by'])).toEqual(
        [],
      );
    }
  });

  it('keeps the echo backend while another gateway routes to it, and removes it with the last one', async () => {
    expect((await install('--with-echo')).exitCode).toBe(0);
    expect((await install('-n', 'hooks', '--with-echo')).exitCode).toBe(0);
    expect((await install('-n', 'plain')).exitCode).toBe(0);
    const echoLeft = () => ['deployments', 'services'].map((r) => plane.get(r, 'httpecho', 'trigger'));

    // A gateway installed without --with-echo never made the echo backend.
    const plain = await uninstall('-n', 'plain');
    expect(plain.exitCode, plain.stderr).toBe(0);
    expect(plain.stdout).not.toContain('Removed deployment.apps/httpecho');
    expect(plain.stdout).toContain('the gateways in namespaces hooks, trigger-gateway route to it');
    expect(echoLeft().every(Boolean)).toBe(true);

    const first = await uninstall();
    expect(first.exitCode, first.stderr).toBe(0);
    expect(first.stdout).toContain(
      'Kept the echo backend, service/httpecho (trigger), deployment.apps/httpecho (trigger): the gateway in namespace hooks routes to it',
    );
    expect(first.stdout).not.toContain('namespace/trigger\n');
    expect(echoLeft().every(Boolean)).toBe(true);
    expect(plane.get('namespaces', 'trigger')).toBeDefined();

    const last = await uninstall('-n', 'hooks', '-o', 'json');
    expect(last.exitCode, last.stderr).toBe(0);
    const removed = (JSON.parse(last.stdout) as { removed: Array<{ id: string }> }).removed.map((o) => o.id);
    expect(removed).toEqual(expect.arrayContaining(['deployment.apps/httpecho', 'namespace/trigger']));
    expect(echoLeft()).toEqual([undefined, undefined]);
  });

  it('keeps other objects, and a namespace that still holds them', async () => {
    expect((await install()).exitCode).toBe(0);
    expect(
      (await kubectl('create', 'configmap', 'team-settings', '-n', NS, '--from-literal=a=b')).exitCode,
    ).toBe(0);
    const result = await uninstall();
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain(
      'Kept namespace trigger-gateway: it holds objects trigger-gateway did not create: configmap/team-settings',
    );
    expect(plane.get('configmaps', 'team-settings', NS)).toBeDefined();
    expect(plane.get('namespaces', NS)).toBeDefined();
    expect(plane.get('deployments', 'trigger-gateway', NS)).toBeUndefined();
  });

  it('says there is nothing to remove when nothing is installed', async () => {
    const result = await uninstall();
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('Nothing to remove');
  });
});
