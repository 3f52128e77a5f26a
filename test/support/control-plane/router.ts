/**
 * The single request router: the logical cluster addressed, authentication, then non-resource
 * endpoints or the REST handlers of that logical cluster.
 */
import { type Authenticator, authorize } from './auth.ts';
import {
  AGGREGATED_CONTENT_TYPE,
  aggregated,
  coreVersions,
  groupList,
  resourceList,
  version,
  wantsAggregated,
} from './discovery.ts';
import { openapiDocument, openapiIndex } from './openapi.ts';
import { type ApiRequest, json, parseResourcePath, type Reply } from './request.ts';
import { handleResource } from './rest.ts';
import { pathNotFound } from './status.ts';
import type { Workspace } from './workspace.ts';

type Route = (req: ApiRequest, ws: Workspace, match: RegExpMatchArray) => Reply;

/** Which logical cluster serves a request: the only one (plain mode), or one per kcp workspace. */
export interface Tenancy {
  /** Splits a `/clusters/<name>` prefix off: the logical cluster named, if any, and the path within it. */
  split(path: string): { cluster?: string; path: string };
  /**
   * The logical cluster to serve the request from (`cluster` undefined: the default one) and, in kcp
   * mode, its workspace path; throws the 403 when it does not exist or the user may not enter it.
   */
  enter(cluster: string | undefined, req: ApiRequest): { workspace: Workspace; path?: string };
}

/** Plain mode: one logical cluster, no /clusters/ URLs. */
export const singleCluster = (workspace: Workspace): Tenancy => ({
  split: (path) => ({ path }),
  enter: () => ({ workspace }),
});

export class Router {
  private readonly routes: Array<[RegExp, Route]> = [
    [/^\/version\/?$/, () => json(version())],
    [/^\/(healthz|livez|readyz)(\/.*)?$/, () => ({ status: 200, body: 'ok', contentType: 'text/plain' })],
    [/^\/api\/?$/, (req, ws) => this.discovery(req, ws, true)],
    [/^\/apis\/?$/, (req, ws) => this.discovery(req, ws, false)],
    [/^\/api\/(v1)\/?$/, (_req, ws, m) => this.resources(ws, '', m[1] ?? '')],
    [/^\/apis\/([^/]+)\/([^/]+)\/?$/, (_req, ws, m) => this.resources(ws, m[1] ?? '', m[2] ?? '')],
    [/^\/openapi\/v3\/?$/, (_req, ws) => json(openapiIndex(ws.resources))],
    [/^\/openapi\/v3\/(.+)$/, (_req, ws, m) => this.openapi(ws, m[1] ?? '')],
  ];

  constructor(
    private readonly authenticator: Authenticator,
    private readonly serverAddress: () => string,
    private readonly tenancy: Tenancy,
  ) {}

  /**
   * `req.path` is the full path; the request log keeps it, the handlers see the path within the cluster.
   * `certificateUser`: the user a verified client certificate names.
   */
  handle(req: Omit<ApiRequest, 'user'>, certificateUser?: string): { reply: Reply; user: string } {
    const { cluster, path } = this.tenancy.split(req.path);
    const user = this.authenticator.authenticate(req.headers.authorization, path, certificateUser);
    const request: ApiRequest = { ...req, path, user };
    const { workspace: ws, path: workspacePath } = this.tenancy.enter(cluster, request);
    for (const [pattern, route] of this.routes) {
      const match = path.match(pattern);
      if (match) return { reply: route(request, ws, match), user: user.name };
    }
    const resource = parseResourcePath(req.method, path, req.query, ws.resources);
    if (!resource) throw pathNotFound();
    for (const verb of [resource.verb, ...(resource.alsoAuthorize ?? [])]) {
      authorize(user, { ...resource, verb, name: resource.name ?? '' }, workspacePath);
    }
    return { reply: handleResource(ws, request, resource), user: user.name };
  }

  private discovery(req: ApiRequest, ws: Workspace, core: boolean): Reply {
    if (wantsAggregated(req.headers.accept)) {
      return { status: 200, body: aggregated(ws.resources, core), contentType: AGGREGATED_CONTENT_TYPE };
    }
    return json(core ? coreVersions(this.serverAddress()) : groupList(ws.resources));
  }

  private resources(ws: Workspace, group: string, version: string): Reply {
    const list = resourceList(ws.resources, group, version);
    if (!list) throw pathNotFound();
    return json(list);
  }

  private openapi(ws: Workspace, path: string): Reply {
    const document = openapiDocument(ws.resources, path);
    if (!document) throw pathNotFound();
    return { status: 200, body: document, contentType: 'application/json' };
  }
}
