/**
 * The client side of a WebSocket (RFC 6455) over a connection that already switched protocols: enough
 * for the API server's port-forward channels. Binary and text messages, fragments, ping, close.
 */
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';

const crypto = process.getBuiltinModule('node:crypto');

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

const OPCODE = { continuation: 0, text: 1, binary: 2, close: 8, ping: 9, pong: 10 } as const;

/** The headers of a WebSocket opening handshake, and the Sec-WebSocket-Accept the server must answer. */
export function webSocketHandshake(protocols: string[]): { headers: Record<string, string>; accept: string } {
  const key = crypto.randomBytes(16).toString('base64');
  return {
    headers: {
      Connection: 'Upgrade',
      Upgrade: 'websocket',
      'Sec-WebSocket-Version': '13',
      'Sec-WebSocket-Key': key,
      ...(protocols.length > 0 ? { 'Sec-WebSocket-Protocol': protocols.join(', ') } : {}),
    },
    accept: crypto.createHash('sha1').update(`${key}${GUID}`).digest('base64'),
  };
}

export interface WebSocketEvents {
  message: [data: Buffer, binary: boolean];
  /** Once, when the connection is gone (after a close handshake, an error or destroy()). */
  close: [];
  error: [error: Error];
}

export class WebSocketConnection extends EventEmitter<WebSocketEvents> {
  private buffered: Buffer = Buffer.alloc(0);
  private fragments: Buffer[] = [];
  private fragmentedBinary = false;
  private closeSent = false;
  private closed = false;

  constructor(
    private readonly socket: Duplex,
    head: Buffer,
  ) {
    super();
    // What came with the 101 goes first; nothing is read until the caller listens (start()).
    socket.pause();
    if (head.length > 0) socket.unshift(head);
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', (error: Error) => {
      if (this.listenerCount('error') > 0) this.emit('error', error);
      this.destroy();
    });
    socket.once('close', () => this.finish());
  }

  /** Starts reading messages: call it once the 'message' and 'close' listeners are in place. */
  start(): void {
    this.socket.resume();
  }

  send(data: Buffer | string): void {
    this.frame(typeof data === 'string' ? OPCODE.text : OPCODE.binary, Buffer.from(data));
  }

  /** Starts the closing handshake; the connection ends when the server answers (or on destroy()). */
  close(code = 1000): void {
    if (this.closeSent || this.closed) return;
    const payload = Buffer.alloc(2);
    payload.writeUInt16BE(code);
    this.frame(OPCODE.close, payload);
    this.closeSent = true;
    this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
    this.finish();
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    this.emit('close');
  }

  /** Client frames are masked (RFC 6455 5.3). */
  private frame(opcode: number, payload: Buffer): void {
    if (this.closeSent || this.closed || this.socket.destroyed) return;
    const length = payload.length;
    const header =
      length < 126
        ? Buffer.from([0x80 | opcode, 0x80 | length])
        : length < 0x10000
          ? Buffer.from([0x80 | opcode, 0x80 | 126, length >> 8, length & 0xff])
          : Buffer.concat([Buffer.from([0x80 | opcode, 0x80 | 127]), uint64(length)]);
    const mask = crypto.randomBytes(4);
    const masked = Buffer.alloc(length);
    for (let i = 0; i < length; i++) masked[i] = (payload[i] ?? 0) ^ (mask[i % 4] ?? 0);
    this.socket.write(Buffer.concat([header, mask, masked]));
  }

  private receive(chunk: Buffer): void {
    this.buffered = this.buffered.length ? Buffer.concat([this.buffered, chunk]) : chunk;
    for (;;) {
      const frame = parseFrame(this.buffered);
      if (!frame) return;
      this.buffered = this.buffered.subarray(frame.size);
      this.handle(frame.fin, frame.opcode, frame.payload);
      if (this.closed) return;
    }
  }

  private handle(fin: boolean, opcode: number, payload: Buffer): void {
    if (opcode === OPCODE.ping) return this.frame(OPCODE.pong, payload);
    if (opcode === OPCODE.pong) return;
    if (opcode === OPCODE.close) {
      if (!this.closeSent) {
        this.frame(OPCODE.close, payload.subarray(0, 2));
        this.closeSent = true;
      }
      this.socket.end();
      return;
    }
    if (opcode !== OPCODE.continuation) this.fragmentedBinary = opcode === OPCODE.binary;
    this.fragments.push(payload);
    if (!fin) return;
    const message = Buffer.concat(this.fragments);
    this.fragments = [];
    this.emit('message', message, this.fragmentedBinary);
  }
}

function uint64(value: number): Buffer {
  const bytes = Buffer.alloc(8);
  bytes.writeBigUInt64BE(BigInt(value));
  return bytes;
}

/** One frame from the front of `data`, or undefined until all of it has arrived. */
function parseFrame(
  data: Buffer,
): { fin: boolean; opcode: number; payload: Buffer; size: number } | undefined {
  if (data.length < 2) return undefined;
  const first = data[0] ?? 0;
  const second = data[1] ?? 0;
  let length = second & 0x7f;
  let offset = 2;
  if (length === 126) {
    if (data.length < 4) return undefined;
    length = data.readUInt16BE(2);
    offset = 4;
  } else if (length === 127) {
    if (data.length < 10) return undefined;
    length = Number(data.readBigUInt64BE(2));
    offset = 10;
  }
  const masked = (second & 0x80) !== 0;
  const mask = masked ? data.subarray(offset, offset + 4) : undefined;
  if (masked) offset += 4;
  if (data.length < offset + length) return undefined;
  let payload = data.subarray(offset, offset + length);
  if (mask) payload = Buffer.from(payload.map((byte, i) => byte ^ (mask[i % 4] ?? 0)));
  return { fin: (first & 0x80) !== 0, opcode: first & 0x0f, payload, size: offset + length };
}
