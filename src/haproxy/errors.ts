/**
 * What can go wrong when a user edits routes: bad input, a config the tool cannot safely edit, a route
 * that is already there or is not. Each says what happened, why, and what to run next.
 */
import { ExitCode, GatewayError } from '../errors.ts';

/** A route that cannot be written into the config; `hint` says what a valid one looks like. */
export class InvalidRouteError extends GatewayError {
  readonly hint: string;

  constructor(message: string, hint: string) {
    super(message, { why: hint, exitCode: ExitCode.usage });
    this.name = 'InvalidRouteError';
    this.hint = hint;
  }
}

/** Where in haproxy.cfg a problem is: 1-based line number and the line as written. */
export interface ConfigLocation {
  line: number;
  text: string;
}

/** Optional context for messages: the namespace the gateway's ConfigMap lives in. */
export interface ConfigContext {
  namespace?: string | undefined;
}

const CONFIG_MAP = 'trigger-gateway-haproxy';

/**
 * The live haproxy.cfg is not in a shape the tool can edit without risking a route or HAProxy itself.
 * Nothing was changed; the user fixes the config by hand.
 */
export class InvalidConfigError extends GatewayError {
  readonly problem: string;
  readonly location: ConfigLocation | undefined;

  constructor(problem: string, location?: ConfigLocation, context: ConfigContext = {}) {
    const where = location ? `line ${location.line} (${JSON.stringify(location.text)}): ` : '';
    const namespace = context.namespace ?? '<gateway namespace>';
    super(`haproxy.cfg ${where}${problem}`, {
      why: 'the tool only edits a config whose marked route blocks it can read; it changed nothing',
      next: [
        `kubectl edit configmap ${CONFIG_MAP} -n ${namespace}${location ? ` and fix line ${location.line}` : ''}`,
        'or restore the "# BEGIN/END trigger-gateway …" blocks from manifests/20-configmap.yaml',
      ],
      exitCode: ExitCode.clusterState,
    });
    this.name = 'InvalidConfigError';
    this.problem = problem;
    this.location = location;
  }
}

/** The match is routed already, to something else, and the user did not ask to overwrite it. */
export class RouteExistsError extends GatewayError {
  constructor(match: string, current: string, wanted: string) {
    super(`a route for ${match} already exists: ${match} → ${current}`, {
      why: `it would be replaced by ${match} → ${wanted}`,
      next: ['pass --overwrite to replace it', `or remove it first: kubectl trigger-gateway route remove …`],
      exitCode: ExitCode.clusterState,
    });
    this.name = 'RouteExistsError';
  }
}

/** No route has the match the user named; the message lists those that exist. */
export class RouteNotFoundError extends GatewayError {
  constructor(match: string, existing: readonly string[]) {
    const routes = existing.length === 0 ? 'there are no routes' : `routes: ${existing.join(', ')}`;
    super(`no route for ${match}; ${routes}`, {
      why: 'a route is removed by exactly the path or header it was added with',
      next: ['kubectl trigger-gateway route list'],
      exitCode: ExitCode.clusterState,
    });
    this.name = 'RouteNotFoundError';
  }
}
