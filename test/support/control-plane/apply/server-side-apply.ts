/**
 * Server-side apply: merge an applied configuration into the live object, prune what the manager
 * stopped applying, and refuse (409) to change fields other managers own unless forced.
 */
import { clone, deepEqual, isObject, type Json, type JsonObject, timestamp } from '../json.ts';
import { apiVersionOf, type ResourceType } from '../resources.ts';
import { itemKey, type Schema, schemaFor } from '../schema.ts';
import { ApiError } from '../status.ts';
import type { KubeObject } from '../types.ts';
import {
  changedPaths,
  describePath,
  difference,
  fieldMap,
  intersection,
  removePaths,
  union,
} from './fieldset.ts';
import { entryFor, type Manager, readManagers, trackedContent, writeManagers } from './managed-fields.ts';

export interface ApplyRequest {
  type: ResourceType;
  /** The live object, undefined when apply creates it. */
  live: KubeObject | undefined;
  config: KubeObject;
  manager: string;
  force: boolean;
  subresource?: string;
}

/** Returns the object to store (the live object itself when nothing changes). */
export function serverSideApply({
  type,
  live,
  config,
  manager,
  force,
  subresource,
}: ApplyRequest): KubeObject {
  const schema = schemaFor(type);
  const applied = trackedContent(config, subresource);
  const managers = readManagers(live);
  const own = entryFor(managers, {
    manager,
    operation: 'Apply',
    apiVersion: apiVersionOf(type),
    ...(subresource ? { subresource } : {}),
  });
  const lastApplied = own.set;
  own.set = new Set(fieldMap(applied, schema, 'apply').keys());

  const base: KubeObject = live ?? {
    apiVersion: config.apiVersion,
    kind: config.kind,
    metadata: { name: config.metadata.name, namespace: config.metadata.namespace },
  };
  const merged = merge(base as unknown as JsonObject, applied, [], schema) as JsonObject;
  const others = managers.filter((m) => m !== own);
  const ownedByOthers = union(...others.map((m) => m.set));
  const dropped = difference(difference(lastApplied, own.set), ownedByOthers);
  removePaths(merged, dropped, schema, union(ownedByOthers, own.set));

  const result = merged as unknown as KubeObject;
  const changed = changedPaths(
    fieldMap(trackedContent(live, subresource), schema, 'update'),
    fieldMap(trackedContent(result, subresource), schema, 'update'),
  );
  const conflicts = others.flatMap((m) =>
    [...intersection(m.set, changed)].sort().map((path) => ({ m, path })),
  );
  if (conflicts.length > 0 && !force) throw conflictError(conflicts);
  for (const m of others) m.set = difference(m.set, changed);
  if (changed.size > 0 || !deepEqual([...lastApplied].sort(), [...own.set].sort())) own.time = timestamp();
  writeManagers(result, managers);
  return live && deepEqual(result, live) ? live : result;
}

function merge(live: Json | undefined, config: Json, path: readonly string[], schema: Schema): Json {
  if (isObject(config) && !schema.atomic(path)) {
    const out: JsonObject = isObject(live) ? clone(live) : {};
    for (const [key, value] of Object.entries(config)) {
      if (value === null) delete out[key];
      else out[key] = merge(out[key], value, [...path, key], schema);
    }
    return out;
  }
  const keys = schema.listKeys(path);
  if (Array.isArray(config) && keys && config.every(isObject)) {
    const out: Json[] = Array.isArray(live) ? clone(live) : [];
    for (const item of config) {
      const index = out.findIndex((o) => deepEqual(itemKey(o, keys), itemKey(item, keys)));
      if (index >= 0) out[index] = merge(out[index], item, path, schema);
      else out.push(clone(item));
    }
    return out;
  }
  return clone(config);
}

function describeManager(m: Manager): string {
  const name = JSON.stringify(m.manager) + (m.subresource ? ` with subresource "${m.subresource}"` : '');
  return m.operation === 'Update' ? `${name} using ${m.apiVersion}` : name;
}

function conflictError(conflicts: Array<{ m: Manager; path: string }>): ApiError {
  const causes = conflicts.map(({ m, path }) => ({
    type: 'FieldManagerConflict',
    message: `conflict with ${describeManager(m)}`,
    field: describePath(path),
  }));
  const [only] = conflicts;
  if (conflicts.length === 1 && only) {
    const text = `conflict with ${describeManager(only.m)}: ${describePath(only.path)}`;
    return new ApiError(409, 'Conflict', `Apply failed with 1 conflict: ${text}`, { causes });
  }
  const byManager = new Map<string, string[]>();
  for (const { m, path } of conflicts) {
    const name = describeManager(m);
    byManager.set(name, [...(byManager.get(name) ?? []), `- ${describePath(path)}`]);
  }
  const lines = [...byManager.keys()]
    .sort()
    .flatMap((name) => [`conflicts with ${name}:`, ...(byManager.get(name) ?? [])]);
  return new ApiError(
    409,
    'Conflict',
    `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`,
    {
      causes,
    },
  );
}
