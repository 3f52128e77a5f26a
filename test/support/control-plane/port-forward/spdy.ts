/**
 * The server side of SPDY/3.1 as k8s.io/apimachinery's httpstream (moby/spdystream) speaks it: the
 * peer opens streams (SYN_STREAM with headers), each is answered with a SYN_REPLY and carries DATA
 * frames both ways until each side sends FIN; RST_STREAM aborts one, PING is echoed, GOAWAY ends.
 * spdystream does no flow control, so SETTINGS and WINDOW_UPDATE are read and ignored.
 *
 * Header blocks are zlib-compressed with the SPDY/3 dictionary, one zlib stream per direction for the
 * whole session. Incoming blocks are inflated by re-inflating everything received so far (header
 * traffic is a few dozen bytes per stream, so this stays small); outgoing blocks are zlib "stored"
 * blocks, which any inflater reads, so no compressor state is needed.
 */
import { Duplex } from 'node:stream';
import { constants, inflateSync } from 'node:zlib';

const VERSION = 3;
const SYN_STREAM = 1;
const SYN_REPLY = 2;
const RST_STREAM = 3;
const PING = 6;
const GOAWAY = 7;
const HEADERS = 8;
const FLAG_FIN = 0x01;
const FLAG_UNIDIRECTIONAL = 0x02;
const MAX_DATA = 32 * 1024;
/** RST_STREAM status codes. */
export const PROTOCOL_ERROR = 1;
export const REFUSED_STREAM = 3;
export const CANCEL = 5;

/** Header names (lower case, as SPDY sends them) to their values. */
export type SpdyHeaders = Record<string, string[]>;

// The SPDY/3 header dictionary (draft 3, section 2.6.10.1): length-prefixed words, then plain text.
const DICTIONARY_WORDS =
  'options head post put delete trace accept accept-charset accept-encoding accept-language ' +
  'accept-ranges age allow authorization cache-control connection content-base content-encoding ' +
  'content-language content-length content-location content-md5 content-range content-type date etag ' +
  'expect expires from host if-match if-modified-since if-none-match if-range if-unmodified-since ' +
  'last-modified location max-forwards pragma proxy-authenticate proxy-authorization range referer ' +
  'retry-after server te trailer transfer-encoding upgrade user-agent vary via warning www-authenticate ' +
  'method get status 200_OK version HTTP/1.1 url public set-cookie keep-alive origin';
const DICTIONARY_TEXT =
  '100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505' +
  '203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request401 Unauthorized' +
  '403 Forbidden404 Not Found500 Internal Server Error501 Not Implemented503 Service Unavailable' +
  'Jan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMT' +
  'chunked,text/html,image/png,image/jpg,image/gif,application/xml,application/xhtml+xml,text/plain,' +
  'text/javascript,publicprivatemax-age=gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0.';

export const SPDY_DICTIONARY = Buffer.concat([
  ...DICTIONARY_WORDS.split(' ').flatMap((word) => [
    uint32(word.length),
    Buffer.from(word.replace('_', ' '), 'latin1'),
  ]),
  Buffer.from(DICTIONARY_TEXT, 'latin1'),
]);

function uint32(value: number): Buffer {
  const buffer = Buffer.alloc(4);
  buffer.writeUInt32BE(value >>> 0, 0);
  return buffer;
}

function adler32(data: Buffer): number {
  let a = 1;
  let b = 0;
  for (const byte of data) {
    a = (a + byte) % 65521;
    b = (b + a) % 65521;
  }
  return ((b << 16) | a) >>> 0;
}

/** The peer's header blocks: one zlib stream across frames. */
class HeaderInflater {
  private input: Buffer = Buffer.alloc(0);
  private produced = 0;

  inflate(block: Buffer): Buffer {
    this.input = Buffer.concat([this.input, block]);
    const all = inflateSync(this.input, {
      dictionary: SPDY_DICTIONARY,
      finishFlush: constants.Z_SYNC_FLUSH,
    });
    const fresh = all.subarray(this.produced);
    this.produced = all.length;
    return fresh;
  }
}

/** Our header blocks: a zlib stream (announcing the dictionary) of stored, uncompressed blocks. */
class HeaderDeflater {
  private started = false;

  deflate(block: Buffer): Buffer {
    const parts: Buffer[] = [];
    if (!this.started) {
      // CMF 0x78 (deflate, 32K window), FLG 0x20 (FDICT; 0x7820 is a multiple of 31), DICTID.
      parts.push(Buffer.from([0x78, 0x20]), uint32(adler32(SPDY_DICTIONARY)));
      this.started = true;
    }
    const stored = (chunk: Buffer) => {
      const header = Buffer.alloc(5);
      header.writeUInt8(0, 0); // BFINAL 0, BTYPE 00 (stored), padded to the byte
      header.writeUInt16LE(chunk.length, 1);
      header.writeUInt16LE(~chunk.length & 0xffff, 3);
      parts.push(header, chunk);
    };
    for (let offset = 0; offset < block.length; offset += 0xffff)
      stored(block.subarray(offset, offset + 0xffff));
    // The sync-flush marker (an empty stored block), as after every block Go's compressor writes: an
    // inflater hands out what it holds when it reads one, without reading on into the next frame.
    stored(Buffer.alloc(0));
    return Buffer.concat(parts);
  }
}

function encodeHeaders(headers: SpdyHeaders): Buffer {
  const entries = Object.entries(headers);
  const parts = [uint32(entries.length)];
  for (const [name, values] of entries) {
    const key = Buffer.from(name.toLowerCase(), 'utf8');
    const value = Buffer.from(values.join('\0'), 'utf8');
    parts.push(uint32(key.length), key, uint32(value.length), value);
  }
  return Buffer.concat(parts);
}

function decodeHeaders(block: Buffer): SpdyHeaders {
  const headers: SpdyHeaders = {};
  let offset = 0;
  const read = () => {
    const length = block.readUInt32BE(offset);
    const text = block.subarray(offset + 4, offset + 4 + length).toString('utf8');
    offset += 4 + length;
    return text;
  };
  const count = block.readUInt32BE(0);
  offset = 4;
  for (let i = 0; i < count; i++) {
    const name = read().toLowerCase();
    headers[name] = [...(headers[name] ?? []), ...read().split('\0')];
  }
  return headers;
}

function controlFrame(type: number, flags: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt16BE(0x8000 | VERSION, 0);
  header.writeUInt16BE(type, 2);
  header.writeUInt8(flags, 4);
  header.writeUIntBE(payload.length, 5, 3);
  return Buffer.concat([header, payload]);
}

function dataFrame(streamId: number, flags: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt32BE(streamId & 0x7fffffff, 0);
  header.writeUInt8(flags, 4);
  header.writeUIntBE(payload.length, 5, 3);
  return Buffer.concat([header, payload]);
}

/** One stream the peer opened: readable is what it sends, writable what we send back. */
export class SpdyStream extends Duplex {
  remoteEnded = false;
  private localEnded = false;
  private resetByPeer = false;

  constructor(
    private readonly session: SpdySession,
    readonly id: number,
    readonly headers: SpdyHeaders,
  ) {
    super({ allowHalfOpen: true });
  }

  /** The first value of a header (names are lower case). */
  header(name: string): string | undefined {
    return this.headers[name.toLowerCase()]?.[0];
  }

  override _read(): void {
    // Data is pushed as it arrives; spdystream has no flow control to apply.
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    const frames: Buffer[] = [];
    for (let offset = 0; offset < chunk.length; offset += MAX_DATA) {
      frames.push(dataFrame(this.id, 0, chunk.subarray(offset, offset + MAX_DATA)));
    }
    this.session.send(Buffer.concat(frames), callback);
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.localEnded = true;
    this.session.send(dataFrame(this.id, FLAG_FIN, Buffer.alloc(0)), callback);
    this.settle();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (!this.resetByPeer && !(this.localEnded && this.remoteEnded)) {
      this.session.send(rstStream(this.id, CANCEL));
    }
    this.session.forget(this.id);
    callback(error);
  }

  /** Data (or the FIN) from the peer. */
  receive(data: Buffer, fin: boolean): void {
    if (this.remoteEnded) return;
    if (data.length > 0) this.push(data);
    if (fin) {
      this.remoteEnded = true;
      this.push(null);
      this.settle();
    }
  }

  /** RST_STREAM from the peer (or the session went away). */
  reset(): void {
    this.resetByPeer = true;
    this.destroy();
  }

  private settle(): void {
    if (this.localEnded && this.remoteEnded) this.session.forget(this.id);
  }
}

const rstStream = (streamId: number, status: number) =>
  controlFrame(RST_STREAM, 0, Buffer.concat([uint32(streamId & 0x7fffffff), uint32(status)]));

/**
 * A SPDY/3.1 server session on `transport` (a TLS socket after the HTTP upgrade, or a WebSocket
 * tunnel). `onStream` sees each new stream once the SYN_REPLY is on its way; it may destroy it.
 */
export class SpdySession {
  private buffer: Buffer = Buffer.alloc(0);
  private readonly streams = new Map<number, SpdyStream>();
  private readonly inflater = new HeaderInflater();
  private readonly deflater = new HeaderDeflater();
  private closed = false;

  constructor(
    private readonly transport: Duplex,
    private readonly onStream: (stream: SpdyStream) => void,
    private readonly onClose: () => void = () => undefined,
  ) {
    transport.on('data', (chunk: Buffer) => this.receive(chunk));
    transport.once('end', () => this.close());
    transport.once('close', () => this.close());
    transport.on('error', () => this.close());
  }

  /** Accepts a stream: SYN_REPLY (empty headers). */
  reply(stream: SpdyStream): void {
    const block = this.deflater.deflate(encodeHeaders({}));
    this.send(controlFrame(SYN_REPLY, 0, Buffer.concat([uint32(stream.id), block])));
  }

  send(frame: Buffer, callback?: (error?: Error | null) => void): void {
    if (this.closed || this.transport.destroyed || this.transport.writableEnded) {
      callback?.();
      return;
    }
    this.transport.write(frame, () => callback?.());
  }

  forget(id: number): void {
    this.streams.delete(id);
  }

  /** Ends every stream and the transport. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const stream of [...this.streams.values()]) stream.reset();
    this.streams.clear();
    this.transport.destroy();
    this.onClose();
  }

  private receive(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    while (!this.closed && this.buffer.length >= 8) {
      const length = this.buffer.readUIntBE(5, 3);
      if (this.buffer.length < 8 + length) return;
      const frame = this.buffer.subarray(0, 8 + length);
      this.buffer = this.buffer.subarray(8 + length);
      try {
        this.frame(frame);
      } catch {
        this.send(controlFrame(GOAWAY, 0, Buffer.concat([uint32(0), uint32(PROTOCOL_ERROR)])));
        this.close();
      }
    }
  }

  private frame(frame: Buffer): void {
    const flags = frame.readUInt8(4);
    const payload = frame.subarray(8);
    if ((frame.readUInt8(0) & 0x80) === 0) {
      const id = frame.readUInt32BE(0) & 0x7fffffff;
      this.streams.get(id)?.receive(payload, (flags & FLAG_FIN) !== 0);
      return;
    }
    const type = frame.readUInt16BE(2);
    switch (type) {
      case SYN_STREAM:
        return this.synStream(flags, payload);
      case SYN_REPLY:
      case HEADERS:
        // Never expected from a client, but their headers keep the zlib stream in step.
        this.inflater.inflate(payload.subarray(4));
        return;
      case RST_STREAM:
        this.streams.get(payload.readUInt32BE(0) & 0x7fffffff)?.reset();
        return;
      case PING:
        this.send(frame);
        return;
      case GOAWAY:
        // The client is done; it closes the connection once its streams are.
        return;
      default:
        // SETTINGS, WINDOW_UPDATE, CREDENTIAL: nothing to do without flow control.
        return;
    }
  }

  private synStream(flags: number, payload: Buffer): void {
    const id = payload.readUInt32BE(0) & 0x7fffffff;
    const headers = decodeHeaders(this.inflater.inflate(payload.subarray(10)));
    if (id === 0 || this.streams.has(id)) {
      this.send(rstStream(id, PROTOCOL_ERROR));
      return;
    }
    const stream = new SpdyStream(this, id, headers);
    this.streams.set(id, stream);
    this.reply(stream);
    if ((flags & FLAG_UNIDIRECTIONAL) !== 0) stream.end();
    if ((flags & FLAG_FIN) !== 0) stream.receive(Buffer.alloc(0), true);
    this.onStream(stream);
  }
}
