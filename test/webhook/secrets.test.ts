/**
 * A secret is never shown: for every provider and event, with a sample or a payload, valid or not, the
 * secret appears in nothing returned or thrown, except the wire headers the request is sent with.
 */
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  buildDelivery,
  deliveryIdOf,
  describeDelivery,
  eventsOf,
  headersToSend,
  PROVIDERS,
  type DeliveryInput,
  type Provider,
} from '../../src/webhook/index.ts';

const SECRETS = [
  'plain-secret-7f3a9c',
  'Sp3cial!$^*()[]{}|\\/?+.-secret',
  'quote"and\'apostrophe-secret',
  'ünïcödé-sécret-☃-𝄞',
  'with spaces inside secret',
  `long-secret-${'x9'.repeat(200)}`,
  'trailing-newline-secret\n',
];

/** Every form the secret could take in text: raw, JSON-escaped, without the line break GitLab drops. */
function formsOf(secret: string): string[] {
  const trimmed = secret.replace(/\r?\n/g, '');
  return [
    ...new Set([secret, trimmed, JSON.stringify(secret).slice(1, -1), JSON.stringify(trimmed).slice(1, -1)]),
  ];
}

/** Everything the module hands back or throws for `input`, as text a user or a log could see. */
function visibleOutput(input: DeliveryInput): string[] {
  try {
    const delivery = buildDelivery(input);
    return [
      JSON.stringify(delivery),
      inspect(delivery, { depth: null, showHidden: false }),
      JSON.stringify({ ...delivery, headers: { ...delivery.headers } }),
      JSON.stringify(describeDelivery(delivery)),
      deliveryIdOf(delivery),
      delivery.body.toString('utf8'),
    ];
  } catch (error) {
    const e = error as Error;
    return [
      JSON.stringify({ ...e, message: e.message, stack: e.stack }),
      inspect(e, { depth: null }),
      String(e),
    ];
  }
}

const payloads: [string, Buffer | undefined][] = [
  ['the sample', undefined],
  ['a payload', Buffer.from('{"ref":"refs/heads/main"}')],
  ['an invalid payload', Buffer.from('{"ref": refs/heads/main}')],
];

const cases = PROVIDERS.flatMap((provider) =>
  [...eventsOf(provider), 'no-such-event'].flatMap((event) =>
    payloads.map(([what, payload]) => ({ provider, event, what, payload })),
  ),
);

describe('no output shows the secret', () => {
  it.each(cases)('$provider $event with $what', ({ provider, event, payload }) => {
    for (const secret of SECRETS) {
      for (const text of visibleOutput({ provider, event, payload, secret })) {
        for (const form of formsOf(secret)) expect(text).not.toContain(form);
      }
    }
  });
});

describe('errors from bad options carry no secret either', () => {
  it.each<[string, DeliveryInput]>([
    ['an unknown provider', { provider: 'nope' as Provider }],
    ['a bad repository URL', { provider: 'gitlab', sample: { repositoryUrl: 'not a url' } }],
    [
      'sample options with a payload',
      { provider: 'github', payload: Buffer.from('{}'), sample: { ref: 'x' } },
    ],
  ])('%s', (_name, input) => {
    for (const secret of SECRETS) {
      for (const text of visibleOutput({ ...input, secret })) {
        for (const form of formsOf(secret)) expect(text).not.toContain(form);
      }
    }
  });
});

describe('the one place the secret is: the wire headers of a GitLab delivery', () => {
  it('headersToSend carries the token; for HMAC providers, nothing carries the secret', () => {
    const secret = 'plain-secret-7f3a9c';
    expect(JSON.stringify(headersToSend(buildDelivery({ provider: 'gitlab', secret })))).toContain(secret);
    for (const provider of ['github', 'bitbucket', 'generic'] as const) {
      expect(JSON.stringify(headersToSend(buildDelivery({ provider, secret })))).not.toContain(secret);
    }
  });
});
