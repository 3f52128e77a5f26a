/**
 * Object semantics on top of a Store: validation, defaulting, generation, resourceVersion
 * preconditions, managed fields for updates, and graceful/finalizer-aware deletion.
 * Both the REST handlers and the controllers write through this.
 */
import { recordUpdate } from './apply/managed-fields.ts';
import { applyDefaults } from './defaults.ts';
import { clone, deepEqual, timestamp } from './json.ts';
import { apiVersionOf, findByPlural, type ResourceType } from './resources.ts';
import type { Predicate } from './selectors.ts';
import { alreadyExists, ApiError, badRequest, conflict, forbidden, invalid, notFound } from './status.ts';
import type { Store } from './store.ts';
import type { KubeObject } from './types.ts';
import { nameProblem, randomSuffix } from './validation.ts';

export interface WriteOptions {
  dryRun?: boolean;
  subresource?: string;
  /** Records an Update entry in managedFields for this manager; omitted for controller writes. */
  fieldManager?: string;
  /** The input's managedFields were computed by server-side apply: store them as they are. */
  applied?: boolean;
}

/**
 * A create-time admission step (kcp's Workspace admission): may default fields of the object about
 * to be stored, or throw the ApiError the client gets.
 */
export type Admission = (type: ResourceType, object: KubeObject) => void;

export type PropagationPolicy = 'Background' | 'Foreground' | 'Orphan';

export interface DeleteOptions {
  dryRun?: boolean;
  propagationPolicy?: PropagationPolicy;
  /** Delete only if the object still has this uid / resourceVersion. */
  preconditions?: { uid?: string; resourceVersion?: string };
}

// Garbage-collector finalizers the deletion propagation policies add (see controllers/garbage-collector.ts).
export const POLICY_FINALIZERS: Partial<Record<PropagationPolicy, string>> = {
  Foreground: 'foregroundDeletion',
  Orphan: 'orphan',
};

const namespaces = findByPlural('namespaces') as ResourceType;

export class Objects {
  private nextClusterIP = 1;

  constructor(
    readonly store: Store,
    private readonly admit?: Admission,
  ) {}

  get(type: ResourceType, namespace: string | undefined, name: string): KubeObject {
    const found = this.store.get(type.plural, scope(type, namespace), name);
    if (!found) throw notFound(type, name);
    return found;
  }

  list(type: ResourceType, namespace: string | undefined, ...filters: Predicate[]): KubeObject[] {
    return this.store.list(type.plural, scope(type, namespace)).filter((o) => filters.every((f) => f(o)));
  }

  create(type: ResourceType, namespace: string | undefined, input: KubeObject, options: WriteOptions = {}) {
    const object = clone(input);
    object.apiVersion = apiVersionOf(type);
    object.kind = type.kind;
    const meta = object.metadata;
    if (type.namespaced) {
      if (meta.namespace && namespace && meta.namespace !== namespace) {
        throw badRequest(
          'the namespace of the provided object does not match the namespace sent on the request',
        );
      }
      meta.namespace = namespace ?? meta.namespace ?? 'default';
    } else delete meta.namespace;
    if (!meta.name && typeof meta.generateName === 'string') meta.name = meta.generateName + randomSuffix();
    this.validate(type, object);
    if (meta.resourceVersion) throw badRequest('resourceVersion should not be set on objects to be created');
    if (type.namespaced) this.checkNamespaceOpen(type, meta.namespace ?? '', meta.name);
    if (this.store.get(type.plural, meta.namespace, meta.name)) throw alreadyExists(type, meta.name);
    for (const key of ['uid', 'creationTimestamp', 'deletionTimestamp']) delete meta[key];
    meta.generation = 1;
    if (type.subresources.includes('status') && type.kind !== 'Namespace') delete object.status;
    applyDefaults(object, this);
    this.admit?.(type, object);
    if (options.fieldManager && !options.applied) recordUpdate(type, undefined, object, options.fieldManager);
    if (options.dryRun)
      return { ...object, metadata: { ...meta, uid: crypto.randomUUID(), creationTimestamp: timestamp() } };
    return this.store.create(type.plural, object);
  }

  /**
   * Replaces an object. The main resource keeps the stored status; the status subresource only
   * changes status. A stale metadata.resourceVersion is a 409 Conflict.
   */
  update(type: ResourceType, input: KubeObject, options: WriteOptions = {}): KubeObject {
    const current = this.get(type, input.metadata.namespace, input.metadata.name);
    if (
      input.metadata.resourceVersion &&
      input.metadata.resourceVersion !== current.metadata.resourceVersion
    ) {
      throw conflict(type, current.metadata.name);
    }
    const next =
      options.subresource === 'status' ? { ...clone(current), status: clone(input.status) } : clone(input);
    next.apiVersion = apiVersionOf(type);
    next.kind = type.kind;
    if (options.subresource !== 'status' && type.subresources.includes('status')) {
      if (current.status === undefined) delete next.status;
      else next.status = clone(current.status);
    }
    const kept = [
      'uid',
      'creationTimestamp',
      'deletionTimestamp',
      'deletionGracePeriodSeconds',
      'resourceVersion',
    ];
    for (const key of kept) {
      if (current.metadata[key] === undefined) delete next.metadata[key];
      else next.metadata[key] = current.metadata[key];
    }
    const managedFields = options.applied ? input.metadata.managedFields : current.metadata.managedFields;
    if (managedFields === undefined) delete next.metadata.managedFields;
    else next.metadata.managedFields = managedFields;
    this.validate(type, next);
    applyDefaults(next, this);
    next.metadata.generation =
      Number(current.metadata.generation ?? 1) + (specChanged(current, next) ? 1 : 0);
    if (options.fieldManager && !options.applied) {
      recordUpdate(type, current, next, options.fieldManager, options.subresource);
    }
    if (deepEqual(next, current)) return current;
    if (options.dryRun) return next;
    if (next.metadata.deletionTimestamp && !hasFinalizers(next) && !type.graceful) {
      return this.store.remove(type.plural, next.metadata.namespace, next.metadata.name) ?? next;
    }
    return this.store.update(type.plural, next);
  }

  /**
   * Deletes now, or marks the object Terminating when something must finalize it first
   * (pods and namespaces, finalizers, Foreground/Orphan propagation).
   */
  delete(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    options: DeleteOptions = {},
  ): KubeObject {
    const current = this.get(type, namespace, name);
    const { uid, resourceVersion } = options.preconditions ?? {};
    if (
      (uid && uid !== current.metadata.uid) ||
      (resourceVersion && resourceVersion !== current.metadata.resourceVersion)
    ) {
      throw conflict(type, name);
    }
    const policyFinalizer = options.propagationPolicy && POLICY_FINALIZERS[options.propagationPolicy];
    if (!type.graceful && !hasFinalizers(current) && !policyFinalizer) {
      if (options.dryRun) return current;
      return this.store.remove(type.plural, current.metadata.namespace, name) ?? current;
    }
    if (current.metadata.deletionTimestamp) return current;
    const next = clone(current);
    next.metadata.deletionTimestamp = timestamp();
    if (type.kind === 'Pod') next.metadata.deletionGracePeriodSeconds = 30;
    if (type.kind === 'Namespace') next.status = { ...(next.status as object), phase: 'Terminating' };
    if (policyFinalizer) next.metadata.finalizers = [...finalizers(next), policyFinalizer];
    return options.dryRun ? next : this.store.update(type.plural, next);
  }

  allocateClusterIP(): string {
    const n = this.nextClusterIP++;
    return `10.96.${Math.floor(n / 250)}.${(n % 250) + 1}`;
  }

  private validate(type: ResourceType, object: KubeObject): void {
    const name = object.metadata.name ?? '';
    if (!name) {
      throw invalid(type, '', [
        {
          field: 'metadata.name',
          reason: 'FieldValueRequired',
          message: 'Required value: name or generateName is required',
        },
      ]);
    }
    const problem = nameProblem(name, type.nameRule);
    if (problem) {
      throw invalid(type, name, [
        {
          field: 'metadata.name',
          reason: 'FieldValueInvalid',
          message: `Invalid value: "${name}": ${problem}`,
        },
      ]);
    }
    if ((type.plural === 'configmaps' || type.plural === 'secrets') && dataSize(object) > MAX_DATA_SIZE) {
      // The API server's ValidateConfigMap/ValidateSecret: the values' bytes summed, one limit for both.
      throw invalid(type, name, [
        {
          field: '[]',
          reason: 'FieldValueTooLong',
          message: `Too long: may not be more than ${MAX_DATA_SIZE} bytes`,
        },
      ]);
    }
  }

  private checkNamespaceOpen(type: ResourceType, namespace: string, name: string): void {
    const ns = this.store.get('namespaces', undefined, namespace);
    if (!ns) throw notFound(namespaces, namespace);
    if (ns.metadata.deletionTimestamp) {
      const refused = forbidden(
        type,
        name,
        `unable to create new content in namespace ${namespace} because it is being terminated`,
      );
      // NamespaceLifecycle's own cause, which clients read to tell this 403 from RBAC's.
      const cause = {
        reason: 'NamespaceTerminating',
        message: `namespace ${namespace} is being terminated`,
        field: 'metadata.namespace',
      };
      throw new ApiError(refused.code, refused.reason, refused.message, {
        ...refused.details,
        causes: [cause],
      });
    }
  }
}

/** core.MaxSecretSize, which ConfigMaps share. */
const MAX_DATA_SIZE = 1024 * 1024;

/** The bytes of a ConfigMap's or Secret's values (data as text; binaryData and Secret data base64). */
function dataSize(object: KubeObject): number {
  const values = (field: string) => Object.values((object[field] ?? {}) as Record<string, string>);
  const base64 = object.kind === 'Secret' ? ['data'] : ['binaryData'];
  let total = 0;
  for (const field of ['data', 'binaryData', 'stringData']) {
    for (const value of values(field))
      total += base64.includes(field) ? Buffer.from(value, 'base64').length : Buffer.byteLength(value);
  }
  return total;
}

const scope = (type: ResourceType, namespace: string | undefined) =>
  type.namespaced ? namespace : undefined;

export const finalizers = (o: KubeObject): string[] =>
  Array.isArray(o.metadata.finalizers) ? (o.metadata.finalizers as string[]) : [];
const hasFinalizers = (o: KubeObject) => finalizers(o).length > 0;

/** True when anything outside metadata and status differs (what bumps metadata.generation). */
function specChanged(a: KubeObject, b: KubeObject): boolean {
  const { metadata: _m1, status: _s1, ...restA } = a;
  const { metadata: _m2, status: _s2, ...restB } = b;
  return !deepEqual(restA, restB);
}
