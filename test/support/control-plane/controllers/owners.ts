/** ownerReferences helpers shared by the controllers. */
import { apiVersionOf, type ResourceType } from '../resources.ts';
import type { KubeObject } from '../types.ts';

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export const ownerReferences = (o: KubeObject): OwnerReference[] =>
  Array.isArray(o.metadata.ownerReferences) ? (o.metadata.ownerReferences as OwnerReference[]) : [];

export const controllerOf = (o: KubeObject): OwnerReference | undefined =>
  ownerReferences(o).find((r) => r.controller);

export const isOwnedBy = (o: KubeObject, owner: KubeObject) =>
  ownerReferences(o).some((r) => r.uid === owner.metadata.uid);

export const controllerReference = (owner: KubeObject, type: ResourceType): OwnerReference => ({
  apiVersion: apiVersionOf(type),
  kind: type.kind,
  name: owner.metadata.name,
  uid: String(owner.metadata.uid),
  controller: true,
  blockOwnerDeletion: true,
});
