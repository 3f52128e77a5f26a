/**
 * The cluster DNS: a tiny UDP server answering A queries from a lookup function, NXDOMAIN for names
 * it does not know. Just enough of RFC 1035 for HAProxy's resolvers (and dig): one question per
 * query, answers compressed with a pointer to the question, EDNS records in queries ignored.
 */
import { createSocket, type Socket } from 'node:dgram';

export const TYPE_A = 1;
export const TYPE_AAAA = 28;
const CLASS_IN = 1;
const RCODE_FORMERR = 1;
const RCODE_NXDOMAIN = 3;
const RCODE_NOTIMP = 4;
const TTL_SECONDS = 5;

/** Addresses for a name and type; undefined when the name does not exist (NXDOMAIN). */
export type Lookup = (name: string, type: number) => string[] | undefined;

export interface Question {
  id: number;
  flags: number;
  name: string;
  type: number;
  qclass: number;
  /** The question section as received, copied into the answer. */
  raw: Buffer;
}

/** Parses the header and first question of a query; undefined when it is not one we can read. */
export function decodeQuery(message: Buffer): Question | undefined {
  if (message.length < 12) return undefined;
  const id = message.readUInt16BE(0);
  const flags = message.readUInt16BE(2);
  if (flags & 0x8000 || message.readUInt16BE(4) < 1) return undefined;
  const labels: string[] = [];
  let offset = 12;
  for (;;) {
    const length = message[offset];
    if (length === undefined || length > 63) return undefined;
    offset += 1;
    if (length === 0) break;
    if (offset + length > message.length) return undefined;
    labels.push(message.toString('latin1', offset, offset + length));
    offset += length;
  }
  if (offset + 4 > message.length) return undefined;
  const type = message.readUInt16BE(offset);
  const qclass = message.readUInt16BE(offset + 2);
  return {
    id,
    flags,
    name: labels.join('.').toLowerCase(),
    type,
    qclass,
    raw: message.subarray(12, offset + 4),
  };
}

/** A response to `question` with `rcode` and A/AAAA answers. */
export function encodeResponse(question: Question, rcode: number, addresses: string[] = []): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(question.id, 0);
  // QR, the query's opcode and RD, AA, RA, rcode.
  const flags = 0x8000 | (question.flags & 0x7900) | 0x0400 | 0x0080 | (rcode & 0xf);
  header.writeUInt16BE(flags, 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(addresses.length, 6);
  const answers = addresses.map((address) => {
    const rdata =
      question.type === TYPE_AAAA ? ipv6Bytes(address) : Buffer.from(address.split('.').map(Number));
    const record = Buffer.alloc(12);
    record.writeUInt16BE(0xc00c, 0); // pointer to the question's name
    record.writeUInt16BE(question.type, 2);
    record.writeUInt16BE(CLASS_IN, 4);
    record.writeUInt32BE(TTL_SECONDS, 6);
    record.writeUInt16BE(rdata.length, 10);
    return Buffer.concat([record, rdata]);
  });
  return Buffer.concat([header, question.raw, ...answers]);
}

function ipv6Bytes(address: string): Buffer {
  const [head = '', tail = ''] = address.split('::');
  const groups = (part: string) => (part ? part.split(':') : []);
  const missing = 8 - groups(head).length - groups(tail).length;
  const all = [
    ...groups(head),
    ...Array<string>(address.includes('::') ? missing : 0).fill('0'),
    ...groups(tail),
  ];
  const bytes = Buffer.alloc(16);
  all.forEach((group, i) => bytes.writeUInt16BE(Number.parseInt(group, 16), i * 2));
  return bytes;
}

/** The answer to one query message, or undefined to drop it. */
export function answer(message: Buffer, lookup: Lookup): Buffer | undefined {
  const question = decodeQuery(message);
  if (!question) {
    if (message.length < 12) return undefined;
    const id = message.readUInt16BE(0);
    return encodeResponse(
      { id, flags: 0, name: '', type: 0, qclass: 0, raw: Buffer.alloc(0) },
      RCODE_FORMERR,
    );
  }
  if ((question.flags >> 11) & 0xf || question.qclass !== CLASS_IN)
    return encodeResponse(question, RCODE_NOTIMP);
  const addresses = lookup(question.name, question.type);
  if (addresses === undefined) return encodeResponse(question, RCODE_NXDOMAIN);
  return encodeResponse(
    question,
    0,
    question.type === TYPE_A || question.type === TYPE_AAAA ? addresses : [],
  );
}

export interface DnsServer {
  host: string;
  port: number;
  /** Queries answered so far, in order (name and type); the latest 10,000. */
  queries: Array<{ name: string; type: number }>;
  close(): Promise<void>;
}

/** `port` 0 picks a free one; the real node's cluster DNS listens on 53 of its Service address. */
export async function startDnsServer(lookup: Lookup, host = '127.0.0.1', port = 0): Promise<DnsServer> {
  const socket: Socket = createSocket('udp4');
  const queries: DnsServer['queries'] = [];
  socket.on('message', (message, remote) => {
    const question = decodeQuery(message);
    if (question) queries.push({ name: question.name, type: question.type });
    if (queries.length > 10_000) queries.shift();
    const reply = answer(message, lookup);
    if (reply) socket.send(reply, remote.port, remote.address);
  });
  // A send to a client that went away must not crash the control plane.
  socket.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, host, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  return {
    host,
    port: socket.address().port,
    queries,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

const CLUSTER_NAME =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.svc(\.cluster\.local)?$/;

/** A cluster Service name (NAME.NAMESPACE.svc[.cluster.local]) split up; undefined for other names. */
export function parseServiceName(name: string): { namespace: string; name: string } | undefined {
  const match = CLUSTER_NAME.exec(name.toLowerCase().replace(/\.$/, ''));
  return match ? { name: match[1] ?? '', namespace: match[3] ?? '' } : undefined;
}

/**
 * The cluster DNS's answers for Services, as CoreDNS's kubernetes plugin gives them: a Service's
 * virtual address (`addressOf`), a headless Service's ready endpoints, NXDOMAIN for anything else.
 */
export function serviceLookup(
  service: (namespace: string, name: string) => { headless: boolean } | undefined,
  addressOf: (namespace: string, name: string) => string,
  endpoints: (namespace: string, name: string) => string[],
): Lookup {
  return (name, type) => {
    const parsed = parseServiceName(name);
    const svc = parsed && service(parsed.namespace, parsed.name);
    if (!parsed || !svc) return undefined;
    if (type !== TYPE_A) return [];
    return svc.headless
      ? endpoints(parsed.namespace, parsed.name)
      : [addressOf(parsed.namespace, parsed.name)];
  };
}
