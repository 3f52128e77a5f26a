/**
 * Headers per provider: exactly the provider's names and values, the delivery ID where each provider puts
 * it, fresh IDs per delivery, and the GitLab token (the secret as is, hidden from enumeration).
 */
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/errors.ts';
import {
  buildDelivery,
  deliveryIdOf,
  describeDelivery,
  eventsOf,
  headersToSend,
  InvalidSecretError,
  parseProvider,
  PROVIDERS,
  UnknownEventError,
  UnknownProviderError,
  type Provider,
} from '../../src/webhook/index.ts';
import { caught } from './caught.ts';

const SECRET = 'hook-secret-1234';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** IDs id-1, id-2, … so tests can see which header got which call. */
function counter(): () => string {
  let n = 0;
  return () => `id-${++n}`;
}

describe('header names, exactly', () => {
  it.each([
    [
      'github',
      [
        'Content-Type',
        'User-Agent',
        'X-GitHub-Delivery',
        'X-GitHub-Event',
        'X-GitHub-Hook-ID',
        'X-GitHub-Hook-Installation-Target-ID',
        'X-GitHub-Hook-Installation-Target-Type',
        'X-Hub-Signature',
        'X-Hub-Signature-256',
      ],
    ],
    [
      'gitlab',
      [
        'Content-Type',
        'Idempotency-Key',
        'User-Agent',
        'X-Gitlab-Event',
        'X-Gitlab-Event-UUID',
        'X-Gitlab-Instance',
        'X-Gitlab-Token',
        'X-Gitlab-Webhook-UUID',
      ],
    ],
    [
      'bitbucket',
      [
        'Content-Type',
        'User-Agent',
        'X-Attempt-Number',
        'X-Event-Key',
        'X-Hook-UUID',
        'X-Hub-Signature',
        'X-Request-UUID',
      ],
    ],
    ['generic', ['Content-Type', 'User-Agent', 'X-Delivery-ID', 'X-Signature-256']],
  ] as const)('%s, signed', (provider, names) => {
    const delivery = buildDelivery({ provider, secret: SECRET });
    expect(Object.keys(headersToSend(delivery)).sort()).toEqual([...names].sort());
  });

  it.each(PROVIDERS)('%s, unsigned: no signature or token header at all', (provider) => {
    const names = Object.keys(headersToSend(buildDelivery({ provider }))).map((n) => n.toLowerCase());
    expect(names.filter((n) => n.includes('signature') || n.includes('token'))).toEqual([]);
  });
});

describe('header values', () => {
  it('github', () => {
    const d = buildDelivery({ provider: 'github', event: 'pull_request', newId: () => 'delivery-1' });
    expect(d.headers).toMatchObject({
      'Content-Type': 'application/json',
      'X-GitHub-Event': 'pull_request',
      'X-GitHub-Delivery': 'delivery-1',
      'X-GitHub-Hook-Installation-Target-Type': 'repository',
    });
    expect(d.headers['User-Agent']).toMatch(/^GitHub-Hookshot\/\S+$/);
    expect(d.headers['X-GitHub-Hook-ID']).toMatch(/^[0-9]+$/);
    expect(d.headers['X-GitHub-Hook-Installation-Target-ID']).toBe(
      String(JSON.parse(d.body.toString()).repository.id),
    );
  });

  it.each([
    ['push', 'Push Hook'],
    ['tag_push', 'Tag Push Hook'],
    ['merge_request', 'Merge Request Hook'],
    ['note', 'Note Hook'],
  ])('gitlab %s → X-Gitlab-Event: %s', (event, header) => {
    const d = buildDelivery({ provider: 'gitlab', event, newId: counter() });
    expect(d.headers).toMatchObject({
      'Content-Type': 'application/json',
      'X-Gitlab-Event': header,
      'X-Gitlab-Event-UUID': 'id-1',
      'Idempotency-Key': 'id-2',
      'X-Gitlab-Webhook-UUID': 'id-3',
      'X-Gitlab-Instance': 'https://gitlab.com',
    });
    expect(d.headers['User-Agent']).toMatch(/^GitLab\/\d+\.\d+\.\d+$/);
  });

  it('gitlab: X-Gitlab-Instance is the origin of the repository URL (self-managed GitLab)', () => {
    const d = buildDelivery({
      provider: 'gitlab',
      sample: { repositoryUrl: 'https://git.corp.example:8443/team/sub/app.git' },
    });
    expect(d.headers['X-Gitlab-Instance']).toBe('https://git.corp.example:8443');
  });

  it.each(['repo:push', 'pullrequest:created', 'pullrequest:updated'])('bitbucket %s', (event) => {
    const d = buildDelivery({ provider: 'bitbucket', event, newId: () => 'request-1' });
    expect(d.headers).toMatchObject({
      'User-Agent': 'Bitbucket-Webhooks/2.0',
      'Content-Type': 'application/json',
      'X-Event-Key': event,
      'X-Request-UUID': 'request-1',
      'X-Attempt-Number': '1',
    });
    expect(d.headers['X-Hook-UUID']).toMatch(UUID);
  });

  it('generic', () => {
    const d = buildDelivery({ provider: 'generic', newId: () => 'delivery-7' });
    expect(d.headers).toMatchObject({ 'Content-Type': 'application/json', 'X-Delivery-ID': 'delivery-7' });
  });
});

describe('delivery IDs', () => {
  it.each([
    ['github', 'X-GitHub-Delivery'],
    ['gitlab', 'X-Gitlab-Event-UUID'],
    ['bitbucket', 'X-Request-UUID'],
    ['generic', 'X-Delivery-ID'],
  ] as const)('%s: deliveryIdOf reads %s, which is the delivery id', (provider, header) => {
    const d = buildDelivery({ provider, newId: counter() });
    expect(d.id).toBe('id-1');
    expect(d.headers[header]).toBe('id-1');
    expect(deliveryIdOf(d)).toBe('id-1');
  });

  it.each(PROVIDERS)('%s: a fresh UUID each time by default; everything else stays the same', (provider) => {
    const [a, b] = [buildDelivery({ provider }), buildDelivery({ provider })];
    expect(a.id).toMatch(UUID);
    expect(b.id).toMatch(UUID);
    expect(a.id).not.toBe(b.id);
    expect(a.body.equals(b.body)).toBe(true);
  });

  it.each(PROVIDERS)('%s: with the same newId, the same delivery byte for byte', (provider) => {
    const [a, b] = [
      buildDelivery({ provider, secret: SECRET, newId: counter() }),
      buildDelivery({ provider, secret: SECRET, newId: counter() }),
    ];
    expect(headersToSend(a)).toEqual(headersToSend(b));
    expect(a.body.equals(b.body)).toBe(true);
  });
});

describe('the GitLab token', () => {
  it('is the secret as is, no HMAC', () => {
    const d = buildDelivery({ provider: 'gitlab', secret: SECRET });
    expect(d.headers['X-Gitlab-Token']).toBe(SECRET);
    expect(headersToSend(d)['X-Gitlab-Token']).toBe(SECRET);
  });

  it('is redacted by describeDelivery and absent from JSON, inspect and spreads of the delivery', () => {
    const d = buildDelivery({ provider: 'gitlab', secret: SECRET });
    expect(describeDelivery(d).headers['X-Gitlab-Token']).toBe('…(redacted)');
    expect(JSON.stringify(d)).not.toContain(SECRET);
    expect(inspect(d, { depth: null })).not.toContain(SECRET);
    expect(JSON.stringify({ ...d.headers })).not.toContain(SECRET);
  });

  it('loses line breaks, as GitLab removes them', () => {
    const d = buildDelivery({ provider: 'gitlab', secret: `${SECRET}\n` });
    expect(headersToSend(d)['X-Gitlab-Token']).toBe(SECRET);
  });

  it.each([
    ['a leading space', ` ${SECRET}`],
    ['a tab', `hook\tsecret`],
    ['a non-ASCII character', 'hook-sécret'],
    ['a NUL', 'hook\u0000secret'],
  ])(
    'is refused when it has %s (a header cannot carry it unchanged), without echoing it',
    (_what, secret) => {
      const error = caught(() => buildDelivery({ provider: 'gitlab', secret }));
      expect(error).toBeInstanceOf(InvalidSecretError);
      expect(error.exitCode).toBe(ExitCode.usage);
      expect(JSON.stringify({ ...error, message: error.message })).not.toContain(secret.trim());
    },
  );
});

describe('describeDelivery', () => {
  it('shows every header, signatures redacted to their algorithm', () => {
    const d = buildDelivery({ provider: 'github', secret: SECRET, newId: () => 'id-1' });
    const description = describeDelivery(d);
    expect(description).toMatchObject({
      provider: 'github',
      event: 'push',
      id: 'id-1',
      bytes: d.body.length,
    });
    expect(description.headers['X-Hub-Signature-256']).toBe('sha256=…(redacted)');
    expect(description.headers['X-Hub-Signature']).toBe('sha1=…(redacted)');
    expect(description.headers['X-GitHub-Delivery']).toBe('id-1');
    expect(Object.keys(description.headers)).toEqual(Object.keys(headersToSend(d)));
  });

  it.each([
    ['bitbucket', 'X-Hub-Signature'],
    ['generic', 'X-Signature-256'],
  ] as const)('%s: %s redacted', (provider, header) => {
    expect(describeDelivery(buildDelivery({ provider, secret: SECRET })).headers[header]).toBe(
      'sha256=…(redacted)',
    );
  });
});

describe('unknown providers and events', () => {
  it('an unknown provider lists the providers', () => {
    const error = caught(() => buildDelivery({ provider: 'gitea' as Provider }));
    expect(error).toBeInstanceOf(UnknownProviderError);
    expect(error.message).toContain('"gitea"');
    expect(`${error.why}`).toContain('github, gitlab, bitbucket, generic');
    expect(error.exitCode).toBe(ExitCode.usage);
    expect(() => parseProvider('GitHub')).toThrow(UnknownProviderError);
    expect(parseProvider('bitbucket')).toBe('bitbucket');
  });

  it.each([
    ['github', 'merge_request', 'push, pull_request, issue_comment, ping'],
    ['gitlab', 'pull_request', 'push, tag_push, merge_request, note'],
    ['bitbucket', 'push', 'repo:push, pullrequest:created, pullrequest:updated'],
    ['generic', 'pull_request', 'push'],
  ] as const)('%s: %s is refused, naming the %s events', (provider, event, listed) => {
    const error = caught(() => buildDelivery({ provider, event }));
    expect(error).toBeInstanceOf(UnknownEventError);
    expect(error.message).toContain(JSON.stringify(event));
    expect(`${error.why}`).toContain(listed);
    expect(error.next.join(' ')).toContain(listed);
    expect(eventsOf(provider).join(', ')).toBe(listed);
  });

  it('the default event is the first listed', () => {
    for (const provider of PROVIDERS) expect(buildDelivery({ provider }).event).toBe(eventsOf(provider)[0]);
  });
});
