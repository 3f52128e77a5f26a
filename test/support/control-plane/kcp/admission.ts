/**
 * kcp's admission of a new Workspace: reserved names, the type defaulted from the parent's type
 * and resolved in root, the allowed-parents/children checks, and the initial Scheduling phase.
 */
import { isObject, type JsonObject } from '../json.ts';
import type { ResourceType } from '../resources.ts';
import { forbidden, invalid } from '../status.ts';
import type { KubeObject } from '../types.ts';
import { TYPES_PATH } from './resources.ts';
import { placementProblem, type WorkspaceTypeInfo } from './workspace-types.ts';

const RESERVED_NAMES = new Set(['system', 'any']);

export interface WorkspaceAdmission {
  /** The type of the logical cluster the Workspace is created in. */
  parentType(): WorkspaceTypeInfo | undefined;
  /** A WorkspaceType of root, by name. */
  workspaceType(name: string): WorkspaceTypeInfo | undefined;
  /** The label carrying the phase (tenancy.kcp.io/phase, or tenancy.kcp.dev/phase for a legacy kcp). */
  phaseLabel: string;
}

export function admitWorkspace(context: WorkspaceAdmission, type: ResourceType, object: KubeObject): void {
  const name = object.metadata.name;
  if (RESERVED_NAMES.has(name)) {
    throw invalid(type, name, [
      {
        field: 'metadata.name',
        reason: 'FieldValueInvalid',
        message: `Invalid value: "${name}": name is reserved`,
      },
    ]);
  }
  const spec: JsonObject = isObject(object.spec) ? object.spec : {};
  object.spec = spec;
  if (spec.cluster || spec.URL) {
    const field = spec.cluster ? 'spec.Cluster' : 'spec.URL';
    throw forbidden(type, name, `${field} can only be set by system privileged users`);
  }
  const parent = context.parentType();
  if (!parent) throw forbidden(type, name, 'parent type cannot be resolved');

  const requested = isObject(spec.type) && typeof spec.type.name === 'string' ? spec.type : undefined;
  const reference = requested
    ? { name: String(requested.name), path: typeof requested.path === 'string' ? requested.path : '' }
    : parent.defaultChild;
  if (!reference) {
    throw forbidden(
      type,
      name,
      `spec.defaultChildWorkspaceType of workspace type ${parent.ref.path}:${parent.ref.name} must be set`,
    );
  }
  const shown = reference.path ? `${reference.path}:${reference.name}` : reference.name;
  const child =
    !reference.path || reference.path === TYPES_PATH ? context.workspaceType(reference.name) : undefined;
  if (!child) throw forbidden(type, name, `workspace type "${shown}" cannot be resolved`);
  spec.type = { name: reference.name, path: reference.path || TYPES_PATH };

  const problem = placementProblem(parent, child);
  if (problem) throw forbidden(type, name, problem);

  object.status = { phase: 'Scheduling' };
  object.metadata.labels = { ...object.metadata.labels, [context.phaseLabel]: 'Scheduling' };
}
