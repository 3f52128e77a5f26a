/**
 * A minimal ustar writer for release archives: regular files only, fixed owner and time, so the same
 * inputs give the same bytes on any machine (GNU and BSD tar disagree on the flags for that).
 */
import { gzipSync } from 'node:zlib';

export interface TarEntry {
  /** Path inside the archive, '/'-separated, at most 100 bytes. */
  path: string;
  content: Uint8Array;
  mode: number;
}

const BLOCK = 512;

function octal(value: number, width: number): string {
  // width - 1 digits and a NUL, as ustar readers expect.
  return `${value.toString(8).padStart(width - 1, '0')}\0`;
}

function header(entry: TarEntry, mtime: number): Buffer {
  const name = Buffer.from(entry.path, 'utf8');
  if (name.length > 100) throw new Error(`${entry.path}: longer than the 100 bytes a ustar name can hold`);
  const block = Buffer.alloc(BLOCK);
  name.copy(block, 0);
  block.write(octal(entry.mode & 0o7777, 8), 100, 'ascii');
  block.write(octal(0, 8), 108, 'ascii'); // uid
  block.write(octal(0, 8), 116, 'ascii'); // gid
  block.write(octal(entry.content.byteLength, 12), 124, 'ascii');
  block.write(octal(mtime, 12), 136, 'ascii');
  block.write('        ', 148, 'ascii'); // checksum field counts as spaces while summing
  block.write('0', 156, 'ascii'); // regular file
  block.write('ustar\0', 257, 'ascii');
  block.write('00', 263, 'ascii');
  block.write('root', 265, 'ascii');
  block.write('root', 297, 'ascii');
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return block;
}

/** The tar stream of `entries`, in the order given, every file dated `mtime` (seconds since 1970). */
export function tar(entries: TarEntry[], mtime: number): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    parts.push(header(entry, mtime), Buffer.from(entry.content));
    const padding = (BLOCK - (entry.content.byteLength % BLOCK)) % BLOCK;
    if (padding) parts.push(Buffer.alloc(padding));
  }
  parts.push(Buffer.alloc(BLOCK * 2)); // end of archive
  return Buffer.concat(parts);
}

/** A .tar.gz of `entries`; gzip's own header carries no name or time, so the bytes stay reproducible. */
export function tarGz(entries: TarEntry[], mtime: number): Buffer {
  return gzipSync(tar(entries, mtime), { level: 9 });
}
