/** Which API groups and resources the server serves, from the discovery documents kubectl reads. */
import type { KubeClient } from './client.ts';

interface ApiGroupList {
  groups?: Array<{ name: string; versions?: Array<{ groupVersion: string }> }>;
}

interface ApiResourceList {
  resources?: Array<{ name: string }>;
}

export interface ServedApis {
  /** Names of the API groups served (not the core group). */
  groups: Set<string>;
  /** Whether `resource` (a plural, e.g. "deployments") is served in `apiVersion` (e.g. "apps/v1"). */
  serves(apiVersion: string, resource: string): boolean;
}

/** The API group list alone (one request): enough to tell kcp from Kubernetes. */
export async function servedGroups(kube: KubeClient): Promise<Set<string>> {
  const list = await kube.discover<ApiGroupList>('/apis');
  return new Set((list?.groups ?? []).map((group) => group.name));
}

/** Reads the group list and, for the given apiVersions that are served, their resource lists (in parallel). */
export async function servedApis(kube: KubeClient, apiVersions: string[]): Promise<ServedApis> {
  const list = await kube.discover<ApiGroupList>('/apis');
  const groupVersions = new Set(
    (list?.groups ?? []).flatMap((group) => (group.versions ?? []).map((version) => version.groupVersion)),
  );
  const wanted = [...new Set(apiVersions)].filter(
    (version) => !version.includes('/') || groupVersions.has(version),
  );
  const resources = new Map(
    await Promise.all(
      wanted.map(async (version) => {
        const path = version.includes('/') ? `/apis/${version}` : `/api/${version}`;
        const served = await kube.discover<ApiResourceList>(path);
        return [version, new Set((served?.resources ?? []).map((resource) => resource.name))] as const;
      }),
    ),
  );
  return {
    groups: new Set((list?.groups ?? []).map((group) => group.name)),
    serves: (apiVersion, resource) => resources.get(apiVersion)?.has(resource) ?? false,
  };
}
