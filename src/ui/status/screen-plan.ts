/** How many lines each part of the status screen gets, so that the whole view fits the terminal's height. */

export interface ScreenContent {
  /** Lines left for the sections once the header, message, error and footer are drawn. */
  room: number;
  pods: number;
  /** A pod runs an old config: one more line in the pods section. */
  rolloutLine: boolean;
  routes: number;
  /** An EventListener behind a route is not Ready: one more line in the routes section. */
  listenerLine?: boolean;
  /** The selected route's recent deliveries (a table), or the lines saying why there are none; undefined: no section. */
  deliveries?: { rows: number; table: boolean } | undefined;
  events: number;
  notices: number;
}

export interface ScreenPlan {
  podRows: number;
  routeRows: number;
  /** Rows of the deliveries section below its title (and its table's header); 0: no section. */
  deliveryRows: number;
  eventRows: number;
  noticeRows: number;
  /** A blank line before each section and before the footer. */
  gaps: boolean;
}

type Section = 'pods' | 'routes' | 'deliveries' | 'events' | 'notices';

/** A table's lines: its header, its rows, an "N more" line when cut; one line saying it is empty. */
function tableLines(shown: number, total: number): number {
  if (shown === 0) return 0;
  if (total === 0) return 1;
  return 1 + shown + (shown < total ? 1 : 0);
}

/** The deliveries section's lines: a title, then a table (its header and rows) or the lines saying why it is empty. */
function deliveryLines(shown: number, table: boolean): number {
  if (shown === 0) return 0;
  return 1 + (table ? 1 : 0) + shown;
}

/**
 * Every section gets a few lines first (notices, a pod and any stuck rollout, routes, the selected
 * route's last delivery, more pods, events), then up to ten routes and the route's recent deliveries;
 * blank lines come next, then routes take what they need, then pods, events and notices.
 */
export function planScreen(content: ScreenContent): ScreenPlan {
  const rows: Record<Section, number> = { pods: 0, routes: 0, deliveries: 0, events: 0, notices: 0 };
  const most: Record<Section, number> = {
    pods: Math.max(content.pods, 1),
    routes: Math.max(content.routes, 1),
    deliveries: content.deliveries?.rows ?? 0,
    events: content.events,
    notices: content.notices,
  };
  let gaps = false;
  const lines = () => {
    const pods = tableLines(rows.pods, content.pods) + (rows.pods > 0 && content.rolloutLine ? 1 : 0);
    const routes =
      tableLines(rows.routes, content.routes) + (rows.routes > 0 && content.listenerLine ? 1 : 0);
    const deliveries = deliveryLines(rows.deliveries, content.deliveries?.table ?? false);
    const events = rows.events > 0 ? 1 + rows.events : 0;
    const sections = [pods, routes, deliveries, events].filter((count) => count > 0).length;
    return pods + routes + deliveries + events + rows.notices + (gaps ? sections + 1 : 0);
  };
  const grow = (section: Section, upTo: number) => {
    while (rows[section] < Math.min(upTo, most[section])) {
      rows[section] += 1;
      if (lines() > content.room) {
        rows[section] -= 1;
        return;
      }
    }
  };

  grow('notices', 3);
  grow('pods', 1);
  grow('routes', 3);
  grow('deliveries', 1);
  grow('pods', 3);
  grow('events', 2);
  grow('routes', 10);
  // The selected route's newest few (at most RECENT_PER_ROUTE) before a long list of other routes.
  grow('deliveries', Infinity);
  gaps = true;
  if (lines() > content.room) gaps = false;
  for (const section of ['routes', 'deliveries', 'pods', 'events', 'notices'] as const)
    grow(section, Infinity);

  return {
    podRows: rows.pods,
    routeRows: rows.routes,
    deliveryRows: rows.deliveries,
    eventRows: rows.events,
    noticeRows: rows.notices,
    gaps,
  };
}

export interface RouteWindow {
  first: number;
  above: number;
  below: number;
}

/** The rows to draw: the selection kept in the middle of the window, so the window follows it both ways. */
export function routeWindow(selected: number, total: number, rows: number): RouteWindow {
  const shown = Math.min(rows, total);
  const first = Math.max(0, Math.min(selected - Math.floor((shown - 1) / 2), total - shown));
  return { first, above: first, below: total - first - shown };
}
