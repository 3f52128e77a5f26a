/**
 * CustomResourceDefinitions on the local control plane, through the real kubectl: a CRD from the
 * Go module cache becomes Established and served, its objects take the usual verbs and a status
 * subresource, and deleting the CRD takes its objects with it.
 */
import { dump } from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ControlPlane, startControlPlane } from '../support/control-plane/index.ts';
import { gatewayApiCrds } from '../support/crds.ts';
import { eventually } from '../support/eventually.ts';
import { type Kubectl, kubectlFor } from './helpers.ts';

let plane: ControlPlane;
let kubectl: Kubectl;

beforeAll(async () => {
  plane = await startControlPlane();
  kubectl = kubectlFor(plane);
});
afterAll(async () => {
  kubectl.cleanup();
  await plane.stop();
});

const route = {
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'HTTPRoute',
  metadata: { name: 'hooks', namespace: 'default' },
  spec: { parentRefs: [{ name: 'eg' }], rules: [{ backendRefs: [{ name: 'web', port: 80 }] }] },
};

describe('custom resources', () => {
  it('serves the kinds of an applied CRD once it is Established, and stops when it is deleted', async () => {
    const before = await kubectl('get', 'httproutes');
    expect(before.code).not.toBe(0);
    expect(before.stderr).toMatch(/the server doesn't have a resource type "httproutes"/);

    const crds = gatewayApiCrds();
    const applied = await kubectl.withInput(
      crds.map((crd) => dump(crd)).join('---\n'),
      'apply',
      '--server-side',
      '-f',
      '-',
    );
    expect(applied.code, applied.stderr).toBe(0);
    const established = await kubectl(
      'wait',
      '--for=condition=Established',
      '--timeout=30s',
      'crd/httproutes.gateway.networking.k8s.io',
      'crd/gateways.gateway.networking.k8s.io',
    );
    expect(established.code, established.stderr).toBe(0);

    const resources = await kubectl('api-resources', '--api-group=gateway.networking.k8s.io', '-o', 'name');
    expect(resources.stdout.split('\n')).toEqual(
      expect.arrayContaining([
        'gatewayclasses.gateway.networking.k8s.io',
        'gateways.gateway.networking.k8s.io',
        'httproutes.gateway.networking.k8s.io',
      ]),
    );

    const created = await kubectl.withInput(JSON.stringify(route), 'apply', '--server-side', '-f', '-');
    expect(created.code, created.stderr).toBe(0);
    const status = {
      parents: [
        {
          parentRef: { name: 'eg' },
          controllerName: 'example.com/gateway',
          conditions: [
            {
              type: 'Accepted',
              status: 'True',
              reason: 'Accepted',
              message: '',
              lastTransitionTime: '2026-01-01T00:00:00Z',
              observedGeneration: 1,
            },
          ],
        },
      ],
    };
    const patched = await kubectl(
      'patch',
      'httproute',
      'hooks',
      '--subresource=status',
      '--type=merge',
      '-p',
      JSON.stringify({ status }),
    );
    expect(patched.code, patched.stderr).toBe(0);
    const read = await kubectl('get', 'httproute', 'hooks', '-o', 'json');
    const object = JSON.parse(read.stdout) as { spec: unknown; status: typeof status };
    expect(object.status.parents[0]?.conditions[0]?.type).toBe('Accepted');
    expect(object.spec).toEqual(route.spec);

    const deleted = await kubectl('delete', 'crd', 'httproutes.gateway.networking.k8s.io');
    expect(deleted.code, deleted.stderr).toBe(0);
    await eventually(async () => {
      const gone = await kubectl('get', 'httproutes', '-A');
      // kubectl's cached discovery still lists the type, and the server answers 404 for it.
      expect(gone.stderr).toMatch(/could not find the requested resource|doesn't have a resource type/);
    });
    // Applied again, the CRD serves an empty collection: its objects went with it.
    const again = await kubectl.withInput(
      dump(crds.find((crd) => crd.metadata.name.startsWith('httproutes'))),
      'apply',
      '--server-side',
      '-f',
      '-',
    );
    expect(again.code, again.stderr).toBe(0);
    await eventually(async () => {
      const empty = await kubectl('get', 'httproutes', '-A', '-o', 'name');
      expect(empty.code, empty.stderr).toBe(0);
      expect(empty.stdout).toBe('');
    });
  });
});
