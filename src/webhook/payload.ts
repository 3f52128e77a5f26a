/**
 * A user's own payload file: checked to be the UTF-8 JSON a provider would send, then sent byte for byte
 * (never re-serialized: the signature covers exactly the bytes on the wire).
 */
import { TextDecoder } from 'node:util';
import { InvalidPayloadError, type PayloadLocation } from './errors.ts';
import { findJsonSyntaxError } from './json-syntax.ts';

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const EXCERPT_RADIUS = 20;

/** A copy of `payload`, so later changes to the caller's buffer cannot break the signature. */
export function checkedPayload(payload: Buffer, name?: string): Buffer {
  const source = name ?? 'the payload';
  const next = name ? [`check it with: jq . ${name}`] : ['check it with jq'];
  if (payload.length === 0) throw new InvalidPayloadError(source, 'is empty', undefined, next);
  if (payload.subarray(0, 3).equals(BOM)) {
    throw new InvalidPayloadError(
      source,
      'starts with a byte order mark (EF BB BF), which JSON does not allow',
      undefined,
      ['save the file as UTF-8 without BOM'],
    );
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(payload);
  } catch {
    throw new InvalidPayloadError(source, 'is not UTF-8 text', undefined, ['save the file as UTF-8']);
  }
  try {
    JSON.parse(text);
  } catch {
    const found = findJsonSyntaxError(text);
    throw new InvalidPayloadError(
      source,
      `is not valid JSON${found ? `: it ${found.problem}` : ''}`,
      found && locate(text, found.index),
      next,
    );
  }
  return Buffer.from(payload);
}

function locate(text: string, index: number): PayloadLocation {
  const lineStart = text.lastIndexOf('\n', index - 1) + 1;
  const lineEnd = text.indexOf('\n', index);
  const line = text.slice(lineStart, lineEnd < 0 ? text.length : lineEnd).replace(/\r$/, '');
  const column = index - lineStart;
  const from = Math.max(0, column - EXCERPT_RADIUS);
  const to = Math.min(line.length, column + EXCERPT_RADIUS);
  return {
    line: text.slice(0, lineStart).split('\n').length,
    column: column + 1,
    byte: Buffer.byteLength(text.slice(0, index)),
    excerpt: `${from > 0 ? '…' : ''}${line.slice(from, to)}${to < line.length ? '…' : ''}`,
  };
}
