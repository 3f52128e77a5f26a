/**
 * Field paths as structured-merge-diff sees them. A path is its elements joined by '\n':
 * `f:<field>` for a map field, `k:{"name":"app"}` for an associative list item. FieldsV1 is the
 * nested-object encoding of a set of paths, where `.` marks a node that is itself a member.
 */
import { deepEqual, isObject, type Json, type JsonObject } from '../json.ts';
import { itemKey, type Schema } from '../schema.ts';

export type FieldSet = Set<string>;

/** The value at a path, or NODE for a map/list item whose children are tracked separately. */
export const NODE = Symbol('node');
export type FieldMap = Map<string, Json | typeof NODE>;

const SEP = '\n';

// Non-pointer structs always exist in Go's zero value, so an update never "adds" them (no `.`).
const STRUCTS = new Set(['metadata', 'spec', 'status', 'template', 'strategy', 'resources']);

/**
 * Every tracked path of `value` with its value. 'apply' mode lists what an applied configuration
 * owns (leaves and list items, not maps); 'update' mode also lists maps, so adding one records `.`.
 */
export function fieldMap(value: JsonObject, schema: Schema, mode: 'apply' | 'update'): FieldMap {
  const out: FieldMap = new Map();
  const walk = (v: Json, elements: string[], path: string[]) => {
    const here = elements.join(SEP);
    if (isObject(v) && !schema.atomic(path)) {
      if (elements.length > 0 && mode === 'update' && !STRUCTS.has(path.at(-1) ?? '')) out.set(here, NODE);
      for (const [k, child] of Object.entries(v)) walk(child, [...elements, `f:${k}`], [...path, k]);
      return;
    }
    const keys = schema.listKeys(path);
    if (Array.isArray(v) && keys && v.every(isObject)) {
      for (const item of v) {
        const itemElements = [...elements, `k:${JSON.stringify(itemKey(item, keys))}`];
        out.set(itemElements.join(SEP), NODE);
        for (const [k, child] of Object.entries(item)) walk(child, [...itemElements, `f:${k}`], [...path, k]);
      }
      return;
    }
    out.set(here, v);
  };
  walk(value, [], []);
  return out;
}

/** Paths added, removed or changed between two field maps. */
export function changedPaths(before: FieldMap, after: FieldMap): FieldSet {
  const changed: FieldSet = new Set();
  for (const [path, value] of after) {
    if (!before.has(path) || !deepEqual(before.get(path), value)) changed.add(path);
  }
  for (const path of before.keys()) if (!after.has(path)) changed.add(path);
  return changed;
}

export const union = (...sets: FieldSet[]): FieldSet => new Set(sets.flatMap((s) => [...s]));
export const difference = (a: FieldSet, b: FieldSet): FieldSet => new Set([...a].filter((p) => !b.has(p)));
export const intersection = (a: FieldSet, b: FieldSet): FieldSet => new Set([...a].filter((p) => b.has(p)));

export const splitPath = (path: string): string[] => (path === '' ? [] : path.split(SEP));

type Tree = { [element: string]: Tree };

export function encodeFieldsV1(set: FieldSet): JsonObject {
  const root: Tree = {};
  for (const path of [...set].sort()) {
    let node = root;
    for (const element of splitPath(path)) node = node[element] ??= {};
    node['.'] = {};
  }
  // A member without children is written as `{}` rather than `{".": {}}`.
  const collapse = (node: Tree): JsonObject => {
    const keys = Object.keys(node);
    if (keys.length === 1 && keys[0] === '.') return {};
    const out: JsonObject = {};
    for (const key of keys.sort((a, b) => (a === '.' ? -1 : b === '.' ? 1 : a < b ? -1 : 1))) {
      out[key] = collapse(node[key] ?? {});
    }
    return out;
  };
  return collapse(root);
}

export function decodeFieldsV1(fields: unknown): FieldSet {
  const set: FieldSet = new Set();
  const walk = (node: unknown, elements: string[]) => {
    if (!isObject(node)) return;
    const keys = Object.keys(node);
    if (keys.length === 0 && elements.length > 0) set.add(elements.join(SEP));
    for (const key of keys) {
      if (key === '.') set.add(elements.join(SEP));
      else walk(node[key], [...elements, key]);
    }
  };
  walk(fields, []);
  return set;
}

/** The path as structured-merge-diff prints it in conflicts: `.spec.containers[name="app"].image`. */
export function describePath(path: string): string {
  return splitPath(path)
    .map((element) => {
      if (element.startsWith('f:')) return `.${element.slice(2)}`;
      const key = JSON.parse(element.slice(2)) as JsonObject;
      return `[${Object.entries(key)
        .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
        .join(',')}]`;
    })
    .join('');
}

/**
 * Removes the field or list item at each path from `object` (in place), then any map the removal
 * left empty unless `owned` still lists it.
 */
export function removePaths(
  object: JsonObject,
  paths: Iterable<string>,
  schema: Schema,
  owned: FieldSet,
): void {
  for (const path of paths) {
    let elements = splitPath(path);
    while (elements.length > 0) {
      const parent = removeOne(object, elements, schema);
      elements = elements.slice(0, -1);
      const emptied = isObject(parent) && Object.keys(parent).length === 0;
      if (!emptied || !elements.at(-1)?.startsWith('f:') || owned.has(elements.join(SEP))) break;
    }
  }
}

/** Removes the last element of `elements`; returns the container it was removed from. */
function removeOne(object: JsonObject, elements: readonly string[], schema: Schema): Json | undefined {
  let node: Json | undefined = object;
  const fields: string[] = [];
  for (const element of elements.slice(0, -1)) {
    if (element.startsWith('f:')) {
      node = isObject(node) ? node[element.slice(2)] : undefined;
      fields.push(element.slice(2));
    } else {
      node = Array.isArray(node) ? node[itemIndex(node, element, fields, schema)] : undefined;
    }
  }
  const last = elements.at(-1) ?? '';
  if (last.startsWith('f:') && isObject(node)) delete node[last.slice(2)];
  if (last.startsWith('k:') && Array.isArray(node)) {
    const index = itemIndex(node, last, fields, schema);
    if (index >= 0) node.splice(index, 1);
  }
  return node;
}

function itemIndex(list: Json[], element: string, fields: string[], schema: Schema): number {
  const keys = schema.listKeys(fields) ?? [];
  return list.findIndex((item) => `k:${JSON.stringify(itemKey(item, keys))}` === element);
}
