/**
 * /version and API discovery, both legacy (/api, /apis, /apis/<g>/<v>) and aggregated
 * (apidiscovery.k8s.io/v2), of the resources one logical cluster serves.
 */
import {
  CONNECT_SUBRESOURCES,
  RESOURCE_VERBS,
  type ResourceType,
  type ServedResources,
  SUBRESOURCE_VERBS,
} from './resources.ts';

export const AGGREGATED_CONTENT_TYPE = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList';

export const version = () => ({
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.0',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2024-12-11T00:00:00Z',
  goVersion: 'go1.23.3',
  compiler: 'gc',
  platform: 'linux/amd64',
});

export const wantsAggregated = (accept: string | undefined) =>
  (accept ?? '')
    .split(',')
    .some((t) => t.includes('as=APIGroupDiscoveryList') && t.includes('v=v2') && !t.includes('v=v2beta1'));

const gvString = (group: string, version: string) => (group ? `${group}/${version}` : version);

export function coreVersions(serverAddress: string) {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

export function groupList(served: ServedResources) {
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: served
      .groupVersions()
      .filter((gv) => gv.group !== '')
      .map(({ group, version }) => {
        const gv = { groupVersion: gvString(group, version), version };
        return { name: group, versions: [gv], preferredVersion: gv };
      }),
  };
}

/** APIResourceList for /api/v1 or /apis/<group>/<version>; undefined for an unknown group version. */
export function resourceList(served: ServedResources, group: string, version: string) {
  const gv = served.groupVersions().find((g) => g.group === group && g.version === version);
  if (!gv) return undefined;
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: gvString(group, version),
    resources: gv.types.flatMap((t) => [
      {
        name: t.plural,
        singularName: t.singular,
        namespaced: t.namespaced,
        kind: t.kind,
        verbs: RESOURCE_VERBS,
        ...(t.shortNames.length ? { shortNames: t.shortNames } : {}),
        ...(t.categories.length ? { categories: t.categories } : {}),
      },
      ...t.subresources.map((sub) => {
        const { group, version, kind } = subresourceKind(t, sub);
        return {
          name: `${t.plural}/${sub}`,
          singularName: '',
          namespaced: t.namespaced,
          ...(sub === 'scale' ? { group, version } : {}),
          kind,
          verbs: SUBRESOURCE_VERBS,
        };
      }),
      ...connectSubresources(t).map(([sub, connect]) => ({
        name: `${t.plural}/${sub}`,
        singularName: '',
        namespaced: t.namespaced,
        kind: connect.kind,
        verbs: connect.verbs,
      })),
    ]),
  };
}

const connectSubresources = (t: ResourceType) =>
  t.group === '' ? Object.entries(CONNECT_SUBRESOURCES[t.plural] ?? {}) : [];

/** What a subresource returns: the object itself, except autoscaling/v1 Scale for /scale. */
const subresourceKind = (t: ResourceType, subresource: string) =>
  subresource === 'scale'
    ? { group: 'autoscaling', version: 'v1', kind: 'Scale' }
    : { group: t.group, version: t.version, kind: t.kind };

function aggregatedResource(t: ResourceType) {
  const responseKind = { group: t.group, version: t.version, kind: t.kind };
  return {
    resource: t.plural,
    responseKind,
    scope: t.namespaced ? 'Namespaced' : 'Cluster',
    singularResource: t.singular,
    verbs: RESOURCE_VERBS,
    ...(t.shortNames.length ? { shortNames: t.shortNames } : {}),
    ...(t.categories.length ? { categories: t.categories } : {}),
    ...(t.subresources.length
      ? {
          subresources: [
            ...t.subresources.map((subresource) => ({
              subresource,
              responseKind: subresourceKind(t, subresource),
              verbs: SUBRESOURCE_VERBS,
            })),
            ...connectSubresources(t).map(([subresource, connect]) => ({
              subresource,
              responseKind: { group: '', version: t.version, kind: connect.kind },
              verbs: connect.verbs,
            })),
          ],
        }
      : {}),
  };
}

/** The aggregated discovery document for /api (core only) or /apis (every named group). */
export function aggregated(served: ServedResources, core: boolean) {
  const items = served
    .groupVersions()
    .filter((gv) => (gv.group === '') === core)
    .map(({ group, version, types }) => ({
      metadata: { name: group, creationTimestamp: null },
      versions: [{ version, resources: types.map(aggregatedResource), freshness: 'Current' }],
    }));
  return { kind: 'APIGroupDiscoveryList', apiVersion: 'apidiscovery.k8s.io/v2', metadata: {}, items };
}
