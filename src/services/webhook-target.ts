/**
 * What every webhook command starts from: the provider and repository (checked before anything is
 * read), the gateway and its routes, its public base URL (as `status` reports it, or --url), the token,
 * and the provider's API client.
 */
import { ExitCode, GatewayError, usageError } from '../errors.ts';
import {
  type ForgeApi,
  forgeApi,
  type ForgeProvider,
  forgeToken,
  parseForgeProvider,
  parseRepository,
  type RepositoryRef,
  repositoryName,
  resolveApiUrl,
} from '../forge/index.ts';
import type { Send } from '../forge/client.ts';
import type { TokenSources } from '../forge/credentials.ts';
import { describeMatch } from '../haproxy/routes.ts';
import type { KubeClient } from '../kube/client.ts';
import type { Progress } from '../ui/progress.ts';
import { readPublicAddress } from './exposure.ts';
import type { ForgeContext } from './forge-errors.ts';
import { type GatewayLocation, locateGatewayAndSay } from './gateway.ts';
import { type ListedRoute, listGatewayRoutes } from './routes.ts';

export interface WebhookTargetRequest {
  provider: string;
  apiUrl: string | undefined;
  repo: string;
  /** --url: the gateway's public base URL, instead of the one its Ingress, HTTPRoute or Route has. */
  url: string | undefined;
}

/** How the commands reach a provider; tests replace the token sources and the sender. */
export interface ForgeAccess {
  tokenSources?: TokenSources;
  send?: Send;
}

export interface WebhookTarget {
  provider: ForgeProvider;
  repo: RepositoryRef;
  repository: string;
  location: GatewayLocation;
  routes: ListedRoute[];
  /** The gateway's public base URL. */
  base: string;
  /** Where the base came from: --url, or the kind of object that exposes the gateway. */
  baseFrom: 'url' | 'ingress' | 'httproute' | 'route';
  api: ForgeApi;
  context: ForgeContext;
}

/** The flags alone, before anything is read: a bad one fails first, with nothing touched. */
export function parseTargetFlags(request: WebhookTargetRequest) {
  const provider = parseForgeProvider(request.provider);
  const repo = parseRepository(provider, request.repo);
  const apiUrl = resolveApiUrl(provider, request.apiUrl);
  if (request.url !== undefined) checkBaseUrl(request.url);
  return { provider, repo, apiUrl };
}

function checkBaseUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw usageError(`--url ${url} is not a URL`, undefined, ['e.g. --url https://hooks.example.com']);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')
    throw usageError(`--url ${url} is not an http(s) URL`, undefined, [
      'e.g. --url https://hooks.example.com',
    ]);
}

async function publicBase(
  kube: KubeClient,
  location: GatewayLocation,
  given: string | undefined,
  progress: Progress,
): Promise<Pick<WebhookTarget, 'base' | 'baseFrom'>> {
  if (given !== undefined) return { base: given, baseFrom: 'url' };
  const exposure = await readPublicAddress(kube, location.namespace);
  if (exposure.kind === 'none' || !exposure.url) {
    throw new GatewayError('the gateway has no public address to register', {
      why: exposure.note ?? 'nothing exposes the gateway',
      next: [
        'pass the address the provider reaches the gateway at: --url https://hooks.example.com',
        'kubectl trigger-gateway status',
      ],
      exitCode: ExitCode.clusterState,
    });
  }
  // The provider will send there whether or not a controller serves it yet: say so, do not refuse.
  if (!exposure.routable)
    progress.warn(`${exposure.object} has no address yet: ${exposure.note ?? 'no controller answered'}`);
  return { base: exposure.url, baseFrom: exposure.kind };
}

export async function resolveWebhookTarget(
  kube: KubeClient,
  request: WebhookTargetRequest,
  progress: Progress,
  access: ForgeAccess = {},
): Promise<WebhookTarget> {
  const { provider, repo, apiUrl } = parseTargetFlags(request);
  const location = await locateGatewayAndSay(kube, progress);
  const routes = await listGatewayRoutes(kube, location);
  const { base, baseFrom } = await publicBase(kube, location, request.url, progress);
  const token = forgeToken(provider, apiUrl, access.tokenSources);
  const repository = repositoryName(repo);
  return {
    provider,
    repo,
    repository,
    location,
    routes,
    base,
    baseFrom,
    api: forgeApi(provider, {
      apiUrl,
      token: token.value,
      timeoutMs: kube.target.requestTimeoutMs,
      send: access.send,
    }),
    context: { provider, apiUrl, repository, tokenSource: token.source },
  };
}

/** The path route for `path`, or an error naming the routes there are. */
export function routeFor(target: Pick<WebhookTarget, 'routes' | 'location'>, path: string): ListedRoute {
  const route = target.routes.find(
    (candidate) => candidate.match.type === 'path' && candidate.match.path === path,
  );
  if (route) return route;
  const listed = target.routes.map((candidate) => describeMatch(candidate.match)).join(', ') || 'none';
  throw new GatewayError(`no route for ${path} in the gateway in namespace ${target.location.namespace}`, {
    why: `a webhook for a path without a route gets the gateway's 404; the routes are: ${listed}`,
    next: [
      `kubectl trigger-gateway route add ${path} SERVICE.NAMESPACE:PORT`,
      'kubectl trigger-gateway route list',
    ],
    exitCode: ExitCode.clusterState,
  });
}

/** The path route that serves `path` (the longest whole-segment prefix, as the gateway matches). */
export function routeServing(routes: readonly ListedRoute[], path: string): ListedRoute | undefined {
  return routes
    .filter((route) => route.match.type === 'path')
    .filter((route) => {
      const prefix = route.match.type === 'path' ? route.match.path.replace(/\/+$/, '') : '';
      return path === prefix || path.startsWith(`${prefix}/`) || prefix === '';
    })
    .sort((a, b) => describeMatch(b.match).length - describeMatch(a.match).length)[0];
}
