/**
 * The kubelet's HTTPS endpoints that the API server calls: `containerLogs` for pods/log,
 * `portForward` for pods/portforward and `exec` for pods/exec (SPDY, which the API server speaks to
 * kubelets, also when kubectl reached it over WebSocket; the command runs through `exec`, the runner
 * main.ts plugs in). Only clients with a certificate from the API server's kubelet-client CA
 * get in, as a kubelet started with --client-ca-file and webhook authorization would let in only the
 * API server.
 */
import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { Duplex } from 'node:stream';
import { type ExecRunner, execReply, kubeletExecRequest } from '../../support/control-plane/exec/index.ts';
import { podLogReply, type LogSources } from '../../support/control-plane/pod-logs.ts';
import { portForwardReply } from '../../support/control-plane/port-forward/index.ts';
import type { Reply } from '../../support/control-plane/request.ts';
import { sendReply, upgradeReply } from '../../support/control-plane/server.ts';
import { ApiError } from '../../support/control-plane/status.ts';
import type { Store } from '../../support/control-plane/store.ts';

export interface KubeletServerOptions {
  host: string;
  port: number;
  serving: { cert: string; key: string };
  clientCA: string;
  /** The node's pods, mirrored from the API server. */
  pods: Store;
  logSources: LogSources;
  /** Runs a pods/exec command in a container of one of the node's pods. */
  exec: ExecRunner;
}

export class KubeletServer {
  private readonly server: Server;
  private readonly upgraded = new Set<Duplex>();

  constructor(private readonly options: KubeletServerOptions) {
    this.server = createServer(
      {
        cert: readFileSync(options.serving.cert),
        key: readFileSync(options.serving.key),
        ca: readFileSync(options.clientCA),
        requestCert: true,
        rejectUnauthorized: true,
      },
      (req, res) => sendReply(this.reply(req), res, () => undefined),
    );
    this.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      this.upgraded.add(socket);
      socket.once('close', () => this.upgraded.delete(socket));
      upgradeReply(this.reply(req), req, socket, head);
    });
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.options.host, () => resolve());
    });
  }

  async close(): Promise<void> {
    for (const socket of this.upgraded) socket.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private reply(req: IncomingMessage): Reply {
    try {
      return this.route(req);
    } catch (error) {
      const failure = error instanceof ApiError ? error : new ApiError(500, 'InternalError', String(error));
      return { status: failure.code, body: failure.message, contentType: 'text/plain' };
    }
  }

  private route(req: IncomingMessage): Reply {
    const url = new URL(req.url ?? '/', 'https://kubelet');
    const segments = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const [endpoint, namespace, name, rest] = segments;
    if (endpoint === 'healthz' && segments.length === 1)
      return { status: 200, body: 'ok', contentType: 'text/plain' };
    if (endpoint === 'containerLogs' && segments.length === 4 && req.method === 'GET') {
      const pod = this.pod(namespace, name);
      const query = new URLSearchParams(url.searchParams);
      query.set('container', rest ?? '');
      return podLogReply(
        pod,
        query,
        (container, previous) => this.options.logSources(pod, container, previous),
        (gone) =>
          this.options.pods.subscribe((event) => {
            if (event.type === 'DELETED' && event.object.metadata.uid === pod.metadata.uid) gone();
          }),
      );
    }
    // portForward/<namespace>/<pod>[/<uid>]
    if (endpoint === 'portForward' && (segments.length === 3 || segments.length === 4)) {
      const pod = this.pod(namespace, name);
      if (rest !== undefined && rest !== pod.metadata.uid)
        throw new ApiError(404, 'NotFound', 'pod not found');
      // The API server passes the ports on as `port` (comma-separated); its own clients say `ports`.
      const query = new URLSearchParams();
      for (const port of url.searchParams.getAll('port')) query.append('ports', port);
      return portForwardReply(pod, { headers: req.headers, query });
    }
    // exec/<namespace>/<pod>/<container>?command=…&input=1&output=1&error=1
    if (endpoint === 'exec' && segments.length === 4) {
      const pod = this.pod(namespace, name);
      const exec = kubeletExecRequest(pod, rest ?? '', url.searchParams);
      return execReply(pod, exec, req.headers, this.options.exec);
    }
    throw new ApiError(404, 'NotFound', '404 page not found');
  }

  private pod(namespace = '', name = '') {
    const pod = this.options.pods.get('pods', namespace, name);
    if (!pod) throw new ApiError(404, 'NotFound', `pod "${namespace}/${name}" not found on this node`);
    return pod;
  }
}
