/**
 * Decoding of Kubernetes protobuf request bodies. kubectl's typed clients (the `kubectl create
 * namespace|configmap|secret|serviceaccount|deployment|service` generators) send protobuf and do not fall back to
 * JSON, so the fields those generators set are decoded here; other kinds answer 415.
 */
import { ApiError, unsupportedMediaType } from './status.ts';

export const PROTOBUF = 'application/vnd.kubernetes.protobuf';
const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]); // "k8s\0"

type Field =
  | 'string'
  | 'int'
  | 'intOrString'
  | 'bool'
  | 'strings'
  | 'stringMap'
  | 'bytesMap'
  | Message
  | { repeated: Message };
interface Message {
  [field: number]: [name: string, type: Field];
}

const OBJECT_META: Message = {
  1: ['name', 'string'],
  2: ['generateName', 'string'],
  3: ['namespace', 'string'],
  11: ['labels', 'stringMap'],
  12: ['annotations', 'stringMap'],
  14: ['finalizers', 'strings'],
};

const LABEL_SELECTOR: Message = { 1: ['matchLabels', 'stringMap'] };
const CONTAINER: Message = {
  1: ['name', 'string'],
  2: ['image', 'string'],
  3: ['command', 'strings'],
  4: ['args', 'strings'],
  6: [
    'ports',
    { repeated: { 1: ['name', 'string'], 3: ['containerPort', 'int'], 4: ['protocol', 'string'] } },
  ],
};
const POD_TEMPLATE: Message = {
  1: ['metadata', OBJECT_META],
  2: ['spec', { 2: ['containers', { repeated: CONTAINER }] }],
};
const SERVICE_PORT: Message = {
  1: ['name', 'string'],
  2: ['protocol', 'string'],
  3: ['port', 'int'],
  4: ['targetPort', 'intOrString'],
};

const KINDS: Record<string, Message> = {
  'v1/Namespace': { 1: ['metadata', OBJECT_META], 2: ['spec', { 1: ['finalizers', 'strings'] }] },
  'v1/ConfigMap': {
    1: ['metadata', OBJECT_META],
    2: ['data', 'stringMap'],
    3: ['binaryData', 'bytesMap'],
    4: ['immutable', 'bool'],
  },
  'v1/Secret': {
    1: ['metadata', OBJECT_META],
    2: ['data', 'bytesMap'],
    3: ['type', 'string'],
    4: ['stringData', 'stringMap'],
    5: ['immutable', 'bool'],
  },
  'v1/ServiceAccount': {
    1: ['metadata', OBJECT_META],
    3: ['automountServiceAccountToken', 'bool'],
    4: ['imagePullSecrets', { repeated: { 1: ['name', 'string'] } }],
  },
  'apps/v1/Deployment': {
    1: ['metadata', OBJECT_META],
    2: ['spec', { 1: ['replicas', 'int'], 2: ['selector', LABEL_SELECTOR], 3: ['template', POD_TEMPLATE] }],
  },
  'v1/Service': {
    1: ['metadata', OBJECT_META],
    2: [
      'spec',
      {
        1: ['ports', { repeated: SERVICE_PORT }],
        2: ['selector', 'stringMap'],
        3: ['clusterIP', 'string'],
        4: ['type', 'string'],
      },
    ],
  },
};

/** Wire-format fields of one message: field number, and a varint or the length-delimited bytes. */
function* fields(buf: Buffer): Generator<[number, bigint | Buffer]> {
  let pos = 0;
  const varint = (): bigint => {
    let result = 0n;
    for (let shift = 0n; ; shift += 7n) {
      const byte = buf[pos++];
      if (byte === undefined) throw new Error('truncated varint');
      result |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) return result;
    }
  };
  while (pos < buf.length) {
    const key = Number(varint());
    const wire = key & 7;
    if (wire === 0) yield [key >> 3, varint()];
    else if (wire === 2) {
      const length = Number(varint());
      yield [key >> 3, buf.subarray(pos, pos + length)];
      pos += length;
    } else if (wire === 1 || wire === 5) pos += wire === 1 ? 8 : 4;
    else throw new Error(`unsupported wire type ${wire}`);
  }
}

function mapEntry(entry: Buffer): [string, Buffer] {
  let key = '';
  let value: Buffer = Buffer.alloc(0);
  for (const [n, v] of fields(entry)) {
    if (n === 1 && Buffer.isBuffer(v)) key = v.toString('utf8');
    if (n === 2 && Buffer.isBuffer(v)) value = v;
  }
  return [key, value];
}

function decode(buf: Buffer, message: Message): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [n, value] of fields(buf)) {
    const spec = message[n];
    if (!spec) continue;
    const [name, type] = spec;
    const bytes = Buffer.isBuffer(value) ? value : Buffer.alloc(0);
    // Go's omitempty: empty strings are absent in the JSON form.
    if (type === 'string') {
      if (bytes.length > 0) out[name] = bytes.toString('utf8');
    } else if (type === 'int') out[name] = Number(value);
    else if (type === 'intOrString') {
      const v = decode(bytes, { 1: ['type', 'int'], 2: ['intVal', 'int'], 3: ['strVal', 'string'] });
      out[name] = v.type === 1 ? v.strVal : (v.intVal ?? 0);
    } else if (type === 'bool') out[name] = value === 1n;
    else if (type === 'strings') out[name] = [...((out[name] as string[]) ?? []), bytes.toString('utf8')];
    else if (type === 'stringMap' || type === 'bytesMap') {
      const [k, v] = mapEntry(bytes);
      out[name] = { ...(out[name] as object), [k]: v.toString(type === 'stringMap' ? 'utf8' : 'base64') };
    } else if ('repeated' in type)
      out[name] = [...((out[name] as unknown[]) ?? []), decode(bytes, type.repeated)];
    else out[name] = decode(bytes, type);
  }
  return out;
}

/** The JSON form of a protobuf-encoded object (runtime.Unknown envelope). */
export function decodeProtobuf(body: Buffer): Record<string, unknown> {
  if (!body.subarray(0, 4).equals(MAGIC))
    throw new ApiError(400, 'BadRequest', 'protobuf body without the k8s envelope');
  let typeMeta: Record<string, unknown> = {};
  let raw: Buffer = Buffer.alloc(0);
  for (const [n, value] of fields(body.subarray(4))) {
    if (n === 1 && Buffer.isBuffer(value))
      typeMeta = decode(value, { 1: ['apiVersion', 'string'], 2: ['kind', 'string'] });
    if (n === 2 && Buffer.isBuffer(value)) raw = value;
  }
  const message = KINDS[`${typeMeta.apiVersion}/${typeMeta.kind}`];
  if (!message) throw unsupportedMediaType(['application/json', 'application/yaml']);
  return { apiVersion: typeMeta.apiVersion, kind: typeMeta.kind, ...decode(raw, message) };
}
