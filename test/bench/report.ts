/** Medians, the printed tables and the JSON results file of the routing benchmark. */

export interface RunFigures {
  round: number;
  /** 1, or more when a disturbed run was measured again. */
  attempt: number;
  requestsPerSecond: number;
  requests: number;
  p50Us: number;
  p99Us: number;
  /** CPU the gateway (and the upstream) used during the run, as a fraction of one core. */
  gatewayCpu: number | null;
  upstreamCpu: number | null;
  /** The gateway's CPU time (user + system) per request, in µs: the cost of one request, routing included. */
  gatewayCpuUsPerRequest: number | null;
  /** Whether this attempt counts (the least disturbed attempt of its round). */
  kept: boolean;
}

export interface ScenarioResult {
  id: string;
  label: string;
  style: 'map' | 'acl';
  routes: number;
  /** The route the requests hit (its position in the order added, 1-based) and the URL path. */
  targetIndex: number;
  urlPath: string;
  backend: string;
  median: {
    requestsPerSecond: number;
    p50Us: number;
    p99Us: number;
    gatewayCpu: number | null;
    upstreamCpu: number | null;
    gatewayCpuUsPerRequest: number | null;
  };
  /** Median requests/s relative to the baseline's (map style, 1 route). */
  ratio: number;
  /** Kept runs in which the gateway had less than the wanted share of its core. */
  disturbedRuns: number;
  /** Every attempt, kept or not, in the order measured. */
  runs: RunFigures[];
}

/** Nearest-rank percentile. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return (
    sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN
  );
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] ?? Number.NaN)
    : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

export function medianOrNull(values: ReadonlyArray<number | null>): number | null {
  const known = values.filter((value): value is number => value !== null);
  return known.length === values.length && known.length > 0 ? median(known) : null;
}

function latency(us: number): string {
  return us >= 1000 ? `${(us / 1000).toFixed(2)} ms` : `${Math.round(us)} µs`;
}

export function formatShare(fraction: number | null): string {
  return fraction === null ? 'n/a' : `${Math.round(fraction * 100)}%`;
}

const HEADERS = [
  'scenario',
  'routes',
  'requested route',
  'req/s (median)',
  'p50',
  'p99',
  'ratio to map, 1 route',
  'gateway CPU',
  'gateway CPU/request',
];

function rows(results: readonly ScenarioResult[]): string[][] {
  return results.map((result) => [
    result.label,
    String(result.routes),
    `${result.urlPath} (#${result.targetIndex})`,
    Math.round(result.median.requestsPerSecond).toLocaleString('en-US'),
    latency(result.median.p50Us),
    latency(result.median.p99Us),
    `${result.ratio.toFixed(2)}×`,
    `${formatShare(result.median.gatewayCpu)}${result.disturbedRuns > 0 ? ` (${result.disturbedRuns} low)` : ''}`,
    result.median.gatewayCpuUsPerRequest === null
      ? 'n/a'
      : `${result.median.gatewayCpuUsPerRequest.toFixed(1)} µs`,
  ]);
}

/** The results as an aligned plain-text table. */
export function textTable(results: readonly ScenarioResult[]): string {
  const table = [HEADERS, ...rows(results)];
  const widths = HEADERS.map((_, column) => Math.max(...table.map((row) => (row[column] ?? '').length)));
  const numeric = (column: number): boolean => column >= 3;
  const format = (row: string[]): string =>
    row
      .map((cell, column) =>
        numeric(column) ? cell.padStart(widths[column] ?? 0) : cell.padEnd(widths[column] ?? 0),
      )
      .join('  ')
      .trimEnd();
  return [
    format(HEADERS),
    widths.map((width) => '-'.repeat(width)).join('  '),
    ...rows(results).map(format),
  ].join('\n');
}

/** The results as a Markdown table, for the README. */
export function markdownTable(results: readonly ScenarioResult[]): string {
  const line = (cells: string[]): string => `| ${cells.join(' | ')} |`;
  const align = HEADERS.map((_, column) => (column >= 3 ? '---:' : '---'));
  return [line(HEADERS), line(align), ...rows(results).map(line)].join('\n');
}
