/**
 * The little schema knowledge merges need: which lists are keyed (strategic merge patch keys and
 * server-side-apply list-map keys) and which maps are atomic. Paths are field names from the root,
 * list indexes left out (e.g. ['spec', 'template', 'spec', 'containers']).
 */
import type { Json } from './json.ts';
import type { ResourceType } from './resources.ts';

export interface Schema {
  /** Strategic-merge-patch merge key of the list at `path`, if it is merged rather than replaced. */
  mergeKey(path: readonly string[]): string | undefined;
  /** Server-side-apply keys of an associative list at `path`; undefined for atomic lists. */
  listKeys(path: readonly string[]): readonly string[] | undefined;
  /** Maps owned as a whole by server-side apply (label selectors). */
  atomic(path: readonly string[]): boolean;
}

interface ListRule {
  mergeKey: string;
  keys: readonly string[];
}

const CONTAINERS = new Set(['containers', 'initContainers', 'ephemeralContainers']);
const byName: ListRule = { mergeKey: 'name', keys: ['name'] };

// Keyed lists of the built-in types, by list field name (a few need their parent to disambiguate).
const LIST_RULES: Record<string, ListRule> = {
  containers: byName,
  initContainers: byName,
  ephemeralContainers: byName,
  env: byName,
  volumes: byName,
  imagePullSecrets: byName,
  volumeMounts: { mergeKey: 'mountPath', keys: ['mountPath'] },
  volumeDevices: { mergeKey: 'devicePath', keys: ['devicePath'] },
  ownerReferences: { mergeKey: 'uid', keys: ['uid'] },
  conditions: { mergeKey: 'type', keys: ['type'] },
  hostAliases: { mergeKey: 'ip', keys: ['ip'] },
};

function listRule(path: readonly string[]): ListRule | undefined {
  const field = path.at(-1) ?? '';
  if (field === 'ports') {
    const parent = path.at(-2) ?? '';
    if (CONTAINERS.has(parent)) return { mergeKey: 'containerPort', keys: ['containerPort', 'protocol'] };
    // Service spec.ports (endpoint subsets' ports are atomic).
    if (path.length === 2 && parent === 'spec') return { mergeKey: 'port', keys: ['port', 'protocol'] };
    return undefined;
  }
  return Object.hasOwn(LIST_RULES, field) ? LIST_RULES[field] : undefined;
}

const builtinSchema: Schema = {
  mergeKey: (path) => listRule(path)?.mergeKey,
  listKeys: (path) => listRule(path)?.keys,
  atomic: (path) =>
    (path.length === 2 && path[0] === 'spec' && path[1] === 'selector') || path.at(-1) === 'nodeSelector',
};

// Custom resources without list annotations: every list is atomic, like a structural CRD schema.
const customSchema: Schema = {
  mergeKey: () => undefined,
  listKeys: (path) =>
    path.length === 2 && path[0] === 'metadata' ? builtinSchema.listKeys(path) : undefined,
  atomic: () => false,
};

export const schemaFor = (type: ResourceType): Schema => (type.strategicMerge ? builtinSchema : customSchema);

// Defaults of key fields, applied when an item omits them (protocol defaults to TCP).
const KEY_DEFAULTS: Record<string, Json> = { protocol: 'TCP' };

/** The key of a list item as server-side apply spells it: `{"name":"app"}`, fields sorted. */
export function itemKey(item: Json, keys: readonly string[]): Record<string, Json> {
  const record = typeof item === 'object' && item !== null && !Array.isArray(item) ? item : {};
  const key: Record<string, Json> = {};
  for (const k of [...keys].sort()) key[k] = record[k] ?? KEY_DEFAULTS[k] ?? null;
  return key;
}
