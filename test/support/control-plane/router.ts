/** The single request router: authentication, then non-resource endpoints or the REST handlers. */
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

export class Router {
  private readonly routes: Array<[RegExp, Route]> = [
    [/^\/version\/?$/, () => json(version())],
    [/^\/(healthz|livez|readyz)(\/.*)?$/, () => ({ status: 200, body: 'ok', contentType: 'text/plain' })],
    [/^\/api\/?$/, (req) => this.discovery(req, true)],
    [/^\/apis\/?$/, (req) => this.discovery(req, false)],
    [/^\/api\/(v1)\/?$/, (_req, _ws, m) => this.resources('', m[1] ?? '')],
    [/^\/apis\/([^/]+)\/([^/]+)\/?$/, (_req, _ws, m) => this.resources(m[1] ?? '', m[2] ?? '')],
    [/^\/openapi\/v3\/?$/, () => json(openapiIndex())],
    [/^\/openapi\/v3\/(.+)$/, (_req, _ws, m) => this.openapi(m[1] ?? '')],
  ];

  constructor(
    private readonly authenticator: Authenticator,
    private readonly serverAddress: () => string,
    private readonly workspaceFor: (path: string) => Workspace,
  ) {}

  handle(req: Omit<ApiRequest, 'user'>): { reply: Reply; user: string } {
    const user = this.authenticator.authenticate(req.headers.authorization, req.path);
    const request: ApiRequest = { ...req, user };
    const ws = this.workspaceFor(req.path);
    for (const [pattern, route] of this.routes) {
      const match = req.path.match(pattern);
      if (match) return { reply: route(request, ws, match), user: user.name };
    }
    const resource = parseResourcePath(req.method, req.path, req.query);
    if (!resource) throw pathNotFound();
    for (const verb of [resource.verb, ...(resource.alsoAuthorize ?? [])]) {
      authorize(user, { ...resource, verb, name: resource.name ?? '' });
    }
    return { reply: handleResource(ws, request, resource), user: user.name };
  }

  private discovery(req: ApiRequest, core: boolean): Reply {
    if (wantsAggregated(req.headers.accept)) {
      return { status: 200, body: aggregated(core), contentType: AGGREGATED_CONTENT_TYPE };
    }
    return json(core ? coreVersions(this.serverAddress()) : groupList());
  }

  private resources(group: string, version: string): Reply {
    const list = resourceList(group, version);
    if (!list) throw pathNotFound();
    return json(list);
  }

  private openapi(path: string): Reply {
    const document = openapiDocument(path);
    if (!document) throw pathNotFound();
    return { status: 200, body: document, contentType: 'application/json' };
  }
}
