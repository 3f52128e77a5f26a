import { describeMatch, describeRouteTarget } from '../haproxy/routes.ts';
import type { ListedRoute, RouteChangeResult } from '../services/routes.ts';
import { formatTable } from './table-text.ts';

function serviceColumn(exists: boolean | undefined): string {
  if (exists === undefined) return '-';
  return exists ? 'exists' : 'missing';
}

export function renderRouteTable(routes: ListedRoute[]): string {
  if (routes.length === 0)
    return 'No routes yet. Add one: kubectl trigger-gateway route add /github el-github-listener.ci:8080';
  const rows = [
    ['MATCH', 'BACKEND', 'ORIGIN', 'SERVICE'],
    ...routes.map((route) => [
      describeMatch(route.match),
      describeRouteTarget(route),
      route.origin,
      serviceColumn(route.serviceExists),
    ]),
  ];
  return formatTable(rows);
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
  if (result.serviceExists === false) {
    lines.push(`Note: that Service does not exist yet; the route answers 503 until it does.`);
  }
  if (result.rollout) {
    lines.push(
      `The gateway runs the new config on ${result.rollout.ready}/${result.rollout.desired} pods: traffic flows now.`,
    );
  } else {
    lines.push(
      `The gateway pods are rolling to the new config; traffic follows once this completes: kubectl -n ${result.namespace} rollout status deployment/trigger-gateway`,
    );
  }
  return lines.join('\n');
}
