/**
 * Strategic merge patch: JSON merge patch where keyed lists (see schema.ts) merge item by item,
 * plus the `$patch`, `$retainKeys`, `$setElementOrder/` and `$deleteFromPrimitiveList/` directives.
 */
import { clone, deepEqual, isObject, type Json, type JsonObject } from '../json.ts';
import type { Schema } from '../schema.ts';

const SET_ORDER = '$setElementOrder/';
const DELETE_PRIMITIVE = '$deleteFromPrimitiveList/';

export function applyStrategicMergePatch(
  original: JsonObject,
  patch: JsonObject,
  schema: Schema,
): JsonObject {
  return mergeMap(original, patch, [], schema) ?? {};
}

/** Returns undefined when the patch deletes the map (`$patch: delete`). */
function mergeMap(
  original: JsonObject,
  patch: JsonObject,
  path: readonly string[],
  schema: Schema,
): JsonObject | undefined {
  if (patch.$patch === 'delete') return undefined;
  if (patch.$patch === 'replace') return stripDirectives(patch) as JsonObject;
  const result = clone(original);
  for (const [key, value] of Object.entries(patch)) {
    if (key === '$patch' || key === '$retainKeys' || key.startsWith(SET_ORDER)) continue;
    if (key.startsWith(DELETE_PRIMITIVE)) {
      const field = key.slice(DELETE_PRIMITIVE.length);
      const current = result[field];
      const doomed = Array.isArray(value) ? value : [];
      if (Array.isArray(current)) result[field] = current.filter((v) => !doomed.some((d) => deepEqual(d, v)));
      continue;
    }
    const fieldPath = [...path, key];
    if (value === null) {
      delete result[key];
    } else if (isObject(value)) {
      const current = result[key];
      const merged = mergeMap(isObject(current) ? current : {}, value, fieldPath, schema);
      if (merged === undefined) delete result[key];
      else result[key] = merged;
    } else if (Array.isArray(value)) {
      result[key] = mergeList(result[key], value, fieldPath, schema);
    } else {
      result[key] = value;
    }
  }
  for (const [key, order] of Object.entries(patch)) {
    const field = key.slice(SET_ORDER.length);
    const list = result[field];
    if (key.startsWith(SET_ORDER) && Array.isArray(order) && Array.isArray(list)) {
      result[field] = reorder(list, order, schema.mergeKey([...path, field]));
    }
  }
  if (Array.isArray(patch.$retainKeys)) {
    const retain = new Set(patch.$retainKeys);
    for (const key of Object.keys(result)) if (!retain.has(key)) delete result[key];
  }
  return result;
}

function mergeList(
  original: Json | undefined,
  patch: Json[],
  path: readonly string[],
  schema: Schema,
): Json[] {
  const mergeKey = schema.mergeKey(path);
  const replace = patch.some((item) => isObject(item) && item.$patch === 'replace');
  if (!mergeKey || replace) {
    return patch.filter((item) => !(isObject(item) && item.$patch === 'replace')).map(stripDirectives);
  }
  const result = Array.isArray(original) ? clone(original) : [];
  for (const item of patch) {
    if (!isObject(item)) continue;
    const index = result.findIndex((o) => isObject(o) && deepEqual(o[mergeKey], item[mergeKey]));
    if (index < 0) {
      if (item.$patch !== 'delete') result.push(mergeMap({}, item, path, schema) ?? {});
      continue;
    }
    const current = result[index];
    const merged = mergeMap(isObject(current) ? current : {}, item, path, schema);
    if (merged === undefined) result.splice(index, 1);
    else result[index] = merged;
  }
  return result;
}

/** Puts items named in `order` first, in that order; others keep their relative order after them. */
function reorder(list: Json[], order: Json[], mergeKey: string | undefined): Json[] {
  const identity = (v: Json) => (mergeKey && isObject(v) ? (v[mergeKey] ?? null) : v);
  const rank = (v: Json) => {
    const i = order.findIndex((o) => deepEqual(identity(o), identity(v)));
    return i < 0 ? order.length : i;
  };
  return list
    .map((item, index) => ({ item, index }))
    .sort((a, b) => rank(a.item) - rank(b.item) || a.index - b.index)
    .map(({ item }) => item);
}

function stripDirectives(value: Json): Json {
  if (Array.isArray(value)) return value.map(stripDirectives);
  if (!isObject(value)) return value;
  const out: JsonObject = {};
  for (const [key, v] of Object.entries(value)) {
    if (key.startsWith('$')) continue;
    out[key] = stripDirectives(v);
  }
  return out;
}
