/** How one value reads in a terminal cell: kubectl-style ages, short counts, one line, an exact width. */
import type { GatewayStatus } from '../../services/status-model.ts';

interface AgeUnit {
  /** Ages under this many seconds are counted in this unit. */
  below: number;
  seconds: number;
  suffix: string;
}

const YEARS: AgeUnit = { below: Infinity, seconds: 365 * 86_400, suffix: 'y' };
const AGE_UNITS: readonly AgeUnit[] = [
  { below: 60, seconds: 1, suffix: 's' },
  { below: 3600, seconds: 60, suffix: 'm' },
  { below: 86_400, seconds: 3600, suffix: 'h' },
  { below: 2 * 365 * 86_400, seconds: 86_400, suffix: 'd' },
  YEARS,
];

const unitOf = (seconds: number) => AGE_UNITS.find((unit) => seconds < unit.below) ?? YEARS;

/** 45s, 3m, 2h, 4d, 2y: the way `kubectl get` shows ages. */
export function shortAge(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const unit = unitOf(s);
  return `${Math.floor(s / unit.seconds)}${unit.suffix}`;
}

/** The age of an ISO timestamp at `now` (ms); '?' when the timestamp does not parse. */
export function ageAt(iso: string, now: number): string {
  const then = Date.parse(iso);
  return Number.isNaN(then) ? '?' : shortAge((now - then) / 1000);
}

/** How long (ms) after `now` `ageAt(iso, …)` first reads differently; Infinity when it never will. */
export function msUntilAgeChanges(iso: string, now: number): number {
  const then = Date.parse(iso);
  if (Number.isNaN(then)) return Infinity;
  const elapsed = now - then;
  const s = Math.max(0, Math.floor(elapsed / 1000));
  const unit = unitOf(s).seconds;
  return (Math.floor(s / unit) + 1) * unit * 1000 - elapsed;
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

/** The address the controller reports, when the URL names a host rather than that address. */
export function addressBehind(status: GatewayStatus): string | undefined {
  const address = status.exposure?.address;
  if (!address || !status.publicUrl) return undefined;
  return new URL(status.publicUrl).hostname.replace(/^\[|\]$/g, '') === address ? undefined : address;
}
