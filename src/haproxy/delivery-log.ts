/**
 * The gateway's delivery records: the JSON lines the bundled config's `log-format` writes on the pods'
 * stdout (one per request, see the "delivery log" block in manifests/20-configmap.yaml), parsed into
 * typed records. Pure: no I/O.
 *
 * A line may start with the kubelet's RFC 3339 timestamp (logs read with timestamps=true). Anything
 * that is not a record (HAProxy's own start-up notices and alerts, a hand-written log format) is
 * skipped, never an error: the pods' logs hold more than records.
 */

export type Provider = 'gitea' | 'github' | 'gitlab' | 'bitbucket';

/** What HAProxy appends to a value it cut (the block's regsub). */
export const CUT_MARKER = '[cut]';

export interface DeliveryTimings {
  /** Milliseconds to receive the request headers (%TR). */
  request: number | undefined;
  /** Milliseconds waiting in a queue for a connection slot (%Tw). */
  queue: number | undefined;
  /** Milliseconds to connect to the backend (%Tc). */
  connect: number | undefined;
  /** Milliseconds the backend took to send its response headers (%Tr). */
  response: number | undefined;
  /** Milliseconds from the request's first byte to the end of the response (%Ta). */
  active: number | undefined;
  /** Milliseconds from accepting the connection to the end of the response (%Tt). */
  total: number | undefined;
}

export interface Delivery {
  /** When the request's first byte reached HAProxy, ISO 8601 with milliseconds. */
  time: string;
  /** The same, as milliseconds since the epoch, for sorting and --since. */
  timeMs: number;
  /** The route's path for path routes, the backend name for others; undefined when no route matched. */
  route: string | undefined;
  /** HAProxy's backend name as recorded (route:…, header:…, no_route), empty when none was chosen. */
  backend: string;
  method: string;
  /** Without the query string. */
  path: string;
  /** The status sent to the client; -1 when none was (the client went away). */
  status: number;
  bytesIn: number;
  bytesOut: number;
  timings: DeliveryTimings;
  /** HAProxy's termination state (%tsc): "----" for a request that completed normally. */
  termination: string;
  /**
   * Who sent it: the last X-Forwarded-For entry when the connection came from a trusted proxy (the
   * Ingress controller), else the connection's source (the client block of haproxy.cfg works it out).
   */
  client: string | undefined;
  /** The address the request came from (the Ingress controller's pod). */
  peer: string;
  provider: Provider | undefined;
  event: string | undefined;
  /** The provider's delivery ID (X-Gitea-Delivery, X-GitHub-Delivery, X-Gitlab-Event-UUID, X-Request-UUID). */
  deliveryId: string | undefined;
  /** The provider's hook ID (X-GitHub-Hook-ID, X-Gitlab-Webhook-UUID, X-Hook-UUID; Gitea sends none). */
  hookId: string | undefined;
  /** A generic sender's X-Request-Id. */
  requestId: string | undefined;
  /** The recorded fields HAProxy cut (their values end in CUT_MARKER), e.g. "path", "github.delivery". */
  cut: string[];
}

/**
 * Where each provider's fields are in a record, and which is its delivery and hook ID. The first with a
 * value wins: Gitea first, since it sends X-GitHub-Event and X-GitHub-Delivery too (GitHub never sends
 * X-Gitea-*).
 */
const PROVIDERS: ReadonlyArray<{ provider: Provider; delivery: string; hook?: string }> = [
  { provider: 'gitea', delivery: 'delivery' },
  { provider: 'github', delivery: 'delivery', hook: 'hook_id' },
  { provider: 'gitlab', delivery: 'event_uuid', hook: 'webhook_uuid' },
  { provider: 'bitbucket', delivery: 'request_uuid', hook: 'hook_uuid' },
];

const KUBELET_TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d) /;

type Json = Record<string, unknown>;

const text = (value: unknown): string => (typeof value === 'string' ? value : '');
const optional = (value: unknown): string | undefined => text(value) || undefined;
const count = (value: unknown): number => (typeof value === 'number' && Number.isFinite(value) ? value : -1);
/** HAProxy writes -1 for a timing that does not apply (no connect for a 404 the gateway answers itself). */
const timing = (value: unknown): number | undefined => {
  const ms = count(value);
  return ms < 0 ? undefined : ms;
};

/**
 * Milliseconds between the record's date (%Ts, the accept date) and the request's first byte: %Th + %Ti,
 * which is %Tt - %Ta. On a kept-alive connection the accept date is the end of the request before,
 * which behind an ingress controller (it keeps its connections to the gateway) can be seconds earlier.
 */
function idleBefore(record: Json): number {
  const total = timing(record.t_total);
  const active = timing(record.t_active);
  return total !== undefined && active !== undefined && total > active ? total - active : 0;
}

/** The route a backend name stands for: the inverse of names.ts's routeBackendName for path routes. */
export function routeOfBackend(backend: string): string | undefined {
  if (backend === '' || backend === 'no_route') return undefined;
  if (!backend.startsWith('route:')) return backend;
  const encoded = backend.slice('route:'.length).replaceAll(':', '/');
  return `/${encoded.replaceAll('_7e', '~').replaceAll('_5f', '_')}`;
}

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A parsed line is a record when it has the fields every record has. */
function looksLikeRecord(value: unknown): value is Json {
  return (
    isRecord(value) &&
    typeof value.time === 'number' &&
    typeof value.status === 'number' &&
    typeof value.backend === 'string'
  );
}

function cutFields(record: Json): string[] {
  const cut: string[] = [];
  for (const [key, value] of Object.entries(record)) {
    if (typeof value === 'string' && value.endsWith(CUT_MARKER)) cut.push(key);
    if (isRecord(value))
      for (const [inner, innerValue] of Object.entries(value))
        if (typeof innerValue === 'string' && innerValue.endsWith(CUT_MARKER)) cut.push(`${key}.${inner}`);
  }
  return cut;
}

/** The delivery a record describes, or undefined for a line that is not one. */
export function parseDeliveryLine(line: string): Delivery | undefined {
  const json = line.replace(KUBELET_TIMESTAMP, '').trim();
  if (!json.startsWith('{')) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (!looksLikeRecord(value)) return undefined;
  const timeMs = Math.round((value.time as number) * 1000) + idleBefore(value);
  const found = PROVIDERS.find(({ provider }) => {
    const fields = value[provider];
    return isRecord(fields) && Object.values(fields).some((field) => text(field) !== '');
  });
  const fields = found && (value[found.provider] as Json);
  return {
    time: new Date(timeMs).toISOString(),
    timeMs,
    route: routeOfBackend(text(value.backend)),
    backend: text(value.backend),
    method: text(value.method),
    path: text(value.path),
    status: count(value.status),
    bytesIn: count(value.bytes_in),
    bytesOut: count(value.bytes_out),
    timings: {
      request: timing(value.t_request),
      queue: timing(value.t_queue),
      connect: timing(value.t_connect),
      response: timing(value.t_response),
      active: timing(value.t_active),
      total: timing(value.t_total),
    },
    termination: text(value.termination),
    client: optional(value.client),
    peer: text(value.peer),
    provider: found?.provider,
    event: optional(fields?.event),
    deliveryId: found && optional(fields?.[found.delivery]),
    hookId: found?.hook === undefined ? undefined : optional(fields?.[found.hook]),
    requestId: optional(value.request_id),
    cut: cutFields(value),
  };
}

/** Every record in a log, in the order written; other lines are skipped. */
export function parseDeliveryLog(log: string): Delivery[] {
  const deliveries: Delivery[] = [];
  for (const line of log.split('\n')) {
    const delivery = parseDeliveryLine(line);
    if (delivery) deliveries.push(delivery);
  }
  return deliveries;
}
