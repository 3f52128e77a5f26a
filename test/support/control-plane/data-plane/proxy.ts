/**
 * kube-proxy: every Service (except headless and ExternalName ones) listens on its own loopback
 * address at each of its TCP ports and forwards each connection to one of its ready endpoints (by
 * default a Ready, not terminating pod its selector matches, on the targetPort: a number, or a
 * container port's name), round robin. A Service
 * without such a pod accepts the connection and closes it at once.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import { resolveTargetPort } from '../pod-ports.ts';
import type { Store } from '../store.ts';
import type { KubeObject } from '../types.ts';
import type { Addresses } from './addresses.ts';

export interface ServicePort {
  name?: string;
  port: number;
  targetPort?: number | string;
  protocol?: string;
}

interface ServiceSpec {
  type?: string;
  clusterIP?: string;
  selector?: Record<string, string>;
  ports?: ServicePort[];
}

interface Listener {
  server: Server;
  host: string;
  /** The Service port, and the port actually bound (differs only when binding the first was refused). */
  port: number;
  bound: number;
  listening: Promise<void>;
}

const specOf = (svc: KubeObject) => (svc.spec ?? {}) as ServiceSpec;

/** Whether the Service gets a virtual address (not headless, not ExternalName). */
export function hasServiceAddress(svc: KubeObject): boolean {
  const spec = specOf(svc);
  return spec.type !== 'ExternalName' && spec.clusterIP !== 'None';
}

export function isReady(pod: KubeObject): boolean {
  const status = pod.status as
    { podIP?: string; conditions?: Array<{ type: string; status: string }> } | undefined;
  return (
    !pod.metadata.deletionTimestamp &&
    Boolean(status?.podIP) &&
    Boolean(status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))
  );
}

/** The pods a Service's selector picks that may receive traffic. */
export function readyEndpoints(store: Store, svc: KubeObject): KubeObject[] {
  const selector = specOf(svc).selector;
  if (!selector || Object.keys(selector).length === 0) return [];
  return store
    .list('pods', svc.metadata.namespace)
    .filter((pod) => Object.entries(selector).every(([k, v]) => pod.metadata.labels?.[k] === v))
    .filter(isReady);
}

/** Where a Service's traffic may go: what kube-proxy and the cluster DNS read. */
export interface ServiceEndpoints {
  /** The ready pod IPs (a headless Service's DNS answer). */
  addresses(svc: KubeObject): string[];
  /** The ready pod IP and port pairs behind one Service port. */
  targets(svc: KubeObject, port: ServicePort): Array<{ ip: string; port: number }>;
}

/** Endpoints read straight from the pods in the store, as the local control plane keeps them. */
export function podEndpoints(store: Store): ServiceEndpoints {
  return {
    addresses: (svc) =>
      readyEndpoints(store, svc).map((pod) => String((pod.status as { podIP: string }).podIP)),
    targets: (svc, servicePort) =>
      readyEndpoints(store, svc).flatMap((pod) => {
        const target = resolveTargetPort(pod, servicePort.targetPort, servicePort.port);
        const ip = (pod.status as { podIP: string }).podIP;
        return target === undefined ? [] : [{ ip, port: target }];
      }),
  };
}

export class ServiceProxy {
  /** By "namespace/name", then Service port. */
  private readonly listeners = new Map<string, Map<number, Listener>>();
  private readonly sockets = new Set<Socket>();
  /** Round robin per Service port, so traffic to one Service does not move another's turn. */
  private readonly turns = new Map<string, number>();
  private closed = false;

  constructor(
    private readonly store: Store,
    private readonly addresses: Addresses,
    private readonly endpoints: ServiceEndpoints = podEndpoints(store),
  ) {}

  /** Opens, keeps or closes the Service's listeners to match its current spec. */
  sync(namespace: string, name: string): void {
    if (this.closed) return;
    const key = `${namespace}/${name}`;
    const svc = this.store.get('services', namespace, name);
    const wanted = new Set<number>();
    if (svc && hasServiceAddress(svc)) {
      for (const p of specOf(svc).ports ?? []) if ((p.protocol ?? 'TCP') === 'TCP') wanted.add(p.port);
    }
    const current = this.listeners.get(key) ?? new Map<number, Listener>();
    for (const [port, listener] of current) {
      if (wanted.has(port)) continue;
      listener.server.close();
      current.delete(port);
    }
    for (const port of wanted) {
      if (!current.has(port)) current.set(port, this.listen(namespace, name, port));
    }
    if (current.size > 0) this.listeners.set(key, current);
    else this.listeners.delete(key);
  }

  /** Where to connect to reach the Service's port. */
  address(namespace: string, name: string, port: number): { host: string; port: number } {
    const listener = this.listeners.get(`${namespace}/${name}`)?.get(port);
    return listener
      ? { host: listener.host, port: listener.bound }
      : { host: this.addresses.service(namespace, name), port };
  }

  /** Resolves once every listener opened so far is listening. */
  async settled(): Promise<void> {
    await Promise.all([...this.listeners.values()].flatMap((m) => [...m.values()].map((l) => l.listening)));
  }

  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.listeners.values()].flatMap((m) => [...m.values()]);
    this.listeners.clear();
    for (const socket of this.sockets) socket.destroy();
    await Promise.all(
      all.map(
        (l) =>
          new Promise<void>((resolve) => (l.server.listening ? l.server.close(() => resolve()) : resolve())),
      ),
    );
  }

  private listen(namespace: string, name: string, port: number): Listener {
    const host = this.addresses.service(namespace, name);
    const server = createServer((client) => this.forward(client, namespace, name, port));
    const listener: Listener = { server, host, port, bound: port, listening: Promise.resolve() };
    listener.listening = new Promise<void>((resolve) => {
      const bind = (at: number) => {
        server.once('error', (error: NodeJS.ErrnoException) => {
          // Ports below 1024 need root (or CAP_NET_BIND_SERVICE): fall back to any port.
          if (error.code === 'EACCES' && at !== 0) bind(0);
          else {
            console.error(
              `control-plane: Service ${namespace}/${name} cannot listen on ${host}:${at}`,
              error,
            );
            resolve();
          }
        });
        server.listen(at, host, () => {
          server.removeAllListeners('error');
          server.on('error', () => undefined);
          const address = server.address();
          if (address && typeof address === 'object') listener.bound = address.port;
          resolve();
        });
      };
      bind(port);
    });
    return listener;
  }

  private forward(client: Socket, namespace: string, name: string, port: number): void {
    this.track(client);
    const svc = this.store.get('services', namespace, name);
    const servicePort = svc && specOf(svc).ports?.find((p) => p.port === port);
    const targets = svc && servicePort ? this.endpoints.targets(svc, servicePort) : [];
    const key = `${namespace}/${name}:${port}`;
    const turn = this.turns.get(key) ?? 0;
    this.turns.set(key, turn + 1);
    const target = targets[turn % Math.max(1, targets.length)];
    if (!target) {
      client.destroy();
      return;
    }
    const upstream = connect({ host: target.ip, port: target.port });
    this.track(upstream);
    client.pipe(upstream);
    upstream.pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  }

  private track(socket: Socket): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
  }
}
