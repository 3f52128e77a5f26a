/**
 * The APIBindings of one logical cluster: a binding to an APIExport that exists becomes Bound and
 * the export's resources are served here from then on; one to a missing export waits in phase
 * Binding (APIExportNotFound) and is retried whenever an APIExport appears anywhere.
 */
import { createHash } from 'node:crypto';
import type { WorkQueue } from '../controllers/queue.ts';
import { isObject, type JsonObject } from '../json.ts';
import type { Objects } from '../objects.ts';
import type { ResourceType } from '../resources.ts';
import type { Store, StoreEvent } from '../store.ts';
import type { KubeObject } from '../types.ts';
import { setConditions } from './conditions.ts';
import { API_BINDINGS, bindableType } from './resources.ts';

/** The schema name kcp's APIResourceSchemas would have: `v250101-00000000.<plural>.<group or core>`. */
export const schemaName = (group: string, plural: string) => `v250101-00000000.${plural}.${group || 'core'}`;

/** The group and plural a schema name stands for. */
export function schemaResource(schema: string): { group: string; resource: string } | undefined {
  const match = schema.match(/^[^.]+\.([^.]+)\.(.+)$/);
  if (!match) return undefined;
  const [, resource = '', group = ''] = match;
  return { group: group === 'core' ? '' : group, resource };
}

/** A logical cluster an APIBinding can point at. */
export interface ExportHome {
  id: string;
  store: Store;
}

const field = (o: KubeObject | JsonObject, part: string): JsonObject => {
  const value = o[part];
  return isObject(value) ? value : {};
};
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const uuidFrom = (hex: string) =>
  `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;

export class BindingController {
  constructor(
    private readonly objects: Objects,
    private readonly queue: WorkQueue,
    /** The workspace path of this logical cluster (where an export reference without a path points). */
    private readonly path: string,
    /** The logical cluster with a workspace path (or id). */
    private readonly find: (path: string) => ExportHome | undefined,
    /** Serves the base set plus `bound` in this logical cluster. */
    private readonly serve: (bound: ResourceType[]) => void,
  ) {}

  observe(event: StoreEvent): void {
    if (event.resource !== 'apibindings') return;
    if (event.type === 'DELETED') {
      this.queue.enqueue('apibindings/served', () => this.refreshServed());
      return;
    }
    const { name } = event.object.metadata;
    this.queue.enqueue(`apibinding/${name}`, () => this.reconcile(name));
  }

  /** Looks again at every binding still waiting for its export. */
  retry(): void {
    for (const binding of this.objects.store.list('apibindings')) {
      const { name } = binding.metadata;
      if (field(binding, 'status').phase !== 'Bound') {
        this.queue.enqueue(`apibinding/${name}`, () => this.reconcile(name));
      }
    }
  }

  reconcile(name: string): void {
    const binding = this.objects.store.get('apibindings', undefined, name);
    if (!binding || binding.metadata.deletionTimestamp) return;
    const reference = field(field(binding, 'spec'), 'reference');
    const exportRef = isObject(reference.export) ? reference.export : {};
    const path = typeof exportRef.path === 'string' && exportRef.path ? exportRef.path : this.path;
    const exportName = String(exportRef.name ?? '');
    const home = this.find(path);
    const apiExport = home?.store.get('apiexports', undefined, exportName);
    const current = field(binding, 'status');
    const status =
      home && apiExport
        ? this.bound(current, home, apiExport)
        : {
            phase: 'Binding',
            conditions: setConditions(current.conditions, [
              notFound('APIExportValid', path, exportName),
              notFound('Ready', path, exportName),
            ]),
          };
    this.objects.update(API_BINDINGS, { ...binding, status }, { subresource: 'status' });
    this.refreshServed();
  }

  private bound(current: JsonObject, home: ExportHome, apiExport: KubeObject) {
    const identityHash = sha256(`${home.id}/${apiExport.metadata.name}/${String(apiExport.metadata.uid)}`);
    const schemas = field(apiExport, 'spec').latestResourceSchemas;
    const boundResources = (Array.isArray(schemas) ? schemas : []).flatMap((schema) => {
      const bound = typeof schema === 'string' ? schemaResource(schema) : undefined;
      const type = bound && bindableType(bound.group, bound.resource);
      if (!bound || !type) return [];
      const uid = uuidFrom(sha256(`${identityHash}/${String(schema)}`));
      return [
        { ...bound, schema: { name: schema, UID: uid, identityHash }, storageVersions: [type.version] },
      ];
    });
    return {
      phase: 'Bound',
      apiExportClusterName: home.id,
      boundResources,
      conditions: setConditions(current.conditions, [
        { type: 'APIExportValid', status: 'True' },
        { type: 'InitialBindingCompleted', status: 'True' },
        { type: 'Ready', status: 'True' },
      ]),
    };
  }

  /** Serves what the Bound bindings bring, nothing more. */
  private refreshServed(): void {
    const bound = this.objects.store
      .list('apibindings')
      .filter((b) => field(b, 'status').phase === 'Bound')
      .flatMap((b) => {
        const resources = field(b, 'status').boundResources;
        return (Array.isArray(resources) ? resources : []).filter(isObject);
      })
      .flatMap((r) => bindableType(String(r.group ?? ''), String(r.resource ?? '')) ?? []);
    this.serve(bound);
  }
}

const notFound = (type: string, path: string, name: string) => ({
  type,
  status: 'False' as const,
  reason: 'APIExportNotFound',
  message: `APIExport ${path}:${name} not found`,
  severity: 'Error' as const,
});
