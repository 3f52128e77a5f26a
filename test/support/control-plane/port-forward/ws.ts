/**
 * The `ws` package (installed with @kubernetes/client-node, which has no types for it here), loaded
 * through require and typed for the little the port-forward server uses.
 */
import type { IncomingMessage } from 'node:http';
import { createRequire } from 'node:module';
import type { Duplex } from 'node:stream';

export interface WebSocket {
  readonly protocol: string;
  readonly readyState: number;
  send(data: Buffer | string, callback?: (error?: Error) => void): void;
  close(code?: number, reason?: string): void;
  terminate(): void;
  on(event: 'message', listener: (data: Buffer, isBinary: boolean) => void): this;
  on(event: 'close', listener: (code: number, reason: Buffer) => void): this;
  on(event: 'error', listener: (error: Error) => void): this;
}

export interface WebSocketServer {
  /** `headers`: the 101 response's header lines, which the listener may change. */
  on(event: 'headers', listener: (headers: string[], req: IncomingMessage) => void): this;
  handleUpgrade(
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    callback: (ws: WebSocket, req: IncomingMessage) => void,
  ): void;
}

interface WsModule {
  WebSocketServer: new (options: {
    noServer: true;
    clientTracking?: boolean;
    perMessageDeflate?: boolean;
    handleProtocols?: (protocols: Set<string>, req: IncomingMessage) => string | false;
  }) => WebSocketServer;
  createWebSocketStream(ws: WebSocket): Duplex;
  OPEN: number;
}

const require = createRequire(import.meta.url);
export const ws = require('ws') as WsModule;
