/** What each pod and route row says, cell by cell, with the colour that draws the eye to trouble. */
import type { PodStatus, RouteStatus } from '../../services/status-model.ts';
import { ageAt, compactCount, oneLine, shortAge } from './cells.ts';
import type { ColumnSpec } from './columns.ts';
import type { Cell } from './table.tsx';

export function podColumns(pods: PodStatus[]): ColumnSpec[] {
  const columns: ColumnSpec[] = [
    { header: 'NAME', shrinks: true, min: 12 },
    { header: 'READY' },
    { header: 'RESTARTS', align: 'right' },
    { header: 'AGE', align: 'right' },
    { header: 'CONFIG' },
  ];
  if (pods.some((pod) => !pod.ready)) columns.push({ header: 'PROBLEM', shrinks: true, min: 8 });
  return columns;
}

const CONFIG_CELLS: Record<string, Cell> = {
  true: { text: 'current', color: 'green' },
  false: { text: 'old', color: 'yellow', bold: true },
  undefined: { text: '?', dim: true },
};

export function podCells(pod: PodStatus, now: number, withProblem: boolean): Cell[] {
  const cells: Cell[] = [
    { text: oneLine(pod.name) },
    { text: pod.readyContainers, color: pod.ready ? 'green' : 'red' },
    { text: String(pod.restarts), color: pod.restarts > 0 ? 'yellow' : undefined },
    { text: ageAt(pod.createdAt, now) },
    CONFIG_CELLS[String(pod.currentConfig)] ?? { text: '?' },
  ];
  if (withProblem) cells.push({ text: pod.ready ? '' : oneLine(pod.problem ?? pod.phase), color: 'red' });
  return cells;
}

/** Pods in trouble first, so that a cut table still shows them; otherwise in the reading's order. */
export function podsTroubleFirst(pods: PodStatus[]): PodStatus[] {
  const trouble = (pod: PodStatus) => (pod.ready ? 0 : 2) + (pod.currentConfig === false ? 1 : 0);
  return pods.toSorted((a, b) => trouble(b) - trouble(a));
}

/** Pods still on an old haproxy.cfg: a rollout that has not finished, or is stuck. */
export function rolloutNotice(pods: PodStatus[]): string | undefined {
  const old = pods.filter((pod) => pod.currentConfig === false).length;
  if (old === 0) return undefined;
  return `! ${old} of ${pods.length} pods still run an old haproxy.cfg: the rollout has not finished`;
}

// Counters go first when the terminal is narrow; what the route is and whether it works stay.
const ROUTE_COLUMNS: ColumnSpec[] = [
  { header: 'MATCH', shrinks: true, min: 8 },
  { header: 'BACKEND', shrinks: true, min: 10 },
  { header: 'SVC', dropRank: 7 },
  { header: 'LISTENER', dropRank: 9 },
  { header: 'HAPROXY', dropRank: 8 },
  { header: 'SESS', align: 'right', dropRank: 1 },
  { header: 'REQ', align: 'right', dropRank: 5 },
  { header: '2XX', align: 'right', dropRank: 2 },
  { header: '4XX', align: 'right', dropRank: 3 },
  { header: '5XX', align: 'right', dropRank: 6 },
  { header: 'LAST', align: 'right', dropRank: 4 },
];

const LISTENER_COLUMN = 3;
const hasListeners = (routes: RouteStatus[]) => routes.some((route) => route.listener);

/** The route table's columns: LISTENER only when a route points at a Tekton EventListener. */
export function routeColumns(routes: RouteStatus[]): ColumnSpec[] {
  return hasListeners(routes) ? ROUTE_COLUMNS : ROUTE_COLUMNS.filter((_, index) => index !== LISTENER_COLUMN);
}

/** The EventListener's Ready condition, as kubectl get eventlisteners shows its READY column. */
export function listenerWord(route: RouteStatus): string {
  const ready = route.listener?.ready;
  if (ready === undefined) return '-';
  return ready === 'True' ? 'Ready' : ready === 'False' ? 'not Ready' : '?';
}

function listenerCell(route: RouteStatus): Cell {
  const text = listenerWord(route);
  if (route.listener?.ready === 'True') return { text, color: 'green' };
  if (route.listener?.ready === 'False') return { text, color: 'red', bold: true };
  return { text, dim: true };
}

/** EventListeners that are not Ready, and why, in one line above the routes. */
export function listenerNotice(routes: RouteStatus[]): string | undefined {
  const notReady = routes.flatMap((route) =>
    route.listener && route.listener.ready !== 'True' ? [route.listener] : [],
  );
  const first = notReady[0];
  if (!first) return undefined;
  const more = notReady.length > 1 ? ` (and ${notReady.length - 1} more)` : '';
  return `! eventlistener ${first.namespace}/${first.name} is not Ready${more}: ${first.message ?? 'the Tekton controller has not reported it Ready yet'}`;
}

function serviceCell(route: RouteStatus): Cell {
  if (route.service === undefined) return { text: '-', dim: true };
  if (route.serviceExists === false) return { text: 'missing', color: 'red' };
  if (route.readyEndpoints !== undefined) {
    return { text: `${route.readyEndpoints} ready`, color: route.readyEndpoints > 0 ? 'green' : 'red' };
  }
  return route.serviceExists ? { text: 'exists' } : { text: '?', dim: true };
}

const BACKEND_STATUS_COLORS: Record<string, Cell['color']> = { UP: 'green', DOWN: 'red', MAINT: 'yellow' };

function counterCell(count: number | undefined, color?: Cell['color']): Cell {
  if (count === undefined) return { text: '-', dim: true };
  return { text: compactCount(count), color: count > 0 ? color : undefined };
}

export function routeCells(route: RouteStatus, withListener: boolean): Cell[] {
  const stats = route.stats;
  return [
    { text: oneLine(route.match) },
    { text: oneLine(route.backend) },
    serviceCell(route),
    ...(withListener ? [listenerCell(route)] : []),
    stats
      ? { text: oneLine(stats.status), color: BACKEND_STATUS_COLORS[stats.status.split(' ')[0] ?? ''] }
      : { text: '?', dim: true },
    counterCell(stats?.sessions),
    counterCell(stats?.requests),
    counterCell(stats?.http2xx),
    counterCell(stats?.http4xx, 'yellow'),
    counterCell(stats?.http5xx, 'red'),
    stats?.lastRequestSeconds === undefined
      ? { text: '-', dim: true }
      : { text: shortAge(stats.lastRequestSeconds) },
  ];
}
