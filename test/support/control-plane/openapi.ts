/**
 * A skeletal OpenAPI v3: one document per group version whose PATCH operations declare the
 * `fieldValidation` and `dryRun` query parameters. That is what kubectl's validation checks to
 * leave validation to the server, so `kubectl apply` needs no --validate=false and no schemas.
 * PATCH operations declare no request body, so kubectl computes strategic merge patches from its
 * compiled-in types (and plain merge patches for custom resources), as with any server lacking
 * the schema.
 */
import { createHash } from 'node:crypto';
import type { ResourceType, ServedResources } from './resources.ts';

const gvPath = (group: string, version: string) => (group ? `apis/${group}/${version}` : `api/${version}`);

const QUERY_PARAMETERS = ['dryRun', 'fieldManager', 'fieldValidation', 'force'].map((name) => ({
  name,
  in: 'query',
  schema: { type: name === 'force' ? 'boolean' : 'string', uniqueItems: true },
}));

function itemPath(t: ResourceType): string {
  const scope = t.namespaced ? '/namespaces/{namespace}' : '';
  return `/${gvPath(t.group, t.version)}${scope}/${t.plural}/{name}`;
}

function document(types: ResourceType[]) {
  const paths = Object.fromEntries(
    types.map((t) => [
      itemPath(t),
      {
        patch: {
          operationId: `patch${t.kind}`,
          parameters: QUERY_PARAMETERS,
          responses: { '200': { description: 'OK' } },
          'x-kubernetes-action': 'patch',
          'x-kubernetes-group-version-kind': { group: t.group, version: t.version, kind: t.kind },
        },
      },
    ]),
  );
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: 'v1.32.0' },
    paths,
    components: { schemas: {} },
  };
}

type Documents = Map<string, string>;

// Serialized documents per served set, rebuilt when the set changes (an APIBinding in kcp mode).
const cache = new WeakMap<ServedResources, { generation: number; documents: Documents }>();

function documentsOf(served: ServedResources): Documents {
  const cached = cache.get(served);
  if (cached?.generation === served.generation) return cached.documents;
  const documents = new Map(
    served
      .groupVersions()
      .map(({ group, version, types }) => [gvPath(group, version), JSON.stringify(document(types))]),
  );
  cache.set(served, { generation: served.generation, documents });
  return documents;
}

const hash = (text: string) => createHash('sha512').update(text).digest('hex').toUpperCase();

/** The /openapi/v3 index. */
export function openapiIndex(served: ServedResources) {
  return {
    paths: Object.fromEntries(
      [...documentsOf(served)].map(([path, text]) => [
        path,
        { serverRelativeURL: `/openapi/v3/${path}?hash=${hash(text)}` },
      ]),
    ),
  };
}

/** The serialized document for `/openapi/v3/<gvPath>`, if any. */
export const openapiDocument = (served: ServedResources, gvPathName: string) =>
  documentsOf(served).get(gvPathName);
