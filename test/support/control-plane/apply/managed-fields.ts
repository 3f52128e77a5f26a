/** metadata.managedFields: reading and writing entries, and recording the fields an Update changed. */
import { isObject, type JsonObject, timestamp } from '../json.ts';
import { apiVersionOf, type ResourceType } from '../resources.ts';
import { schemaFor } from '../schema.ts';
import type { KubeObject } from '../types.ts';
import {
  changedPaths,
  decodeFieldsV1,
  difference,
  encodeFieldsV1,
  type FieldSet,
  fieldMap,
  union,
} from './fieldset.ts';

export interface Manager {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  subresource?: string;
  time: string;
  set: FieldSet;
}

// Metadata the field manager never tracks (server-owned or identity).
const UNTRACKED_METADATA = [
  'name',
  'namespace',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'managedFields',
  'selfLink',
];

/** The part of an object whose fields are owned: no identity metadata; status only through /status. */
export function trackedContent(object: KubeObject | undefined, subresource?: string): JsonObject {
  if (!object) return {};
  const content = structuredClone(object) as unknown as JsonObject;
  delete content.apiVersion;
  delete content.kind;
  if (subresource === 'status') return isObject(content.status) ? { status: content.status } : {};
  delete content.status;
  const metadata = isObject(content.metadata) ? content.metadata : {};
  for (const key of UNTRACKED_METADATA) delete metadata[key];
  content.metadata = metadata;
  return content;
}

export function readManagers(object: KubeObject | undefined): Manager[] {
  const entries = object?.metadata.managedFields;
  if (!Array.isArray(entries)) return [];
  return entries.filter(isObject).map((e) => ({
    manager: String(e.manager ?? ''),
    operation: e.operation === 'Apply' ? 'Apply' : 'Update',
    apiVersion: String(e.apiVersion ?? ''),
    ...(typeof e.subresource === 'string' ? { subresource: e.subresource } : {}),
    time: String(e.time ?? ''),
    set: decodeFieldsV1(e.fieldsV1),
  }));
}

export function writeManagers(object: KubeObject, managers: Manager[]): void {
  const entries = managers
    .filter((m) => m.set.size > 0)
    .map((m) => ({
      manager: m.manager,
      operation: m.operation,
      apiVersion: m.apiVersion,
      time: m.time,
      fieldsType: 'FieldsV1',
      fieldsV1: encodeFieldsV1(m.set),
      ...(m.subresource ? { subresource: m.subresource } : {}),
    }));
  if (entries.length > 0) object.metadata.managedFields = entries;
  else delete object.metadata.managedFields;
}

/** Finds or adds the entry for this manager/operation (Update entries are per apiVersion). */
export function entryFor(managers: Manager[], wanted: Omit<Manager, 'time' | 'set'>): Manager {
  const found = managers.find(
    (m) =>
      m.manager === wanted.manager &&
      m.operation === wanted.operation &&
      m.subresource === wanted.subresource &&
      (m.operation === 'Apply' || m.apiVersion === wanted.apiVersion),
  );
  if (found) return found;
  const created: Manager = { ...wanted, time: timestamp(), set: new Set() };
  managers.push(created);
  return created;
}

/**
 * Records an Update by `manager` on `after` (in place): it takes ownership of every field it
 * changed, which other managers lose, and everyone loses fields it removed.
 */
export function recordUpdate(
  type: ResourceType,
  before: KubeObject | undefined,
  after: KubeObject,
  manager: string,
  subresource?: string,
): void {
  const schema = schemaFor(type);
  const managers = readManagers(before);
  const afterFields = fieldMap(trackedContent(after, subresource), schema, 'update');
  const changed = changedPaths(fieldMap(trackedContent(before, subresource), schema, 'update'), afterFields);
  const removed = new Set([...changed].filter((p) => !afterFields.has(p)));
  const apiVersion = apiVersionOf(type);
  const own = entryFor(managers, {
    manager,
    operation: 'Update',
    apiVersion,
    ...(subresource ? { subresource } : {}),
  });
  for (const m of managers) if (m !== own) m.set = difference(m.set, changed);
  own.set = difference(union(own.set, changed), removed);
  if (changed.size > 0) own.time = timestamp();
  writeManagers(after, managers);
}
