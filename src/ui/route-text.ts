import { describeMatch, type GatewayRoute } from '../haproxy/routes.ts';
import type { ListedRoute, RouteChangeResult } from '../services/routes.ts';

/** `el-github.ci:8080`, the way users type it; the raw address for hand-written backends. */
export function describeTarget(route: GatewayRoute): string {
  const target = route.service
    ? `${route.service.name}.${route.service.namespace}:${route.service.port}`
    : (route.address ?? `backend ${route.backend}`);
  return `${target}${route.tls ? ' (TLS)' : ''}${route.stripPrefix ? ' (prefix stripped)' : ''}`;
}

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
      describeTarget(route),
      route.origin,
      serviceColumn(route.serviceExists),
    ]),
  ];
  const widths =
    rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? [];
  return rows
    .map((row) =>
      row
        .map((cell, column) => cell.padEnd(widths[column] ?? 0))
        .join('   ')
        .trimEnd(),
    )
    .join('\n');
}

export function renderRouteChange(result: RouteChangeResult): string {
  const what = `${describeMatch(result.route.match)} → ${describeTarget(result.route)}`;
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
