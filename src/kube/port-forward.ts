import type { Server, Socket } from 'node:net';
import { ExitCode, GatewayError } from '../errors.ts';
import type { KubeClient } from './client.ts';
import type { WebSocketConnection } from './websocket.ts';

const { createServer } = process.getBuiltinModule('node:net');

export interface ForwardedPort {
  /** The local port on 127.0.0.1 that reaches the pod's port. */
  localPort: number;
  /** Why a connection could not be forwarded, if one could not: for the caller's error. */
  failure(): Error | undefined;
  /** Stops listening and closes every forwarded connection and its tunnel. */
  close(): Promise<void>;
}

/**
 * `kubectl port-forward` in process: a listener on 127.0.0.1 whose every connection is tunnelled to
 * the pod through the API server, one WebSocket each, through the same proxy and within the same
 * --request-timeout as every other request. The first tunnel opens before this returns, so that a
 * refusal or a server that does not answer is reported here.
 */
export async function forwardPodPort(
  kube: KubeClient,
  pod: { name: string; namespace: string },
  port: number,
): Promise<ForwardedPort> {
  let spare: WebSocketConnection | undefined = await kube.openPortForward(pod, port);
  const sockets = new Set<Socket>();
  const tunnels = new Set<WebSocketConnection>();
  let failure: Error | undefined;
  let closed = false;
  const adopt = (tunnel: WebSocketConnection, socket: Socket) => {
    if (closed || socket.destroyed) {
      tunnel.destroy();
      return;
    }
    tunnels.add(tunnel);
    tunnel.once('close', () => tunnels.delete(tunnel));
    forward(tunnel, socket, pod, port, (error) => (failure = error));
  };
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    const tunnel = spare;
    spare = undefined;
    if (tunnel) return adopt(tunnel, socket);
    kube.openPortForward(pod, port).then(
      (opened) => adopt(opened, socket),
      (error: unknown) => {
        failure = error instanceof Error ? error : new Error(String(error));
        socket.destroy();
      },
    );
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
  } catch (error) {
    spare.destroy();
    throw error;
  }
  const address = server.address();
  return {
    localPort: typeof address === 'object' && address ? address.port : 0,
    failure: () => failure,
    close: () => {
      closed = true;
      spare?.destroy();
      for (const tunnel of tunnels) tunnel.destroy();
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The kubelet's channels: 0 carries the data, 1 its errors; the first message on each is the port. */
function forward(
  tunnel: WebSocketConnection,
  socket: Socket,
  pod: { name: string; namespace: string },
  port: number,
  failed: (error: Error) => void,
): void {
  const portSent = [false, false];
  let errorText = '';
  tunnel.on('message', (data, binary) => {
    const channel = data[0];
    if (!binary || (channel !== 0 && channel !== 1)) return;
    let payload = data.subarray(1);
    if (!portSent[channel]) {
      portSent[channel] = true;
      payload = payload.subarray(2);
    }
    if (channel === 0) socket.write(payload);
    else errorText += payload.toString('utf8');
  });
  tunnel.on('error', () => undefined);
  tunnel.once('close', () => {
    if (!errorText) return void socket.end();
    failed(
      new GatewayError(`the port-forward to pod ${pod.namespace}/${pod.name} port ${port} failed`, {
        why: errorText.trim(),
        next: [`kubectl -n ${pod.namespace} describe pod ${pod.name}`],
        exitCode: ExitCode.clusterState,
      }),
    );
    socket.destroy();
  });
  socket.on('data', (chunk: Buffer) => tunnel.send(Buffer.concat([Buffer.from([0]), chunk])));
  socket.once('close', () => tunnel.close());
  tunnel.start();
}
