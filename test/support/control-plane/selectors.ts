/** Label and field selectors, in query-string and LabelSelector-object form. */
import { isObject } from './json.ts';
import { badRequest } from './status.ts';
import type { KubeObject } from './types.ts';

type Requirement =
  { key: string; op: 'in' | 'notin'; values: string[] } | { key: string; op: 'exists' | '!exists' };

export type Predicate = (object: KubeObject) => boolean;

/** Splits on commas that are not inside `(...)` value sets. */
function splitTerms(selector: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of selector) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      terms.push(current.trim());
      current = '';
    } else current += ch;
  }
  if (current.trim()) terms.push(current.trim());
  return terms;
}

function parseRequirement(term: string): Requirement {
  const set = term.match(/^(\S+)\s+(in|notin)\s+\((.*)\)$/);
  if (set?.[1] && set[2] && set[3] !== undefined) {
    return { key: set[1], op: set[2] as 'in' | 'notin', values: set[3].split(',').map((v) => v.trim()) };
  }
  const cmp = term.match(/^([^!=\s]+)\s*(==|=|!=)\s*(\S*)$/);
  if (cmp?.[1] && cmp[2]) {
    return { key: cmp[1], op: cmp[2] === '!=' ? 'notin' : 'in', values: [cmp[3] ?? ''] };
  }
  if (/^![^!=\s]+$/.test(term)) return { key: term.slice(1), op: '!exists' };
  if (/^[^!=\s()]+$/.test(term)) return { key: term, op: 'exists' };
  throw badRequest(`unable to parse requirement: found '${term}'`);
}

function matches(labels: Record<string, string>, r: Requirement): boolean {
  const has = Object.hasOwn(labels, r.key);
  switch (r.op) {
    case 'exists':
      return has;
    case '!exists':
      return !has;
    case 'in':
      return has && r.values.includes(labels[r.key] ?? '');
    case 'notin':
      return !has || !r.values.includes(labels[r.key] ?? '');
  }
}

export function labelSelector(selector: string | null | undefined): Predicate {
  const requirements = splitTerms(selector ?? '').map(parseRequirement);
  return (o) => requirements.every((r) => matches(o.metadata.labels ?? {}, r));
}

type Field = (o: KubeObject) => string | undefined;

/** The value at a path of the object, as a field selector compares it (a string; absent is ''). */
const at =
  (...path: string[]): Field =>
  (o) => {
    const value = path.reduce<unknown>((v, key) => (isObject(v) ? v[key] : undefined), o);
    return value === undefined || value === null ? undefined : String(value);
  };

const METADATA: Record<string, Field> = {
  'metadata.name': at('metadata', 'name'),
  'metadata.namespace': at('metadata', 'namespace'),
};

/** Fields each resource can be selected by besides metadata's, as the real server's field label conversions. */
const FIELDS: Record<string, Record<string, Field>> = {
  pods: {
    'spec.nodeName': at('spec', 'nodeName'),
    'spec.restartPolicy': at('spec', 'restartPolicy'),
    'spec.schedulerName': at('spec', 'schedulerName'),
    'spec.serviceAccountName': at('spec', 'serviceAccountName'),
    'spec.hostNetwork': (o) =>
      String((o.spec as { hostNetwork?: boolean } | undefined)?.hostNetwork === true),
    'status.phase': at('status', 'phase'),
    'status.podIP': at('status', 'podIP'),
    'status.nominatedNodeName': at('status', 'nominatedNodeName'),
  },
  events: {
    ...Object.fromEntries(
      ['kind', 'namespace', 'name', 'uid', 'apiVersion', 'resourceVersion', 'fieldPath'].map((key) => [
        `involvedObject.${key}`,
        at('involvedObject', key),
      ]),
    ),
    reason: at('reason'),
    reportingComponent: at('reportingComponent'),
    // The reporting component when the event names no source component.
    source: (o) => at('source', 'component')(o) || at('reportingComponent')(o),
    type: at('type'),
  },
  namespaces: { 'status.phase': at('status', 'phase') },
  replicasets: { 'status.replicas': at('status', 'replicas') },
  secrets: { type: at('type') },
};

/** `resource` (the plural) decides which fields besides metadata.name/namespace may be selected. */
export function fieldSelector(selector: string | null | undefined, resource = ''): Predicate {
  const fields = { ...METADATA, ...FIELDS[resource] };
  const terms = splitTerms(selector ?? '').map((term) => {
    const m = term.match(/^([^!=]+)(==|=|!=)(.*)$/);
    const get = m?.[1] && Object.hasOwn(fields, m[1]) ? fields[m[1]] : undefined;
    if (!m || !get) throw badRequest(`field label not supported: ${term.split(/[!=]/)[0]}`);
    return { get, negate: m[2] === '!=', value: m[3] ?? '' };
  });
  return (o) => terms.every((t) => ((t.get(o) ?? '') === t.value) !== t.negate);
}
