/**
 * CustomResourceDefinitions (apiextensions.k8s.io/v1): each served version of a CRD becomes a served
 * type, its status says NamesAccepted and Established as kube-apiserver's does, and deleting the CRD
 * removes its objects and stops serving it. Schemas are stored, not enforced: the real API server
 * (test/real) is the one that validates and prunes custom resources.
 */
import { isObject, type JsonObject, timestamp } from '../json.ts';
import type { Objects } from '../objects.ts';
import { findByPlural, type ResourceType, type ServedResources } from '../resources.ts';
import type { StoreEvent } from '../store.ts';
import type { KubeObject } from '../types.ts';
import type { WorkQueue } from './queue.ts';

const CRDS = findByPlural('customresourcedefinitions') as ResourceType;

const field = (o: KubeObject | JsonObject, part: string): JsonObject => {
  const value = o[part];
  return isObject(value) ? value : {};
};
const strings = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];

/** The types a CRD serves: one per version with `served: true`. */
export function typesOf(crd: KubeObject): ResourceType[] {
  const spec = field(crd, 'spec');
  const names = field(spec, 'names');
  const group = String(spec.group ?? '');
  const kind = String(names.kind ?? '');
  const plural = String(names.plural ?? '');
  const versions = (Array.isArray(spec.versions) ? spec.versions : []).filter(isObject);
  return versions
    .filter((version) => version.served === true)
    .map((version) => ({
      group,
      version: String(version.name ?? ''),
      kind,
      plural,
      singular: String(names.singular ?? kind.toLowerCase()),
      namespaced: spec.scope !== 'Cluster',
      shortNames: strings(names.shortNames),
      categories: strings(names.categories),
      subresources: Object.keys(field(version, 'subresources')).filter(
        (sub) => sub === 'status' || sub === 'scale',
      ),
      nameRule: 'subdomain',
      strategicMerge: false,
      graceful: false,
    }));
}

export class CustomResourceController {
  private readonly base: readonly ResourceType[];

  constructor(
    private readonly objects: Objects,
    private readonly queue: WorkQueue,
    private readonly served: ServedResources,
  ) {
    this.base = served.all();
  }

  observe(event: StoreEvent): void {
    if (event.resource !== CRDS.plural) return;
    if (event.type === 'DELETED') {
      const removed = event.object;
      this.queue.enqueue(`crd/${removed.metadata.name}/cleanup`, () => this.cleanUp(removed));
      return;
    }
    this.queue.enqueue('crds/served', () => this.serve());
  }

  /** Serves every CRD's types and marks each CRD Established. */
  private serve(): void {
    const crds = this.objects.store.list(CRDS.plural);
    for (const crd of crds) this.establish(crd);
    this.served.replace([...this.base, ...crds.flatMap(typesOf)]);
  }

  private establish(crd: KubeObject): void {
    const status = field(crd, 'status');
    const conditions = (Array.isArray(status.conditions) ? status.conditions : []).filter(isObject);
    if (conditions.some((c) => c.type === 'Established' && c.status === 'True')) return;
    const now = timestamp();
    const condition = (type: string, reason: string, message: string) => ({
      type,
      status: 'True',
      lastTransitionTime: now,
      reason,
      message,
    });
    const spec = field(crd, 'spec');
    this.objects.update(
      CRDS,
      {
        ...crd,
        status: {
          acceptedNames: field(spec, 'names'),
          storedVersions: (Array.isArray(spec.versions) ? spec.versions : [])
            .filter(isObject)
            .filter((version) => version.storage === true)
            .map((version) => String(version.name ?? '')),
          conditions: [
            condition('NamesAccepted', 'NoConflicts', 'no conflicts found'),
            condition('Established', 'InitialNamesAccepted', 'the initial names have been accepted'),
          ],
        },
      },
      { subresource: 'status' },
    );
  }

  /** Like kube-apiserver's customresourcecleanup finalizer: the objects go with their definition. */
  private cleanUp(crd: KubeObject): void {
    for (const type of typesOf(crd)) {
      const live = this.served.all().find((t) => t.group === type.group && t.plural === type.plural);
      if (!live) continue;
      for (const object of this.objects.list(live, undefined)) {
        this.objects.store.remove(live.plural, object.metadata.namespace, object.metadata.name);
      }
    }
    this.serve();
  }
}
