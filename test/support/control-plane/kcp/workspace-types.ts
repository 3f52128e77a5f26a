/**
 * WorkspaceTypes: the built-ins kcp ships in root, their objects, reading them back, and kcp's
 * check that a child type fits under its parent's type (limitAllowedParents / limitAllowedChildren).
 */
import { isObject, type JsonObject } from '../json.ts';
import type { KcpWorkspaceTypeSeed, KubeObject } from '../types.ts';
import { PATH_ANNOTATION, TYPES_PATH } from './resources.ts';

export interface TypeReference {
  name: string;
  path: string;
}

export interface WorkspaceTypeInfo {
  ref: TypeReference;
  allowedParents: TypeReference[];
  allowedChildren: TypeReference[];
  defaultChild?: TypeReference;
}

export const BUILT_IN_TYPES: readonly KcpWorkspaceTypeSeed[] = [
  { name: 'root', defaultChildWorkspaceType: 'organization' },
  { name: 'organization', limitAllowedParents: ['root'], defaultChildWorkspaceType: 'universal' },
  { name: 'universal', defaultChildWorkspaceType: 'universal' },
  { name: 'team', limitAllowedParents: ['organization'], defaultChildWorkspaceType: 'universal' },
];

/** 'root:organization' as kcp writes type references in messages and initializers. */
export const qualified = (ref: TypeReference) => `${ref.path}:${ref.name}`;

/** 'organization' (a type in root) or 'root:organization'. */
export function typeReference(text: string): TypeReference {
  const colon = text.lastIndexOf(':');
  return colon < 0
    ? { name: text, path: TYPES_PATH }
    : { name: text.slice(colon + 1), path: text.slice(0, colon) };
}

export function workspaceTypeObject(seed: KcpWorkspaceTypeSeed): KubeObject {
  const limit = (names: string[] | undefined) => (names ? { types: names.map(typeReference) } : undefined);
  const parents = limit(seed.limitAllowedParents);
  const children = limit(seed.limitAllowedChildren);
  return {
    apiVersion: 'tenancy.kcp.io/v1alpha1',
    kind: 'WorkspaceType',
    metadata: { name: seed.name, annotations: { [PATH_ANNOTATION]: TYPES_PATH } },
    spec: {
      initializer: true,
      defaultChildWorkspaceType: typeReference(seed.defaultChildWorkspaceType ?? 'universal'),
      ...(parents ? { limitAllowedParents: parents } : {}),
      ...(children ? { limitAllowedChildren: children } : {}),
    },
  };
}

const references = (value: unknown): TypeReference[] => {
  const types = isObject(value) && Array.isArray(value.types) ? value.types.filter(isObject) : [];
  return types.map((t) => ({ name: String(t.name ?? ''), path: String(t.path ?? TYPES_PATH) }));
};

/** What admission needs to know of a stored WorkspaceType (of root). */
export function workspaceTypeInfo(object: KubeObject): WorkspaceTypeInfo {
  const spec: JsonObject = isObject(object.spec) ? object.spec : {};
  const fallback = spec.defaultChildWorkspaceType;
  return {
    ref: { name: object.metadata.name, path: TYPES_PATH },
    allowedParents: references(spec.limitAllowedParents),
    allowedChildren: references(spec.limitAllowedChildren),
    ...(isObject(fallback) && typeof fallback.name === 'string'
      ? { defaultChild: { name: fallback.name, path: String(fallback.path ?? TYPES_PATH) } }
      : {}),
  };
}

const list = (refs: TypeReference[]) => `[${refs.map(qualified).sort().join(' ')}]`;

/** kcp's refusal, worded as kcp words it, when `child` may not be created under `parent`; else undefined. */
export function placementProblem(parent: WorkspaceTypeInfo, child: WorkspaceTypeInfo): string | undefined {
  const parentType = qualified(parent.ref);
  const childType = qualified(child.ref);
  const allows = (refs: TypeReference[], type: string) => refs.some((r) => qualified(r) === type);
  if (child.allowedParents.length > 0 && !allows(child.allowedParents, parentType)) {
    return `workspace type ${childType} only allows ${list(child.allowedParents)} parent workspaces, but parent type ${parentType} only implements [${parentType}]`;
  }
  if (parent.allowedChildren.length > 0 && !allows(parent.allowedChildren, childType)) {
    return `workspace type ${parentType} only allows ${list(parent.allowedChildren)} child workspaces, but child type ${childType} only implements [${childType}]`;
  }
  return undefined;
}
