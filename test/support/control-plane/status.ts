/** `kind: Status` error objects, worded like the real API server. */
import type { ResourceType } from './resources.ts';

export interface StatusCause {
  type?: string;
  message?: string;
  field?: string;
  reason?: string;
}

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  causes?: StatusCause[];
}

export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never>;
  status: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  details?: StatusDetails;
  code: number;
}

export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: StatusDetails,
  ) {
    super(message);
  }

  toStatus(): Status {
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      ...(this.details ? { details: this.details } : {}),
      code: this.code,
    };
  }
}

const qualified = (type: ResourceType) => (type.group ? `${type.plural}.${type.group}` : type.plural);
const details = (type: ResourceType, name: string): StatusDetails => ({
  name,
  group: type.group,
  kind: type.plural,
});

export const notFound = (type: ResourceType, name: string) =>
  new ApiError(404, 'NotFound', `${qualified(type)} "${name}" not found`, details(type, name));

export const alreadyExists = (type: ResourceType, name: string) =>
  new ApiError(409, 'AlreadyExists', `${qualified(type)} "${name}" already exists`, details(type, name));

export const conflict = (type: ResourceType, name: string) =>
  new ApiError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualified(type)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    details(type, name),
  );

export const badRequest = (message: string) => new ApiError(400, 'BadRequest', message);

export const methodNotAllowed = () =>
  new ApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');

export const pathNotFound = () =>
  new ApiError(404, 'NotFound', 'the server could not find the requested resource');

export const serviceUnavailable = (message: string) => new ApiError(503, 'ServiceUnavailable', message);

export const unauthorized = () => new ApiError(401, 'Unauthorized', 'Unauthorized');

export const forbidden = (type: ResourceType, name: string, message: string) =>
  new ApiError(
    403,
    'Forbidden',
    `${qualified(type)}${name ? ` "${name}"` : ''} is forbidden: ${message}`,
    details(type, name),
  );

/** 422 Invalid; each cause is a field with its `Invalid value`/`Required value` message. */
export function invalid(type: ResourceType, name: string, causes: Required<Omit<StatusCause, 'type'>>[]) {
  const text = causes.map((c) => `${c.field}: ${c.message}`);
  const summary = text.length === 1 ? text[0] : `[${text.join(', ')}]`;
  return new ApiError(
    422,
    'Invalid',
    `${type.group ? `${type.kind}.${type.group}` : type.kind} "${name}" is invalid: ${summary}`,
    {
      name,
      group: type.group,
      kind: type.kind,
      causes: causes.map((c) => ({ reason: c.reason, message: c.message, field: c.field })),
    },
  );
}

export const unsupportedMediaType = (accepted: string[]) =>
  new ApiError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`,
  );
