import {
  describeMatch,
  describeRouteTarget,
  formatLimit,
  type GatewayRoute,
  LIMIT_NAMES,
  type LimitName,
} from '../haproxy/routes.ts';
import { describeConfigCheck } from '../services/config-check.ts';
import type { ListedRoute, RouteChangeResult } from '../services/routes.ts';
import { formatTable } from './table-text.ts';

function serviceColumn(exists: boolean | undefined): string {
  if (exists === undefined) return '-';
  return exists ? 'exists' : 'missing';
}

const SHORT: Record<LimitName, string> = {
  maxBody: 'body',
  rateLimit: 'rate',
  allowFrom: 'from',
  maxConcurrent: 'concurrent',
};

function limitText(route: GatewayRoute, name: LimitName): string | undefined {
  const { limits } = route;
  let text: string;
  switch (name) {
    case 'maxBody':
      if (limits.maxBody === null) return undefined;
      text = formatLimit(name, limits);
      break;
    case 'rateLimit':
      if (limits.rateLimit === null) return undefined;
      // Each gateway pod counts on its own: say so wherever the rate is shown.
      text = `${formatLimit(name, limits)} per pod`;
      break;
    case 'allowFrom': {
      const cidrs = limits.allowFrom;
      if (cidrs === null) return undefined;
      text = cidrs.length <= 2 ? cidrs.join(',') : `${cidrs.slice(0, 2).join(',')} +${cidrs.length - 2}`;
      break;
    }
    case 'maxConcurrent':
      if (limits.maxConcurrent === null) return undefined;
      text = formatLimit(name, limits);
      break;
  }
  return `${SHORT[name]} ${text}${route.limitDefaults.includes(name) ? '*' : ''}`;
}

/** 'body 25MiB*, rate 10/s per source per pod': the limits a route enforces, * marking gateway defaults. */
export function describeLimits(route: GatewayRoute): string {
  const parts = LIMIT_NAMES.map((name) => limitText(route, name)).filter((part) => part !== undefined);
  return parts.length === 0 ? '-' : parts.join(', ');
}

export function renderRouteTable(routes: ListedRoute[]): string {
  if (routes.length === 0)
    return 'No routes yet. Add one: kubectl trigger-gateway route add /github el-github-listener.ci:8080';
  const rows = [
    ['MATCH', 'BACKEND', 'ORIGIN', 'SERVICE', 'LIMITS'],
    ...routes.map((route) => [
      describeMatch(route.match),
      describeRouteTarget(route),
      route.origin,
      serviceColumn(route.serviceExists),
      describeLimits(route),
    ]),
  ];
  const table = formatTable(rows);
  return routes.some((route) => route.limitDefaults.length > 0)
    ? `${table}\n* the gateway default (install --max-body …); rates are counted by each gateway pod`
    : table;
}

export function renderRouteChange(result: RouteChangeResult): string {
  const what = `${describeMatch(result.route.match)} → ${describeRouteTarget(result.route)}`;
  if (result.dryRun) return result.diff || `No change: ${what} is already routed that way.`;
  const lines: string[] = [];
  switch (result.change) {
    case 'unchanged':
      return `Route ${what} already exists; nothing changed.`;
    case 'removed':
      lines.push(`Removed route ${what}.`);
      break;
    default:
      lines.push(`Route ${what} ${result.change}.`);
  }
  if (result.change !== 'removed') {
    const limits = describeLimits(result.route);
    lines.push(
      `Limits: ${limits === '-' ? 'none' : limits}${limits.includes('*') ? ' (* the gateway default)' : ''}`,
    );
  }
  if (result.check) lines.push(describeConfigCheck(result.check));
  if (result.serviceExists === false) {
    lines.push(`Note: that Service does not exist yet; the route answers 503 until it does.`);
  }
  if (result.rollout?.draining) {
    lines.push(
      `The gateway runs the new config on ${result.rollout.ready}/${result.rollout.desired} pods; ${result.rollout.draining} pod(s) of the old one were still shutting down when --timeout ran out, and answer with it until they stop: kubectl -n ${result.namespace} get pods`,
    );
  } else if (result.rollout) {
    lines.push(
      `The gateway runs the new config on ${result.rollout.ready}/${result.rollout.desired} pods, and no pod runs the old one: traffic flows now.`,
    );
  } else {
    lines.push(
      `The gateway pods are rolling to the new config; traffic follows once this completes: kubectl -n ${result.namespace} rollout status deployment/trigger-gateway`,
    );
  }
  return lines.join('\n');
}
