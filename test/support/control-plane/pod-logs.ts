/**
 * GET pods/<name>/log, as the API server and kubelet serve it: the container's log lines, filtered by
 * sinceSeconds/sinceTime and tailLines, cut at limitBytes, optionally prefixed with their RFC3339Nano
 * timestamps, and with follow=true streamed until the container ends or the client goes away.
 * Containers no local process runs (pods outside the data plane) have an empty log.
 */
import type { ServerResponse } from 'node:http';
import type { ApiRequest, Reply, ResourceRequest } from './request.ts';
import { ApiError, badRequest } from './status.ts';
import type { KubeObject } from './types.ts';
import type { Workspace } from './workspace.ts';

export interface LogLine {
  /** When the line was complete, in nanoseconds since the epoch. */
  time: bigint;
  stream: 'stdout' | 'stderr';
  /** Without its newline. */
  text: string;
  /** False for a last line the container ended without terminating. */
  newline: boolean;
}

export interface LogSource {
  /** Every line kept so far, oldest first. */
  lines(): readonly LogLine[];
  /** Calls `line` for each new line and `end` once the container is gone (at once if it is); returns an unsubscribe. */
  follow(line: (line: LogLine) => void, end: () => void): () => void;
}

/**
 * The log of one container of a pod (of its instance before the last restart with `previous`);
 * undefined when no process runs it.
 */
export type LogSources = (pod: KubeObject, container: string, previous?: boolean) => LogSource | undefined;

interface LogOptions {
  container: string;
  follow: boolean;
  previous: boolean;
  timestamps: boolean;
  /** Nanoseconds since the epoch; lines before are left out. */
  since?: bigint;
  tailLines?: number;
  limitBytes?: number;
}

interface Container {
  name: string;
}

const NEGOTIABLE = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'];

/** pods/log is negotiated like any resource before its text is streamed: text/plain alone is a 406. */
function checkAccept(accept: string | undefined): void {
  if (!accept) return;
  const ranges = accept.split(',').map((range) => range.split(';')[0]?.trim().toLowerCase() ?? '');
  const served = ranges.some(
    (range) => range === '*/*' || range === 'application/*' || NEGOTIABLE.includes(range),
  );
  if (!served) {
    throw new ApiError(
      406,
      'NotAcceptable',
      `only the following media types are accepted: ${NEGOTIABLE.join(', ')}`,
    );
  }
}

export function handleLog(ws: Workspace, req: ApiRequest, r: ResourceRequest): Reply {
  checkAccept(req.headers.accept);
  const pod = ws.objects.get(r.type, r.namespace, r.name ?? '');
  // Not scheduled yet: the real server answers with an empty log.
  if (!(pod.spec as { nodeName?: string } | undefined)?.nodeName) {
    logOptions(req.query, pod);
    return plain('');
  }
  return podLogReply(
    pod,
    req.query,
    (container, previous) => ws.logSources?.(pod, container, previous),
    (gone) =>
      ws.store.subscribe((event) => {
        if (
          event.type === 'DELETED' &&
          event.resource === 'pods' &&
          event.object.metadata.uid === pod.metadata.uid
        )
          gone();
      }),
  );
}

/**
 * A running pod's container log as the kubelet serves it (the API server passes pods/log on to it):
 * `query` holds the PodLogOptions; `onPodGone` ends a follow of a container no process runs.
 */
export function podLogReply(
  pod: KubeObject,
  query: URLSearchParams,
  sourceOf: (container: string, previous: boolean) => LogSource | undefined,
  onPodGone: (gone: () => void) => () => void,
): Reply {
  const options = logOptions(query, pod);
  const source = sourceOf(options.container, options.previous);
  if (options.previous && !source) {
    throw badRequest(
      `previous terminated container "${options.container}" in pod "${pod.metadata.name}" not found`,
    );
  }
  if (!options.follow) {
    const out = new LimitedOutput(options.limitBytes);
    for (const line of initialLines(source, options)) out.add(format(line, options.timestamps));
    return plain(out.text);
  }
  return { stream: (res) => follow(source, options, res, onPodGone) };
}

const plain = (body: string): Reply => ({ status: 200, body, contentType: 'text/plain' });

function follow(
  source: LogSource | undefined,
  options: LogOptions,
  res: ServerResponse,
  onPodGone: (gone: () => void) => () => void,
): void {
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Cache-Control': 'no-cache, private' });
  res.flushHeaders();
  const out = new LimitedOutput(options.limitBytes);
  let stop: () => void = () => undefined;
  const end = () => {
    stop();
    if (!res.writableEnded) res.end();
  };
  const write = (line: LogLine) => {
    if (options.since !== undefined && line.time < options.since) return;
    const text = out.add(format(line, options.timestamps));
    if (text) res.write(text);
    if (out.full) end();
  };
  for (const line of initialLines(source, options)) write(line);
  if (res.writableEnded) return;
  if (source) {
    stop = source.follow(write, end);
  } else {
    // Nothing runs the container: there is no more to come until the pod is gone.
    stop = onPodGone(end);
  }
  res.once('close', () => stop());
}

function initialLines(source: LogSource | undefined, options: LogOptions): LogLine[] {
  let lines = [...(source?.lines() ?? [])];
  // The kubelet seeks to the last tailLines lines first, then leaves out those before `since`.
  if (options.tailLines !== undefined) lines = options.tailLines === 0 ? [] : lines.slice(-options.tailLines);
  const since = options.since;
  return since === undefined ? lines : lines.filter((line) => line.time >= since);
}

/** RFC3339Nano with all nine digits (the kubelet's RFC3339NanoFixed), in UTC. */
export function formatTimestamp(nanos: bigint): string {
  const seconds = new Date(Number(nanos / 1_000_000_000n) * 1000).toISOString().slice(0, 19);
  return `${seconds}.${String(nanos % 1_000_000_000n).padStart(9, '0')}Z`;
}

const format = (line: LogLine, timestamps: boolean) =>
  `${timestamps ? `${formatTimestamp(line.time)} ` : ''}${line.text}${line.newline ? '\n' : ''}`;

/** Output that stops at limitBytes (counted in bytes, timestamps included). */
class LimitedOutput {
  text = '';
  private bytes = 0;

  constructor(private readonly limit: number | undefined) {}

  get full(): boolean {
    return this.limit !== undefined && this.bytes >= this.limit;
  }

  /** Adds `chunk` (or as much of it as fits) and returns what was added. */
  add(chunk: string): string {
    if (this.full) return '';
    let buffer = Buffer.from(chunk, 'utf8');
    if (this.limit !== undefined && this.bytes + buffer.length > this.limit) {
      buffer = buffer.subarray(0, this.limit - this.bytes);
    }
    this.bytes += buffer.length;
    const added = buffer.toString('utf8');
    this.text += added;
    return added;
  }
}

// Options

function logOptions(q: URLSearchParams, pod: KubeObject): LogOptions {
  const sinceSeconds = integer(q, 'sinceSeconds');
  const sinceTime = q.get('sinceTime') ?? undefined;
  const tailLines = integer(q, 'tailLines');
  const limitBytes = integer(q, 'limitBytes');
  const errors: string[] = [];
  if (tailLines !== undefined && tailLines < 0) {
    errors.push(`tailLines: Invalid value: ${tailLines}: must be greater than or equal to 0`);
  }
  if (limitBytes !== undefined && limitBytes < 1) {
    errors.push(`limitBytes: Invalid value: ${limitBytes}: must be greater than 0`);
  }
  if (sinceSeconds !== undefined && sinceSeconds < 1) {
    errors.push(`sinceSeconds: Invalid value: ${sinceSeconds}: must be greater than 0`);
  }
  if (sinceSeconds !== undefined && sinceTime !== undefined) {
    errors.push('sinceTime: Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified');
  }
  if (errors.length > 0) {
    const summary = errors.length === 1 ? errors[0] : `[${errors.join(', ')}]`;
    throw new ApiError(422, 'Invalid', `PodLogOptions "${pod.metadata.name}" is invalid: ${summary}`, {
      name: pod.metadata.name,
      kind: 'PodLogOptions',
    });
  }
  let since: bigint | undefined;
  if (sinceSeconds !== undefined) since = BigInt(Date.now() - sinceSeconds * 1000) * 1_000_000n;
  if (sinceTime !== undefined) {
    const ms = Date.parse(sinceTime);
    if (!/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(sinceTime) || Number.isNaN(ms)) {
      throw badRequest(
        `parsing time "${sinceTime}" as "2006-01-02T15:04:05Z07:00": cannot parse "${sinceTime}" as "2006"`,
      );
    }
    // metav1.Time has second precision.
    since = BigInt(Math.floor(ms / 1000)) * 1_000_000_000n;
  }
  return {
    container: containerOf(pod, q.get('container') ?? ''),
    follow: flag(q, 'follow'),
    previous: flag(q, 'previous'),
    timestamps: flag(q, 'timestamps'),
    ...(since !== undefined ? { since } : {}),
    ...(tailLines !== undefined ? { tailLines } : {}),
    ...(limitBytes !== undefined ? { limitBytes } : {}),
  };
}

/** The container named, or the only one; worded like the API server's validateContainer. */
function containerOf(pod: KubeObject, name: string): string {
  const spec = (pod.spec ?? {}) as { containers?: Container[]; initContainers?: Container[] };
  const containers = spec.containers ?? [];
  const all = [...(spec.initContainers ?? []), ...containers].map((c) => c.name);
  if (name) {
    if (!all.includes(name)) throw badRequest(`container ${name} is not valid for pod ${pod.metadata.name}`);
    return name;
  }
  if (containers.length === 1) return containers[0]?.name ?? '';
  if (containers.length === 0)
    throw badRequest(`a container name must be specified for pod ${pod.metadata.name}`);
  throw badRequest(
    `a container name must be specified for pod ${pod.metadata.name}, choose one of: [${all.join(' ')}]`,
  );
}

/** A query flag as Go's strconv.ParseBool reads it. */
function flag(q: URLSearchParams, name: string): boolean {
  const value = q.get(name);
  if (value === null || value === '') return false;
  if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(value)) return true;
  if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(value)) return false;
  throw badRequest(`strconv.ParseBool: parsing "${value}": invalid syntax`);
}

function integer(q: URLSearchParams, name: string): number | undefined {
  const value = q.get(name);
  if (value === null || value === '') return undefined;
  if (!/^[-+]?\d+$/.test(value)) throw badRequest(`strconv.ParseInt: parsing "${value}": invalid syntax`);
  return Number(value);
}
