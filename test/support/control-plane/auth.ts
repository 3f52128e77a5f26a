/** Bearer-token authentication and deny-rule authorization, with the real Forbidden wording. */
import type { ResourceType } from './resources.ts';
import { forbidden, unauthorized } from './status.ts';
import type { AccessRule, UserSpec } from './types.ts';

const ANONYMOUS = 'system:anonymous';

// Non-resource paths the real server's RBAC defaults open to anonymous clients.
const PUBLIC_PATHS = new Set(['/version', '/healthz', '/livez', '/readyz']);

export interface Access {
  verb: string;
  type: ResourceType;
  subresource?: string;
  namespace?: string;
  name?: string;
}

export class Authenticator {
  constructor(private readonly users: Record<string, UserSpec>) {}

  /** The user behind the Authorization header; a missing token is anonymous, which only public paths allow. */
  authenticate(authorization: string | undefined, path: string): UserSpec {
    const token = authorization?.match(/^Bearer\s+(.+)$/i)?.[1];
    const user = token === undefined ? undefined : this.users[token];
    if (user) return user;
    if (token === undefined && PUBLIC_PATHS.has(path)) return { name: ANONYMOUS };
    throw unauthorized();
  }
}

const matches = (rule: AccessRule, access: Access, resource: string) =>
  (rule.verb === undefined || rule.verb === access.verb) &&
  (rule.resource === undefined || rule.resource === resource) &&
  (rule.namespace === undefined || rule.namespace === access.namespace);

export function authorize(user: UserSpec, access: Access): void {
  const resource = access.subresource ? `${access.type.plural}/${access.subresource}` : access.type.plural;
  if (!(user.deny ?? []).some((rule) => matches(rule, access, resource))) return;
  const scope = access.namespace ? `in the namespace "${access.namespace}"` : 'at the cluster scope';
  throw forbidden(
    access.type,
    access.name ?? '',
    `User "${user.name}" cannot ${access.verb} resource "${resource}" in API group "${access.type.group}" ${scope}`,
  );
}
