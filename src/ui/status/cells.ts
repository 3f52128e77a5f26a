/** How one value reads in a terminal cell: kubectl-style ages, short counts, one line, an exact width. */

/** 45s, 3m, 2h, 4d, 2y: the way `kubectl get` shows ages. */
export function shortAge(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h`;
  if (s < 2 * 365 * 86_400) return `${Math.floor(s / 86_400)}d`;
  return `${Math.floor(s / (365 * 86_400))}y`;
}

/** The age of an ISO timestamp at `now` (ms); '?' when the timestamp does not parse. */
export function ageAt(iso: string, now: number): string {
  const then = Date.parse(iso);
  return Number.isNaN(then) ? '?' : shortAge((now - then) / 1000);
}

/** 950, 9999, 12k, 3M: counters stay within five columns. */
export function compactCount(count: number): string {
  if (count < 10_000) return String(count);
  if (count < 1_000_000) return `${Math.floor(count / 1000)}k`;
  return `${Math.floor(count / 1_000_000)}M`;
}

/** Text from the cluster may hold newlines or tabs; a row must stay one row. */
export function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\s\u0000-\u001f\u007f]+/g, ' ').trim();
}

/** Cut to `width` columns with '…', then pad to exactly `width`. */
export function fit(text: string, width: number, align: 'left' | 'right' = 'left'): string {
  if (width <= 0) return '';
  const chars = [...text];
  const cut = chars.length > width ? `${chars.slice(0, width - 1).join('')}…` : text;
  const pad = ' '.repeat(Math.max(0, width - [...cut].length));
  return align === 'right' ? pad + cut : cut + pad;
}
