/**
 * Signing: the providers' published vectors, HMACs over the exact bytes sent, and verifySignature on what
 * a backend would receive (right and wrong secret, tampered body, missing or doubled header).
 */
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { buildDelivery, headersToSend, hmacSignature, verifySignature } from '../../src/webhook/index.ts';

const SECRET = 'a-webhook-secret';

describe('hmacSignature', () => {
  it("matches GitHub's published example exactly", () => {
    // docs.github.com, "Validating webhook deliveries": secret and payload as given there.
    expect(hmacSignature('sha256', "It's a Secret to Everybody", Buffer.from('Hello, World!'))).toBe(
      'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17',
    );
  });

  it('matches the RFC 4231 and RFC 2202 HMAC test vectors (the SHA-256 and SHA-1 forms)', () => {
    const data = Buffer.from('what do ya want for nothing?');
    expect(hmacSignature('sha256', 'Jefe', data)).toBe(
      'sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    );
    expect(hmacSignature('sha1', 'Jefe', data)).toBe('sha1=effcdf6ae5eb2fa2d27416d5f184df9c259a7c79');
  });
});

describe("GitHub's published example through verifySignature", () => {
  const body = Buffer.from('Hello, World!');
  const header = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';

  it('holds for the right secret, in any header case', () => {
    expect(
      verifySignature('github', { 'X-Hub-Signature-256': header }, body, "It's a Secret to Everybody"),
    ).toBe(true);
    expect(
      verifySignature('github', { 'x-hub-signature-256': header }, body, "It's a Secret to Everybody"),
    ).toBe(true);
  });

  it('fails for another secret or another body', () => {
    expect(
      verifySignature('github', { 'X-Hub-Signature-256': header }, body, "It's a secret to everybody"),
    ).toBe(false);
    expect(
      verifySignature(
        'github',
        { 'X-Hub-Signature-256': header },
        Buffer.from('Hello, World?'),
        "It's a Secret to Everybody",
      ),
    ).toBe(false);
  });
});

describe('signatures cover the exact bytes sent', () => {
  // CRLF, tabs, trailing spaces, escaped and raw unicode, a key order nobody would re-serialize to.
  const payload = Buffer.from('{ "z" :\t1 ,\r\n  "a": "caf\\u00e9 ☕ 𝄞 é",\n\n "n": 1.50e+2 }  \n', 'utf8');

  it.each([
    ['github', 'X-Hub-Signature-256', 'sha256'],
    ['github', 'X-Hub-Signature', 'sha1'],
    ['bitbucket', 'X-Hub-Signature', 'sha256'],
    ['generic', 'X-Signature-256', 'sha256'],
  ] as const)('%s %s', (provider, header, algorithm) => {
    const delivery = buildDelivery({ provider, payload, secret: SECRET });
    const expected = createHmac(algorithm, SECRET).update(payload).digest('hex');
    expect(delivery.body.equals(payload)).toBe(true);
    expect(delivery.headers[header]).toBe(`${algorithm}=${expected}`);
  });

  it('the body is a copy: changing the caller’s buffer afterwards changes nothing', () => {
    const mine = Buffer.from('{"a":1}');
    const delivery = buildDelivery({ provider: 'github', payload: mine, secret: SECRET });
    mine[5] = 0x32;
    expect(delivery.body.toString()).toBe('{"a":1}');
    expect(verifySignature('github', delivery.headers, delivery.body, SECRET)).toBe(true);
  });

  it('a sample body is signed as the bytes it is sent as', () => {
    const delivery = buildDelivery({ provider: 'github', event: 'pull_request', secret: SECRET });
    const expected = createHmac('sha256', SECRET).update(delivery.body).digest('hex');
    expect(delivery.headers['X-Hub-Signature-256']).toBe(`sha256=${expected}`);
  });
});

describe('verifySignature on what a backend received', () => {
  const cases = [
    ['github', 'X-Hub-Signature-256'],
    ['bitbucket', 'X-Hub-Signature'],
    ['generic', 'X-Signature-256'],
    ['gitlab', 'X-Gitlab-Token'],
  ] as const;

  it.each(cases)('%s: true for the right secret, with headers as Node lower-cases them', (provider) => {
    const delivery = buildDelivery({ provider, secret: SECRET });
    const received = Object.fromEntries(
      Object.entries(headersToSend(delivery)).map(([k, v]) => [k.toLowerCase(), v]),
    );
    expect(verifySignature(provider, received, delivery.body, SECRET)).toBe(true);
    expect(verifySignature(provider, delivery.headers, delivery.body, SECRET)).toBe(true);
  });

  it.each(cases)('%s: false for a wrong secret', (provider) => {
    const delivery = buildDelivery({ provider, secret: SECRET });
    expect(verifySignature(provider, headersToSend(delivery), delivery.body, `${SECRET}x`)).toBe(false);
    expect(verifySignature(provider, headersToSend(delivery), delivery.body, '')).toBe(false);
  });

  it.each(cases.filter(([p]) => p !== 'gitlab'))('%s: false for a tampered body', (provider) => {
    const delivery = buildDelivery({ provider, secret: SECRET });
    const tampered = Buffer.from(delivery.body);
    tampered.writeUInt8(tampered.readUInt8(10) ^ 1, 10);
    expect(verifySignature(provider, headersToSend(delivery), tampered, SECRET)).toBe(false);
  });

  it.each(cases)('%s: false when %s is missing, or sent twice in different cases', (provider, header) => {
    const delivery = buildDelivery({ provider, secret: SECRET });
    const { [header]: proof, ...without } = headersToSend(delivery);
    expect(verifySignature(provider, without, delivery.body, SECRET)).toBe(false);
    const doubled = { ...headersToSend(delivery), [header.toLowerCase()]: proof };
    expect(verifySignature(provider, doubled, delivery.body, SECRET)).toBe(false);
  });

  it('false for an unsigned delivery', () => {
    const delivery = buildDelivery({ provider: 'github' });
    expect(verifySignature('github', delivery.headers, delivery.body, SECRET)).toBe(false);
  });

  it('GitHub: the legacy SHA-1 header may be absent, but must match when present', () => {
    const delivery = buildDelivery({ provider: 'github', secret: SECRET });
    const { 'X-Hub-Signature': _sha1, ...withoutSha1 } = headersToSend(delivery);
    expect(verifySignature('github', withoutSha1, delivery.body, SECRET)).toBe(true);
    const wrongSha1 = { ...withoutSha1, 'X-Hub-Signature': hmacSignature('sha1', 'other', delivery.body) };
    expect(verifySignature('github', wrongSha1, delivery.body, SECRET)).toBe(false);
  });

  it('a signature made for one provider does not pass as another’s (different header)', () => {
    const delivery = buildDelivery({ provider: 'generic', secret: SECRET });
    expect(verifySignature('github', headersToSend(delivery), delivery.body, SECRET)).toBe(false);
  });
});
