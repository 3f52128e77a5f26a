/** Bearer-token authentication and deny-rule authorization, with the real Forbidden wording. */
import type { ResourceType } from './resources.ts';
import { forbidden, unauthorized } from './status.ts';
import type { AccessRule, UserSpec } from './types.ts';

const ANONYMOUS = 'system:anonymous';

// Non-resource paths the real server's RBAC defaults open to anonymous clients.
const PUBLIC_PATHS = new Set(['/version', '/healthz', '/livez', '/readyz']);

/** Paths anyone may read, anonymous clients included (kcp answers them for any /clusters/<name>). */
export const isPublicPath = (path: string) => PUBLIC_PATHS.has(path);

export interface Access {
  verb: string;
  type: ResourceType;
  subresource?: string;
  namespace?: string;
  name?: string;
}

export class Authenticator {
  constructor(private readonly users: Record<string, UserSpec>) {}

  /**
   * The user behind a verified client certificate (its common name; checked first, as kube-apiserver
   * does), else behind the Authorization header; a missing token is anonymous, which only public paths allow.
   */
  authenticate(authorization: string | undefined, path: string, certificateUser?: string): UserSpec {
    if (certificateUser !== undefined)
      return (
        Object.values(this.users).find((user) => user.name === certificateUser) ?? { name: certificateUser }
      );
    const token = authorization?.match(/^Bearer\s+(.+)$/i)?.[1];
    const user = token === undefined ? undefined : this.users[token];
    if (user) return user;
    if (token === undefined && PUBLIC_PATHS.has(path)) return { name: ANONYMOUS };
    throw unauthorized();
  }
}

const matches = (rule: AccessRule, access: Access, resource: string, workspace: string | undefined) =>
  (rule.workspace === undefined || rule.workspace === workspace) &&
  (rule.verb === undefined || rule.verb === access.verb) &&
  (rule.resource === undefined || rule.resource === resource) &&
  (rule.namespace === undefined || rule.namespace === access.namespace);

/** A rule naming only a workspace shuts the user out of that workspace altogether (kcp mode). */
export const workspaceDenied = (user: UserSpec, workspace: string) =>
  (user.deny ?? []).some(
    (rule) =>
      rule.workspace === workspace &&
      rule.verb === undefined &&
      rule.resource === undefined &&
      rule.namespace === undefined,
  );

/** `workspace`: the path of the kcp workspace addressed; rules naming another workspace do not apply. */
export function authorize(user: UserSpec, access: Access, workspace?: string): void {
  const resource = access.subresource ? `${access.type.plural}/${access.subresource}` : access.type.plural;
  // As RBAC's request info has it, namespaces/<name> lies in namespace <name>.
  const namespace =
    access.type.plural === 'namespaces' && access.type.group === '' ? access.name : access.namespace;
  const confined = user.onlyNamespace !== undefined && namespace !== user.onlyNamespace;
  if (!confined && !(user.deny ?? []).some((rule) => matches(rule, access, resource, workspace))) return;
  const scope = access.namespace ? `in the namespace "${access.namespace}"` : 'at the cluster scope';
  throw forbidden(
    access.type,
    access.name ?? '',
    `User "${user.name}" cannot ${access.verb} resource "${resource}" in API group "${access.type.group}" ${scope}`,
  );
}
