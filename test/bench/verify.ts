/**
 * Proof that the benchmark measures what it says: the routed URL answers 200 from the upstream through
 * the expected backend, an unrouted path gets the gateway's 404, and during a measurement every request
 * went to the expected backend and nowhere else (HAProxy's own per-backend counters, from the stats CSV).
 */
import { NOT_FOUND_BODY } from '../../src/haproxy/gateway-config.ts';
import { request } from '../support/haproxy.ts';

/** Per-backend counters: total sessions and 2xx responses. */
export type BackendCounters = Map<string, { stot: number; hrsp2xx: number }>;

/** The gateway's backend counters, read from the stats page's CSV export on the stats port. */
export async function backendCounters(statsPort: number): Promise<BackendCounters> {
  const response = await request(statsPort, '/stats;csv;norefresh');
  if (response.status !== 200) throw new Error(`the stats CSV answered ${response.status}`);
  const [header, ...rows] = response.body.split('\n');
  const columns = (header ?? '').replace(/^# /, '').split(',');
  const at = (name: string): number => {
    const index = columns.indexOf(name);
    if (index < 0) throw new Error(`the stats CSV has no ${name} column`);
    return index;
  };
  const [pxname, svname, stot, hrsp2xx] = [at('pxname'), at('svname'), at('stot'), at('hrsp_2xx')];
  const counters: BackendCounters = new Map();
  for (const row of rows) {
    const fields = row.split(',');
    if (fields[svname] !== 'BACKEND') continue;
    counters.set(fields[pxname] ?? '', {
      stot: Number(fields[stot] ?? 0),
      hrsp2xx: Number(fields[hrsp2xx] ?? 0),
    });
  }
  return counters;
}

/** Backends whose session count changed between two snapshots, with the change. */
export function changedBackends(before: BackendCounters, after: BackendCounters): Map<string, number> {
  const changed = new Map<string, number>();
  for (const [name, now] of after) {
    const delta = now.stot - (before.get(name)?.stot ?? 0);
    if (delta !== 0) changed.set(name, delta);
  }
  return changed;
}

function describe(changed: Map<string, number>): string {
  return changed.size === 0 ? 'none' : [...changed].map(([name, delta]) => `${name} +${delta}`).join(', ');
}

/**
 * One request to `path` must answer 200 with the upstream's body and be counted by `backend` alone; an
 * unrouted path must get the gateway's JSON 404. Throws with what happened instead.
 */
export async function verifyRouting(
  ports: { http: number; stats: number },
  path: string,
  backend: string,
  label: string,
): Promise<void> {
  const before = await backendCounters(ports.stats);
  if (!before.has(backend)) throw new Error(`${label}: the gateway has no backend ${backend}`);
  const routed = await request(ports.http, path);
  if (routed.status !== 200 || routed.body !== 'ok') {
    throw new Error(
      `${label}: GET ${path} answered ${routed.status} ${JSON.stringify(routed.body)}, not 200 "ok"`,
    );
  }
  const changed = changedBackends(before, await backendCounters(ports.stats));
  if (changed.size !== 1 || changed.get(backend) !== 1) {
    throw new Error(
      `${label}: GET ${path} should go to ${backend} only; backends used: ${describe(changed)}`,
    );
  }
  const unrouted = await request(ports.http, '/hooks/not-a-route/push');
  if (unrouted.status !== 404 || unrouted.body !== NOT_FOUND_BODY) {
    throw new Error(
      `${label}: an unrouted path answered ${unrouted.status} ${JSON.stringify(unrouted.body)}, not the 404`,
    );
  }
}

/**
 * After a measurement: the expected backend counted at least every response wrk received, and no other
 * backend (no other route, not the 404) saw a single request.
 */
export function verifyMeasurement(
  before: BackendCounters,
  after: BackendCounters,
  backend: string,
  wrkRequests: number,
  label: string,
): void {
  const changed = changedBackends(before, after);
  const others = new Map([...changed].filter(([name]) => name !== backend));
  const served = (after.get(backend)?.hrsp2xx ?? 0) - (before.get(backend)?.hrsp2xx ?? 0);
  if (others.size > 0) throw new Error(`${label}: requests reached other backends: ${describe(others)}`);
  if (served < wrkRequests) {
    throw new Error(`${label}: ${backend} answered ${served} 2xx but wrk counted ${wrkRequests} responses`);
  }
}
