/**
 * HAProxy's own numbers, read from its stats page as CSV (`/stats;csv`) and its Prometheus build
 * info, and added up across the gateway pods. Pure.
 */

/** HAProxy's own view of a route's backend, summed over the gateway pods whose stats could be read. */
export interface BackendStats {
  /** 'UP', 'DOWN', 'MAINT', 'no check'…: the BACKEND row's status (UP if any pod says UP). */
  status: string;
  /** Current sessions. */
  sessions: number;
  /** HTTP requests (or sessions, for a backend that has seen no HTTP) since the pod started. */
  requests: number;
  http2xx: number;
  http4xx: number;
  http5xx: number;
  /** Seconds since the last request reached the backend; undefined if none has. */
  lastRequestSeconds: number | undefined;
}

/** One BACKEND row of the CSV, by backend name. */
export function parseStatsCsv(csv: string): Map<string, BackendStats> {
  const lines = csv.split('\n').filter((line) => line.trim() !== '');
  const header = lines[0]?.replace(/^#\s*/, '').split(',') ?? [];
  const column = (name: string) => header.indexOf(name);
  const [pxname, svname, status, scur, stot, reqTot, h2, h4, h5, lastsess] = [
    'pxname',
    'svname',
    'status',
    'scur',
    'stot',
    'req_tot',
    'hrsp_2xx',
    'hrsp_4xx',
    'hrsp_5xx',
    'lastsess',
  ].map(column);
  const result = new Map<string, BackendStats>();
  if (pxname === undefined || pxname < 0 || svname === undefined || svname < 0) return result;
  const number = (fields: string[], index: number | undefined) => {
    const value = index === undefined || index < 0 ? '' : (fields[index] ?? '');
    return value === '' ? undefined : Number(value);
  };
  for (const line of lines.slice(1)) {
    const fields = line.split(',');
    if (fields[svname] !== 'BACKEND') continue;
    const name = fields[pxname] ?? '';
    const last = number(fields, lastsess);
    result.set(name, {
      status: (status === undefined || status < 0 ? '' : fields[status]) || 'unknown',
      sessions: number(fields, scur) ?? 0,
      requests: number(fields, reqTot) ?? number(fields, stot) ?? 0,
      http2xx: number(fields, h2) ?? 0,
      http4xx: number(fields, h4) ?? 0,
      http5xx: number(fields, h5) ?? 0,
      // HAProxy reports -1 when the backend has never had a session.
      lastRequestSeconds: last === undefined || last < 0 ? undefined : last,
    });
  }
  return result;
}

const STATUS_RANK = ['UP', 'NOLB', 'MAINT', 'DRAIN', 'no check', 'DOWN'];

/** The same backend as seen by several pods: counters add up, the freshest last request wins, UP if any pod says UP. */
export function combineBackendStats(readings: BackendStats[]): BackendStats | undefined {
  if (readings.length === 0) return undefined;
  const rank = (status: string) => {
    const found = STATUS_RANK.findIndex((candidate) => status.startsWith(candidate));
    return found < 0 ? STATUS_RANK.length : found;
  };
  const best = readings.reduce((a, b) => (rank(b.status) < rank(a.status) ? b : a));
  const lasts = readings.flatMap((reading) =>
    reading.lastRequestSeconds === undefined ? [] : [reading.lastRequestSeconds],
  );
  const sum = (pick: (reading: BackendStats) => number) =>
    readings.reduce((total, reading) => total + pick(reading), 0);
  return {
    status: best.status,
    sessions: sum((reading) => reading.sessions),
    requests: sum((reading) => reading.requests),
    http2xx: sum((reading) => reading.http2xx),
    http4xx: sum((reading) => reading.http4xx),
    http5xx: sum((reading) => reading.http5xx),
    lastRequestSeconds: lasts.length > 0 ? Math.min(...lasts) : undefined,
  };
}

/** The version in `haproxy_process_build_info{version="2.6.12-1+deb12u1"} 1`, if the metrics have it. */
export function parseBuildVersion(metrics: string): string | undefined {
  return metrics.match(/^haproxy_process_build_info\{[^}]*version="([^"]+)"/m)?.[1];
}
