import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ControlPlane, startControlPlane } from '../support/control-plane/index.ts';
import { type Kubectl, kubectlFor, raw, until, waitForLine } from './helpers.ts';

let plane: ControlPlane;
let kubectl: Kubectl;

beforeAll(async () => {
  plane = await startControlPlane();
  kubectl = kubectlFor(plane, { namespace: 'life' });
  await kubectl('create', 'namespace', 'life');
});
afterAll(async () => {
  kubectl.cleanup();
  await plane.stop();
});

describe('watch', () => {
  it('kubectl get -w reports MODIFIED for an update', async () => {
    await kubectl('create', 'configmap', 'watched', '--from-literal=k=1');
    const watcher = kubectl.spawn(
      'get',
      'configmap',
      'watched',
      '-w',
      '--output-watch-events',
      '--no-headers',
    );
    try {
      expect(await waitForLine(watcher, (line) => line.startsWith('ADDED'))).toMatch(
        /^ADDED\s+watched\s+1\s+/,
      );
      const modified = waitForLine(watcher, (line) => line.startsWith('MODIFIED'));
      await kubectl('patch', 'configmap', 'watched', '-p', '{"data":{"k":"2","j":"3"}}');
      expect(await modified).toMatch(/^MODIFIED\s+watched\s+2\s+/);
    } finally {
      watcher.kill();
    }
  });

  it('streams the changes after a resourceVersion, filtered by label', async () => {
    const from = (await raw(plane, 'GET', '/api/v1/namespaces/life/configmaps')).body.metadata as {
      resourceVersion: string;
    };
    await kubectl('create', 'configmap', 'skipped');
    await kubectl('create', 'configmap', 'seen');
    await kubectl('label', 'configmap', 'seen', 'pick=yes');
    await kubectl('delete', 'configmap', 'seen');
    const response = await raw(
      plane,
      'GET',
      `/api/v1/namespaces/life/configmaps?watch=1&labelSelector=pick%3Dyes&resourceVersion=${from.resourceVersion}&timeoutSeconds=1`,
    );
    const events = response.text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string; object: { metadata: { name: string } } });
    expect(events.map((e) => [e.type, e.object.metadata.name])).toEqual([
      ['ADDED', 'seen'],
      ['DELETED', 'seen'],
    ]);
  });
});

describe('namespaces', () => {
  it('deleting a namespace removes everything in it', async () => {
    await kubectl('create', 'namespace', 'doomed');
    await kubectl('create', 'configmap', 'c', '-n', 'doomed');
    await kubectl('create', 'deployment', 'd', '--image=x:1', '-n', 'doomed');
    await until(() => plane.list('pods', 'doomed').length === 1, 'the pod');
    const deleted = await kubectl('delete', 'namespace', 'doomed');
    expect(deleted.stdout.trim()).toBe('namespace "doomed" deleted');
    expect(plane.get('namespaces', 'doomed')).toBeUndefined();
    for (const resource of ['configmaps', 'deployments', 'replicasets', 'pods']) {
      expect(plane.list(resource, 'doomed')).toEqual([]);
    }
  });

  it('refuses new content in a terminating namespace', async () => {
    await kubectl('create', 'namespace', 'closing');
    await kubectl('create', 'deployment', 'd', '--image=x:1', '-n', 'closing');
    await until(() => plane.list('pods', 'closing').length === 1, 'the pod');
    await kubectl('delete', 'namespace', 'closing', '--wait=false');
    const ns = plane.get('namespaces', 'closing');
    if (ns) {
      expect((ns.status as { phase: string }).phase).toBe('Terminating');
      const refused = await kubectl('create', 'configmap', 'late', '-n', 'closing');
      expect(refused.stderr).toMatch(/because it is being terminated|namespaces "closing" not found/);
    }
    await until(() => !plane.get('namespaces', 'closing'), 'the namespace to go');
  });
});
