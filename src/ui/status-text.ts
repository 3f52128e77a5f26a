/** `status` off a terminal: one aligned snapshot, and with --watch one line per change. */
import type { GatewayStatus, PodStatus, RouteStatus } from '../services/status-model.ts';
import { addressBehind, ageAt, shortAge } from './status/cells.ts';
import { listenerNotice, listenerWord } from './status/rows.ts';
import { formatTable } from './table-text.ts';

/** The public URL, the address behind its host name, and, when it is not an Ingress, what gives it; or why there is none. */
function urlLine(status: GatewayStatus): string {
  const exposure = status.exposure;
  if (status.publicUrl) {
    const at = addressBehind(status);
    const url = at ? `${status.publicUrl} at ${at}` : status.publicUrl;
    return exposure && exposure.kind !== 'ingress' ? `${url} (${exposure.object})` : url;
  }
  return `none (${exposure?.note ?? 'the Ingress has no host or address yet'})`;
}

const configWord = (current: boolean | undefined) =>
  current === undefined ? '?' : current ? 'current' : 'old';

export function serviceWord(route: RouteStatus): string {
  if (route.serviceExists === false) return 'missing';
  if (route.readyEndpoints !== undefined) return `${route.readyEndpoints} ready`;
  return route.serviceExists ? 'exists' : '?';
}

export function renderStatusSnapshot(status: GatewayStatus, now = Date.parse(status.observedAt)): string {
  const header: string[][] = [
    ['Context:', status.context],
    ...(status.workspace ? [['Workspace:', status.workspace]] : []),
    ['Namespace:', status.namespace],
    ['URL:', urlLine(status)],
    ['HAProxy:', status.haproxyVersion ?? 'unknown'],
  ];
  const sections = [formatTable(header)];
  sections.push(
    status.pods.length === 0
      ? 'No gateway pods.'
      : formatTable([
          ['POD', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'CONFIG'],
          ...status.pods.map((pod) => [
            pod.name,
            pod.readyContainers,
            pod.problem ?? pod.phase,
            String(pod.restarts),
            ageAt(pod.createdAt, now),
            configWord(pod.currentConfig),
          ]),
        ]),
  );
  const withListener = status.routes.some((route) => route.listener);
  const notReady = listenerNotice(status.routes);
  sections.push(
    status.routes.length === 0
      ? 'No routes yet. Add one: kubectl trigger-gateway route add /github el-github-listener.ci:8080'
      : (notReady ? `${notReady}\n` : '') +
          formatTable([
            [
              'MATCH',
              'BACKEND',
              'SERVICE',
              ...(withListener ? ['LISTENER'] : []),
              'HAPROXY',
              'SESS',
              'REQ',
              '2XX',
              '4XX',
              '5XX',
              'LAST',
            ],
            ...status.routes.map((route) => {
              const stats = route.stats;
              const count = (value: number | undefined) => (value === undefined ? '-' : String(value));
              return [
                route.match,
                route.backend,
                serviceWord(route),
                ...(withListener ? [listenerWord(route)] : []),
                stats?.status ?? '?',
                count(stats?.sessions),
                count(stats?.requests),
                count(stats?.http2xx),
                count(stats?.http4xx),
                count(stats?.http5xx),
                stats?.lastRequestSeconds === undefined ? '-' : shortAge(stats.lastRequestSeconds),
              ];
            }),
          ]),
  );
  if (status.events.length > 0) {
    sections.push(
      formatTable([
        ['LAST SEEN', 'OBJECT', 'REASON', 'MESSAGE'],
        ...status.events.map((event) => [
          ageAt(event.lastSeen, now),
          event.object,
          event.reason,
          event.message,
        ]),
      ]),
    );
  }
  if (status.notices.length > 0) sections.push(status.notices.map((notice) => `Note: ${notice}`).join('\n'));
  return sections.join('\n\n');
}

const podLine = (pod: PodStatus) =>
  `pod ${pod.name} ${pod.readyContainers} ${pod.problem ?? pod.phase}, ${configWord(pod.currentConfig)} config, ${pod.restarts} restarts`;

const routeLine = (route: RouteStatus) => {
  const stats = route.stats;
  const traffic = stats
    ? `${stats.status}, ${stats.requests} requests (${stats.http2xx} 2xx, ${stats.http4xx} 4xx, ${stats.http5xx} 5xx)`
    : 'no HAProxy stats';
  const listener = route.listener
    ? `, eventlistener ${route.listener.name} ${listenerWord(route)}${route.listener.ready === 'True' ? '' : ` (${route.listener.message ?? 'no condition yet'})`}`
    : '';
  return `route ${route.match} → ${route.backend}: service ${serviceWord(route)}${listener}, ${traffic}`;
};

/** What changed between two readings, one line each, prefixed with the time (for `status --watch`). */
export function statusChanges(before: GatewayStatus | undefined, after: GatewayStatus): string[] {
  const time = after.observedAt.slice(11, 19);
  const lines: string[] = [];
  const diff = <T>(
    old: T[],
    now: T[],
    key: (item: T) => string,
    line: (item: T) => string,
    gone: (item: T) => string,
  ) => {
    const oldLines = new Map(old.map((item) => [key(item), line(item)]));
    const nowKeys = new Set(now.map(key));
    for (const item of now) if (oldLines.get(key(item)) !== line(item)) lines.push(line(item));
    for (const item of old) if (!nowKeys.has(key(item))) lines.push(gone(item));
  };
  diff(
    before?.pods ?? [],
    after.pods,
    (pod) => pod.name,
    podLine,
    (pod) => `pod ${pod.name} gone`,
  );
  diff(
    before?.routes ?? [],
    after.routes,
    (route) => route.match,
    routeLine,
    (route) => `route ${route.match} removed`,
  );
  const seen = new Set(
    (before?.events ?? []).map((event) => `${event.object}/${event.reason}/${event.lastSeen}`),
  );
  for (const event of [...after.events].reverse()) {
    if (!seen.has(`${event.object}/${event.reason}/${event.lastSeen}`))
      lines.push(`warning ${event.object} ${event.reason}: ${event.message}`);
  }
  const oldNotices = new Set(before?.notices ?? []);
  for (const notice of after.notices) if (!oldNotices.has(notice)) lines.push(`note: ${notice}`);
  if (before && before.publicUrl !== after.publicUrl) lines.push(`url ${after.publicUrl ?? 'none'}`);
  return lines.map((line) => `${time} ${line}`);
}
