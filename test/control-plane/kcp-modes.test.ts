import { describe, expect, it } from 'vitest';
import { startControlPlane } from '../support/control-plane/index.ts';
import { dig, kubectlFor, raw, type WatchEvent, watchUntil } from './helpers.ts';

const AGGREGATED = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json';
const groupNames = (body: Record<string, unknown>) =>
  (body.groups as Array<{ name: string }>).map((g) => g.name);

describe('a legacy kcp (before 2023)', () => {
  it('serves only tenancy.kcp.dev/v1beta1 workspaces, with the URL in status', async () => {
    const plane = await startControlPlane({ kcp: { legacy: true, workspaces: [{ path: 'root:org' }] } });
    const kubectl = kubectlFor(plane);
    try {
      expect(groupNames((await raw(plane, 'GET', '/apis')).body)).toEqual(['tenancy.kcp.dev']);
      expect(groupNames((await raw(plane, 'GET', '/clusters/root:org/apis')).body)).toEqual([
        'tenancy.kcp.dev',
      ]);
      expect((await raw(plane, 'GET', '/apis/tenancy.kcp.io/v1alpha1/workspaces')).status).toBe(404);
      expect((await raw(plane, 'GET', '/apis/apis.kcp.io/v1alpha1')).status).toBe(404);
      const resources = await kubectl('api-resources', '--api-group=tenancy.kcp.dev', '--no-headers');
      expect(resources.stdout.trim().split(/\s+/)).toEqual([
        'workspaces',
        'ws',
        'tenancy.kcp.dev/v1beta1',
        'false',
        'Workspace',
      ]);
      const org = plane.get('workspaces', 'org');
      expect(org?.apiVersion).toBe('tenancy.kcp.dev/v1beta1');
      expect(dig(org, 'status', 'URL')).toBe(`${plane.url}/clusters/root:org`);
      expect(dig(org, 'status', 'cluster')).toMatch(/^[a-z0-9]{16}$/);
      expect(dig(org, 'spec', 'cluster')).toBeUndefined();
      expect(dig(org, 'metadata', 'labels', 'tenancy.kcp.dev/phase')).toBe('Ready');

      const list = await raw(plane, 'GET', '/apis/tenancy.kcp.dev/v1beta1/workspaces');
      const resourceVersion = dig<string>(list.body, 'metadata', 'resourceVersion');
      const created = await kubectl.withInput(
        'apiVersion: tenancy.kcp.dev/v1beta1\nkind: Workspace\nmetadata:\n  name: team\n',
        'create',
        '-f',
        '-',
      );
      expect(created.stdout.trim()).toBe('workspace.tenancy.kcp.dev/team created');
      await watchUntil(
        plane,
        `/apis/tenancy.kcp.dev/v1beta1/workspaces?watch=1&resourceVersion=${resourceVersion}&fieldSelector=metadata.name%3Dteam`,
        (events) => dig((events.at(-1) as WatchEvent).object, 'status', 'phase') === 'Ready',
      );
      const table = await kubectl('get', 'workspaces', '--no-headers');
      expect(table.stdout).toMatch(
        new RegExp(`^team\\s+organization\\s+Ready\\s+${plane.url}/clusters/root:team\\s`, 'm'),
      );
    } finally {
      kubectl.cleanup();
      await plane.stop();
    }
  });

  it('has no APIExports to seed', async () => {
    await expect(
      startControlPlane({
        kcp: { legacy: true, workspaces: [{ path: 'root:x', exports: { k: ['pods'] } }] },
      }),
    ).rejects.toThrow('kcp: a legacy kcp serves no APIExports (apis.kcp.io)');
  });
});

describe('plain mode next to kcp mode', () => {
  it('serves no kcp group and no /clusters/ URLs', async () => {
    const plane = await startControlPlane();
    try {
      const groups = groupNames((await raw(plane, 'GET', '/apis')).body);
      expect(groups.filter((g) => g.includes('kcp'))).toEqual([]);
      const aggregated = await raw(plane, 'GET', '/apis', { accept: AGGREGATED });
      const names = (aggregated.body.items as Array<{ metadata: { name: string } }>).map(
        (i) => i.metadata.name,
      );
      expect(names).toEqual([
        'apps',
        'networking.k8s.io',
        'policy',
        'apiextensions.k8s.io',
        'triggers.tekton.dev',
      ]);
      expect((await raw(plane, 'GET', '/apis/tenancy.kcp.io/v1alpha1/workspaces')).status).toBe(404);
      expect((await raw(plane, 'GET', '/clusters/root/api/v1/namespaces')).status).toBe(404);
      expect(() => plane.workspaceUrl('root')).toThrow('workspaceUrl is for kcp mode only');
      expect(() => plane.cluster('root')).toThrow('cluster is for kcp mode only');
    } finally {
      await plane.stop();
    }
  });

  it('refuses kcp mode together with a data plane', async () => {
    await expect(startControlPlane({ kcp: true, dataPlane: true })).rejects.toThrow(
      'kcp mode does not support dataPlane',
    );
  });
});

describe('kcp mode start-up', () => {
  it('serves root at the bare URL, and stops cleanly without any workspace', async () => {
    const plane = await startControlPlane({ kcp: true });
    try {
      expect((await raw(plane, 'GET', '/clusters/root/api/v1/namespaces/default')).status).toBe(200);
      expect(dig(plane.get('logicalclusters', 'cluster'), 'metadata', 'annotations', 'kcp.io/path')).toBe(
        'root',
      );
      expect(plane.list('workspacetypes').map((t) => t.metadata.name)).toEqual([
        'organization',
        'root',
        'team',
        'universal',
      ]);
      expect(plane.cluster('root')?.list('namespaces')).toHaveLength(4);
    } finally {
      await plane.stop();
    }
  });

  it('says which seeded workspace could not be created', async () => {
    await expect(
      startControlPlane({ kcp: { workspaces: [{ path: 'root:x', type: 'nosuch' }] } }),
    ).rejects.toThrow(
      'kcp: cannot create workspace root:x: workspaces.tenancy.kcp.io "x" is forbidden: workspace type "nosuch" cannot be resolved',
    );
    await expect(startControlPlane({ kcp: { workspaces: [{ path: 'root:a:b' }] } })).rejects.toThrow(
      'kcp: cannot create workspace root:a:b: no parent workspace "root:a"',
    );
    await expect(
      startControlPlane({
        kcp: { workspaces: [{ path: 'root:c', exports: { k: ['widgets.example.com'] } }] },
      }),
    ).rejects.toThrow('kcp: APIExport root:c:k: unknown resource "widgets.example.com"');
  });

  it('creates parents first and leaves a seeded binding to a missing export Binding', async () => {
    const plane = await startControlPlane({
      kcp: { workspaces: [{ path: 'root:a:b', bindings: ['root:a:nothing'] }, { path: 'root:a' }] },
    });
    try {
      const binding = plane.cluster('root:a:b')?.get('apibindings', 'nothing');
      expect(dig(binding, 'status', 'phase')).toBe('Binding');
      expect(dig(plane.cluster('root:a')?.get('workspaces', 'b'), 'status', 'phase')).toBe('Ready');
    } finally {
      await plane.stop();
    }
  });
});
