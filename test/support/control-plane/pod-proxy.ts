/**
 * pods/<name>/proxy[/<path>], as the API server's pod proxy serves it: the request (method, the path
 * after `proxy` exactly as sent, the query, the body, the headers but the credentials) goes over plain
 * HTTP (or HTTPS, unverified) to <podIP>:<port>, and the pod's status, headers and body come back.
 * `<name>` is `<pod>`, `<pod>:<port>` or `<scheme>:<pod>:<port>` (scheme http or https); the port is
 * a number or a container port's name, by default the pod's first declared container port.
 * A pod that cannot be reached is a 503 worded like the real proxy's ("error trying to reach service:
 * dial tcp ..."). Pod IPs lead somewhere only when the pod runtime handed them out (the data plane,
 * or a test's runtime with podIP()); otherwise the dial is refused without touching the network.
 */
import { request as httpRequest, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { containerPorts, resolveTargetPort } from './pod-ports.ts';
import type { ApiRequest, Reply, ResourceRequest } from './request.ts';
import { type ApiError, badRequest, serviceUnavailable } from './status.ts';
import type { Workspace } from './workspace.ts';

// Headers that belong to one connection (RFC 9110 7.6.1) and the client's credentials, which the
// API server consumed (its authentication filter deletes Authorization).
const NOT_FORWARDED = new Set([
  'authorization',
  'connection',
  'content-length',
  'host',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

interface Target {
  scheme: 'http' | 'https';
  host: string;
  port: number;
}

export function handleProxy(ws: Workspace, req: ApiRequest, r: ResourceRequest): Reply {
  const id = splitSchemeNamePort(r.name ?? '');
  const pod = ws.objects.get(r.type, r.namespace, id.name);
  const status = (pod.status ?? {}) as { phase?: string; podIP?: string };
  if (status.phase !== 'Running' || !status.podIP) {
    throw serviceUnavailable(`no endpoints available for pod "${id.name}": pod is not running`);
  }
  const port =
    id.port === ''
      ? (containerPorts(pod)[0]?.containerPort ?? (id.scheme === 'https' ? 443 : 80))
      : resolveTargetPort(pod, id.port, 0);
  if (port === undefined) {
    throw serviceUnavailable(`error trying to reach service: dial tcp: address tcp/${id.port}: unknown port`);
  }
  const target: Target = { scheme: id.scheme, host: status.podIP, port };
  if (!(port > 0 && port < 65536)) throw unreachable(target, `address ${port}: invalid port`);
  if (!ws.podsReachable) throw unreachable(target, 'connect: connection refused');
  return { stream: (res) => forward(req, r.subpath || '/', target, res) };
}

/** Go's utilnet.SplitSchemeNamePort; anything else is the real server's 400. */
function splitSchemeNamePort(id: string): { scheme: 'http' | 'https'; name: string; port: string } {
  const parts = id.split(':');
  const [scheme, name, port] =
    parts.length === 1
      ? ['', parts[0], '']
      : parts.length === 2
        ? ['', parts[0], parts[1]]
        : parts.length === 3
          ? parts
          : [];
  if (!name || (scheme !== '' && scheme !== 'http' && scheme !== 'https')) {
    throw badRequest(`invalid pod request "${id}"`);
  }
  return { scheme: scheme === 'https' ? 'https' : 'http', name, port: port ?? '' };
}

const unreachable = (target: Target, reason: string): ApiError =>
  serviceUnavailable(`error trying to reach service: dial tcp ${target.host}:${target.port}: ${reason}`);

function forward(req: ApiRequest, path: string, target: Target, res: ServerResponse): void {
  const headers: OutgoingHttpHeaders = {};
  for (const [key, value] of Object.entries(req.headers)) {
    if (value !== undefined && !NOT_FORWARDED.has(key)) headers[key] = value;
  }
  headers['x-forwarded-uri'] = req.path;
  if (req.body.length > 0) headers['content-length'] = req.body.length;
  const options = {
    host: target.host,
    port: target.port,
    method: req.method,
    path: `${path}${req.search}`,
    headers,
    agent: false as const,
  };
  const upstream =
    target.scheme === 'https'
      ? httpsRequest({ ...options, rejectUnauthorized: false })
      : httpRequest(options);
  upstream.on('response', (answer) => {
    const back: OutgoingHttpHeaders = {};
    for (const [key, value] of Object.entries(answer.headers)) {
      if (value !== undefined && (key === 'content-length' || !NOT_FORWARDED.has(key))) back[key] = value;
    }
    res.writeHead(answer.statusCode ?? 502, back);
    answer.pipe(res);
    answer.on('aborted', () => res.destroy());
  });
  upstream.on('error', (error: NodeJS.ErrnoException) => {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const failure =
      error.code === 'ECONNREFUSED'
        ? unreachable(target, 'connect: connection refused')
        : error.code === 'EHOSTUNREACH'
          ? unreachable(target, 'connect: no route to host')
          : error.code === 'ETIMEDOUT'
            ? unreachable(target, 'i/o timeout')
            : serviceUnavailable(
                `error trying to reach service: ${error.code === 'ECONNRESET' ? 'EOF' : error.message}`,
              );
    const text = JSON.stringify(failure.toStatus());
    res.writeHead(failure.code, {
      'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(text),
    });
    res.end(text);
  });
  // The client went away first: so does the request to the pod.
  res.on('close', () => {
    if (!res.writableFinished) upstream.destroy();
  });
  upstream.end(req.body);
}
