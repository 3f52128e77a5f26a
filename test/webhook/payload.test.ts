/**
 * A user's payload file: sent byte for byte, refused with a position when it is not JSON, and never echoed
 * whole in the error.
 */
import { describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/errors.ts';
import {
  buildDelivery,
  InvalidPayloadError,
  InvalidSampleError,
  type PayloadLocation,
} from '../../src/webhook/index.ts';
import { findJsonSyntaxError } from '../../src/webhook/json-syntax.ts';
import { caught } from './caught.ts';

function payloadError(text: string | Buffer, payloadName?: string): InvalidPayloadError {
  const payload = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  const error = caught(() => buildDelivery({ provider: 'github', payload, payloadName, secret: 's' }));
  expect(error).toBeInstanceOf(InvalidPayloadError);
  expect(error.exitCode).toBe(ExitCode.usage);
  return error as InvalidPayloadError;
}

describe('a valid payload', () => {
  it('is sent unchanged, whitespace, key order, escapes and all', () => {
    const payload = Buffer.from('\n{"b":2,   "a":"\\u00e9 é 🚀"}\r\n\t', 'utf8');
    const delivery = buildDelivery({ provider: 'bitbucket', event: 'pullrequest:updated', payload });
    expect(delivery.body.equals(payload)).toBe(true);
    expect(delivery.headers['X-Event-Key']).toBe('pullrequest:updated');
  });

  it.each(['[]', '"text"', '0', 'null'])('any JSON value, not just objects: %s', (text) => {
    expect(buildDelivery({ provider: 'generic', payload: Buffer.from(text) }).body.toString()).toBe(text);
  });

  it('cannot be combined with sample options, which would be silently ignored', () => {
    const error = caught(() =>
      buildDelivery({ provider: 'github', payload: Buffer.from('{}'), sample: { sha: 'a'.repeat(40) } }),
    );
    expect(error).toBeInstanceOf(InvalidSampleError);
    expect(error.message).toContain('do not apply to a payload file');
    expect(() => buildDelivery({ provider: 'github', payload: Buffer.from('{}'), sample: {} })).not.toThrow();
  });
});

describe('an invalid payload', () => {
  it.each<[string, string, Omit<PayloadLocation, 'excerpt'>]>([
    ['{"a": 1,}', 'expected a double-quoted property name', { line: 1, column: 9, byte: 8 }],
    ['{\n  "a": 1,\n  "b": tru\n}', 'unknown word', { line: 3, column: 8, byte: 19 }],
    ['{"é": "ü", "x" 1}', "expected ':'", { line: 1, column: 16, byte: 17 }],
    ['[1, 2', "expected ',' or ']'", { line: 1, column: 6, byte: 5 }],
    ['{"a": "line\nbreak"}', 'control character', { line: 1, column: 12, byte: 11 }],
    ['{"a": 1} {"b": 2}', 'more text after the JSON value', { line: 1, column: 10, byte: 9 }],
    ['{"a": "never closed', 'never closed', { line: 1, column: 7, byte: 6 }],
    ['{"a": 01}', "expected ',' or '}'", { line: 1, column: 8, byte: 7 }],
    ['{"a": "\\x"}', 'invalid escape', { line: 1, column: 8, byte: 7 }],
    ["{'a': 1}", 'expected a double-quoted property name', { line: 1, column: 2, byte: 1 }],
    ['\r\n{"a": -}', 'invalid number', { line: 2, column: 7, byte: 8 }],
  ])('%j: %s', (text, problem, where) => {
    const error = payloadError(text);
    expect(error.message).toContain('is not valid JSON');
    expect(error.message).toContain(problem);
    expect(error.location).toMatchObject(where);
    expect(error.message).toContain(`line ${where.line}, column ${where.column}`);
  });

  it('names the file it was given, and suggests checking it with jq', () => {
    const error = payloadError('{', 'events/push.json');
    expect(error.message).toMatch(/^events\/push\.json is not valid JSON/);
    expect(error.next).toContain('check it with: jq . events/push.json');
  });

  it('shows a short excerpt around the error, never the whole file', () => {
    const before = `{"head": "${'H'.repeat(4000)}",\n "middle": "MIDDLE-MARKER",`;
    const text = `${before} "bad": nope, "tail": "${'T'.repeat(4000)}"}`;
    const error = payloadError(text);
    const shown = JSON.stringify({ message: error.message, why: error.why, next: error.next });
    expect(error.location?.line).toBe(2);
    expect(error.location?.excerpt).toContain('nope');
    expect(error.location!.excerpt.length).toBeLessThanOrEqual(42);
    expect(shown.length).toBeLessThan(400);
    expect(shown).not.toContain('HHHHHHHHHH');
    expect(shown).not.toContain('TTTTTTTTTT');
  });

  it.each([
    ['empty', Buffer.alloc(0), 'is empty'],
    ['whitespace only', Buffer.from(' \n\t'), 'ends where a value was expected'],
    ['with a UTF-8 byte order mark', Buffer.from('\uFEFF{"a":1}', 'utf8'), 'byte order mark'],
    ['not UTF-8', Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d]), 'is not UTF-8'],
    ['UTF-16', Buffer.from('{"a":1}', 'utf16le'), 'is not valid JSON'],
  ])('%s', (_name, payload, problem) => {
    expect(payloadError(payload).message).toContain(problem);
  });
});

describe('findJsonSyntaxError agrees with JSON.parse', () => {
  const corpus = [
    '{}',
    '[]',
    '""',
    '0',
    '-0',
    '-0.5e-3',
    '1E+2',
    'true',
    'false',
    'null',
    ' { "a" : [ 1 , { } , [ ] ] } ',
    '{"\\u00e9\\n\\"":"\\/"}',
    '"\u2028"',
    '[1,2,3]',
    '{"a":{"b":{"c":[null]}}}',
    '',
    ' ',
    '{',
    '}',
    '[',
    ']',
    '{"a"}',
    '{"a":}',
    '{,}',
    '[,]',
    '[1,]',
    '[1 2]',
    '01',
    '1.',
    '.5',
    '+1',
    '1e',
    '--1',
    'tru',
    'nul',
    'True',
    'undefined',
    'NaN',
    "'a'",
    '"a',
    '"\\u12"',
    '"\\u12g4"',
    '"\t"',
    '{"a":1}}',
    '{"a":1,"b"}',
    '[]]',
    '"a" "b"',
    '\u00a0{}',
    '{}\u0000',
  ];

  it.each(corpus)('%j', (text) => {
    let valid = true;
    try {
      JSON.parse(text);
    } catch {
      valid = false;
    }
    expect(findJsonSyntaxError(text) === undefined).toBe(valid);
  });
});
