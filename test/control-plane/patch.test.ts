import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ControlPlane, startControlPlane } from '../support/control-plane/index.ts';
import type { Json, JsonObject } from '../support/control-plane/json.ts';
import { applyJsonPatch } from '../support/control-plane/patch/json-patch.ts';
import { applyStrategicMergePatch } from '../support/control-plane/patch/strategic-merge.ts';
import { findByPlural, type ResourceType } from '../support/control-plane/resources.ts';
import { schemaFor } from '../support/control-plane/schema.ts';
import { dig, type Kubectl, kubectlFor, raw } from './helpers.ts';

let plane: ControlPlane;
let kubectl: Kubectl;

beforeAll(async () => {
  plane = await startControlPlane();
  kubectl = kubectlFor(plane, { namespace: 'patch' });
  await kubectl('create', 'namespace', 'patch');
  await kubectl('create', 'configmap', 'cm', '--from-literal=a=1', '--from-literal=b=2');
  await kubectl('create', 'deployment', 'web', '--image=app:1', '--port=80');
});
afterAll(async () => {
  kubectl.cleanup();
  await plane.stop();
});

const data = () => plane.get('configmaps', 'cm', 'patch')?.data;
const containers = () =>
  dig<Array<Record<string, unknown>>>(
    plane.get('deployments', 'web', 'patch'),
    'spec',
    'template',
    'spec',
    'containers',
  );

describe('kubectl patch', () => {
  it('applies JSON patches, including test, move and copy', async () => {
    const ops = [
      { op: 'test', path: '/data/a', value: '1' },
      { op: 'copy', from: '/data/a', path: '/data/c' },
      { op: 'move', from: '/data/b', path: '/data/d' },
      { op: 'replace', path: '/data/a', value: 'one' },
    ];
    const result = await kubectl('patch', 'cm', 'cm', '--type=json', '-p', JSON.stringify(ops));
    expect(result.stdout.trim()).toBe('configmap/cm patched');
    expect(data()).toEqual({ a: 'one', c: '1', d: '2' });
    const failed = await kubectl(
      'patch',
      'cm',
      'cm',
      '--type=json',
      '-p',
      '[{"op":"test","path":"/data/a","value":"x"}]',
    );
    expect(failed.code).not.toBe(0);
    expect(data()).toEqual({ a: 'one', c: '1', d: '2' });
  });

  it('applies JSON merge patches (null deletes)', async () => {
    await kubectl('patch', 'cm', 'cm', '--type=merge', '-p', '{"data":{"c":null,"e":"5"}}');
    expect(data()).toEqual({ a: 'one', d: '2', e: '5' });
  });

  it('applies strategic merge patches that merge containers by name', async () => {
    const sidecar = { spec: { template: { spec: { containers: [{ name: 'sidecar', image: 'side:1' }] } } } };
    await kubectl('patch', 'deploy', 'web', '--type=strategic', '-p', JSON.stringify(sidecar));
    expect(containers().map((c) => c.name)).toEqual(['app', 'sidecar']);
    const bump = { spec: { template: { spec: { containers: [{ name: 'app', image: 'app:2' }] } } } };
    await kubectl('patch', 'deploy', 'web', '-p', JSON.stringify(bump));
    expect(containers().map((c) => [c.name, c.image])).toEqual([
      ['app', 'app:2'],
      ['sidecar', 'side:1'],
    ]);
    const drop = { spec: { template: { spec: { containers: [{ name: 'sidecar', $patch: 'delete' }] } } } };
    await kubectl('patch', 'deploy', 'web', '-p', JSON.stringify(drop));
    expect(containers().map((c) => c.name)).toEqual(['app']);
    expect(plane.get('deployments', 'web', 'patch')?.metadata.generation).toBe(4);
  });

  it('answers 415 to other content types, and to strategic merge on a custom resource', async () => {
    const response = await raw(plane, 'PATCH', '/api/v1/namespaces/patch/configmaps/cm', {
      contentType: 'text/plain',
      body: 'data: {}',
    });
    expect(response.status).toBe(415);
    expect(response.body).toMatchObject({ reason: 'UnsupportedMediaType', code: 415 });
    plane.put({
      apiVersion: 'triggers.tekton.dev/v1beta1',
      kind: 'EventListener',
      metadata: { name: 'el', namespace: 'patch' },
      spec: {},
    });
    const crd = await kubectl('patch', 'el', 'el', '--type=strategic', '-p', '{"spec":{"a":1}}');
    expect(crd.stderr).toContain(
      'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml',
    );
    expect((await kubectl('patch', 'el', 'el', '--type=merge', '-p', '{"spec":{"a":1}}')).code).toBe(0);
  });
});

describe('strategic merge patch directives', () => {
  const deployments = schemaFor(findByPlural('deployments') as ResourceType);
  const pod = (containers: Json[], extra: JsonObject = {}): JsonObject => ({
    spec: { template: { spec: { containers, ...extra } } },
  });

  it('reorders with $setElementOrder and merges ports and env by key', () => {
    const original = pod([
      { name: 'a', ports: [{ containerPort: 80, name: 'http' }], env: [{ name: 'X', value: '1' }] },
      { name: 'b' },
    ]);
    const patch = pod(
      [{ name: 'a', ports: [{ containerPort: 80, name: 'web' }], env: [{ name: 'Y', value: '2' }] }],
      {
        '$setElementOrder/containers': [{ name: 'b' }, { name: 'a' }],
      },
    );
    expect(applyStrategicMergePatch(original, patch, deployments)).toEqual(
      pod([
        { name: 'b' },
        {
          name: 'a',
          ports: [{ containerPort: 80, name: 'web' }],
          env: [
            { name: 'X', value: '1' },
            { name: 'Y', value: '2' },
          ],
        },
      ]),
    );
  });

  it('honours $patch: replace, $retainKeys and replaces lists without a merge key', () => {
    const original = {
      spec: { strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1 } }, args: ['a'] },
    };
    const patch = { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate' }, args: ['b'] } };
    expect(applyStrategicMergePatch(original, patch, deployments)).toEqual({
      spec: { strategy: { type: 'Recreate' }, args: ['b'] },
    });
    const replaced = applyStrategicMergePatch(
      pod([{ name: 'a' }, { name: 'b' }]),
      pod([{ $patch: 'replace' }, { name: 'c' }]),
      deployments,
    );
    expect(replaced).toEqual(pod([{ name: 'c' }]));
    expect(
      applyStrategicMergePatch({ a: { b: 1, c: 2 } }, { a: { $patch: 'replace', d: 3 } }, deployments),
    ).toEqual({
      a: { d: 3 },
    });
  });

  it('JSON patch supports escaped pointers and array append', () => {
    const doc = { metadata: { annotations: { 'a/b': 'x' } }, list: [1] };
    expect(
      applyJsonPatch(doc, [
        { op: 'replace', path: '/metadata/annotations/a~1b', value: 'y' },
        { op: 'add', path: '/list/-', value: 2 },
      ]),
    ).toEqual({ metadata: { annotations: { 'a/b': 'y' } }, list: [1, 2] });
  });
});
