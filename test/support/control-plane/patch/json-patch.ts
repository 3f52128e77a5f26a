/** RFC 6902 JSON Patch. */
import { clone, deepEqual, isObject, type Json } from '../json.ts';

export interface Operation {
  op: 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test';
  path: string;
  from?: string;
  value?: Json;
}

export class JsonPatchError extends Error {}

function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new JsonPatchError(`invalid JSON pointer "${pointer}"`);
  return pointer
    .slice(1)
    .split('/')
    .map((t) => t.replaceAll('~1', '/').replaceAll('~0', '~'));
}

function arrayIndex(array: Json[], token: string, forInsert: boolean): number {
  if (forInsert && token === '-') return array.length;
  const index = /^(0|[1-9][0-9]*)$/.test(token) ? Number(token) : Number.NaN;
  if (Number.isNaN(index) || index > array.length || (!forInsert && index === array.length)) {
    throw new JsonPatchError(`array index "${token}" out of bounds`);
  }
  return index;
}

/** The container holding the pointer's last token, and that token. */
function locate(doc: Json, pointer: string): { parent: Json; token: string } {
  const tokens = parsePointer(pointer);
  const token = tokens.pop();
  if (token === undefined) throw new JsonPatchError('cannot operate on the document root');
  let parent: Json = doc;
  for (const t of tokens) {
    const next: Json | undefined = Array.isArray(parent)
      ? parent[arrayIndex(parent, t, false)]
      : isObject(parent)
        ? parent[t]
        : undefined;
    if (next === undefined) throw new JsonPatchError(`missing path "${pointer}"`);
    parent = next;
  }
  return { parent, token };
}

function read(doc: Json, pointer: string): Json {
  if (pointer === '') return doc;
  const { parent, token } = locate(doc, pointer);
  const value = Array.isArray(parent)
    ? parent[arrayIndex(parent, token, false)]
    : isObject(parent)
      ? parent[token]
      : undefined;
  if (value === undefined) throw new JsonPatchError(`missing value at "${pointer}"`);
  return value;
}

function add(doc: Json, pointer: string, value: Json): void {
  const { parent, token } = locate(doc, pointer);
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, token, true), 0, value);
  else if (isObject(parent)) parent[token] = value;
  else throw new JsonPatchError(`cannot add to a scalar at "${pointer}"`);
}

function remove(doc: Json, pointer: string): Json {
  const value = read(doc, pointer);
  const { parent, token } = locate(doc, pointer);
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, token, false), 1);
  else if (isObject(parent)) delete parent[token];
  return value;
}

export function applyJsonPatch(document: Json, operations: unknown): Json {
  if (!Array.isArray(operations)) throw new JsonPatchError('a JSON patch must be an array of operations');
  const doc = clone(document);
  for (const operation of operations as Operation[]) {
    const { op, path } = operation;
    const value = operation.value === undefined ? undefined : clone(operation.value);
    switch (op) {
      case 'add':
        add(doc, path, value ?? null);
        break;
      case 'remove':
        remove(doc, path);
        break;
      case 'replace':
        remove(doc, path);
        add(doc, path, value ?? null);
        break;
      case 'move':
        add(doc, path, remove(doc, operation.from ?? ''));
        break;
      case 'copy':
        add(doc, path, clone(read(doc, operation.from ?? '')));
        break;
      case 'test':
        if (!deepEqual(read(doc, path), value ?? null)) {
          throw new JsonPatchError(`testing value ${path} failed: test failed`);
        }
        break;
      default:
        throw new JsonPatchError(`Unexpected kind: ${String(op)}`);
    }
  }
  return doc;
}
