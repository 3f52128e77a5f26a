/**
 * parseDeliveryLine / parseDeliveryLog: the gateway's JSON records, as HAProxy writes them, become
 * typed deliveries; everything else in the pods' logs is skipped.
 */
import { describe, expect, it } from 'vitest';
import { parseDeliveryLine, parseDeliveryLog, routeOfBackend } from '../../src/haproxy/delivery-log.ts';

interface Headers {
  github?: Partial<Record<'event' | 'delivery' | 'hook_id', string>>;
  gitlab?: Partial<Record<'event' | 'event_uuid' | 'webhook_uuid', string>>;
  bitbucket?: Partial<Record<'event' | 'request_uuid' | 'hook_uuid', string>>;
  gitea?: Partial<Record<'event' | 'delivery', string>>;
  request_id?: string;
}

/** A record in the shape the bundled log-format writes (HAProxy escapes "/" as "\/" too). */
function record(overrides: Record<string, unknown> = {}, headers: Headers = {}): string {
  const base = {
    time: 1796498865.086,
    backend: 'route:github',
    server: 'listener',
    method: 'POST',
    path: '/github/push',
    status: 202,
    bytes_in: 1234,
    bytes_out: 147,
    t_request: 0,
    t_queue: 0,
    t_connect: 1,
    t_response: 12,
    t_active: 13,
    t_total: 13,
    termination: '----',
    client: '203.0.113.7',
    peer: '10.0.0.9',
    github: { event: '', delivery: '', hook_id: '', ...headers.github },
    gitlab: { event: '', event_uuid: '', webhook_uuid: '', ...headers.gitlab },
    bitbucket: { event: '', request_uuid: '', hook_uuid: '', ...headers.bitbucket },
    gitea: { event: '', delivery: '', ...headers.gitea },
    request_id: headers.request_id ?? '',
  };
  return JSON.stringify({ ...base, ...overrides }).replaceAll('/', '\\/');
}

describe('parseDeliveryLine', () => {
  it('reads a GitHub delivery: route, provider, event, delivery and hook IDs, timings', () => {
    const delivery = parseDeliveryLine(
      record(
        {},
        { github: { event: 'push', delivery: '72d3162e-cc78-11e3-81ab-4c9367dc0958', hook_id: '42' } },
      ),
    );
    expect(delivery).toEqual({
      time: '2026-12-05T19:27:45.086Z',
      timeMs: 1796498865086,
      route: '/github',
      backend: 'route:github',
      method: 'POST',
      path: '/github/push',
      status: 202,
      bytesIn: 1234,
      bytesOut: 147,
      timings: { request: 0, queue: 0, connect: 1, response: 12, active: 13, total: 13 },
      termination: '----',
      client: '203.0.113.7',
      peer: '10.0.0.9',
      provider: 'github',
      event: 'push',
      deliveryId: '72d3162e-cc78-11e3-81ab-4c9367dc0958',
      hookId: '42',
      requestId: undefined,
      cut: [],
    });
  });

  it.each([
    [
      'gitlab',
      { gitlab: { event: 'Push Hook', event_uuid: 'g-1', webhook_uuid: 'g-hook' } },
      'Push Hook',
      'g-1',
      'g-hook',
    ],
    [
      'bitbucket',
      { bitbucket: { event: 'repo:push', request_uuid: 'b-1', hook_uuid: 'b-hook' } },
      'repo:push',
      'b-1',
      'b-hook',
    ],
  ] as const)('reads a %s delivery', (provider, headers, event, deliveryId, hookId) => {
    expect(parseDeliveryLine(record({}, headers))).toMatchObject({ provider, event, deliveryId, hookId });
  });

  it("a Gitea delivery is Gitea's, though Gitea sends X-GitHub-Event and X-GitHub-Delivery too", () => {
    const id = 'a7e3b1c2-5d4f-4e6a-9b8c-0d1e2f3a4b5c';
    expect(
      parseDeliveryLine(
        record({}, { gitea: { event: 'push', delivery: id }, github: { event: 'push', delivery: id } }),
      ),
    ).toMatchObject({ provider: 'gitea', event: 'push', deliveryId: id, hookId: undefined });
  });

  it('a record written before the gitea fields existed still reads', () => {
    const old = JSON.parse(
      record({}, { github: { event: 'push', delivery: 'gh-1' } }).replaceAll('\\/', '/'),
    );
    delete old.gitea;
    expect(parseDeliveryLine(JSON.stringify(old))).toMatchObject({ provider: 'github', deliveryId: 'gh-1' });
  });

  it('a generic sender has no provider, only its X-Request-Id', () => {
    expect(parseDeliveryLine(record({}, { request_id: 'req-9' }))).toMatchObject({
      provider: undefined,
      deliveryId: undefined,
      requestId: 'req-9',
    });
  });

  it('a request no route matched has no route; timings HAProxy did not measure are undefined', () => {
    const delivery = parseDeliveryLine(
      record({ backend: 'no_route', server: '', status: 404, t_connect: -1, t_response: -1, t_queue: -1 }),
    );
    expect(delivery).toMatchObject({ route: undefined, backend: 'no_route', status: 404 });
    expect(delivery?.timings).toMatchObject({ queue: undefined, connect: undefined, response: undefined });
  });

  it('dates a request on a kept-alive connection by its first byte, not by the end of the one before', () => {
    // HAProxy's date for the second request of a connection is the end of the first; %Tt - %Ta later
    // (2 s idle here) its first byte arrived.
    const delivery = parseDeliveryLine(record({ time: 1796498865.086, t_active: 13, t_total: 2014 }));
    expect(delivery?.time).toBe('2026-12-05T19:27:47.087Z');
    expect(delivery?.timeMs).toBe(1796498867087);
    // Without %Ta (a request cut short) the record's own date stands.
    expect(parseDeliveryLine(record({ t_active: -1, t_total: 2014 }))?.timeMs).toBe(1796498865086);
  });

  it('reads through the kubelet timestamp of logs read with timestamps', () => {
    const delivery = parseDeliveryLine(
      `2026-12-05T19:27:45.123456789Z ${record({}, { github: { delivery: 'd-1' } })}`,
    );
    expect(delivery?.deliveryId).toBe('d-1');
  });

  it('keeps hostile values as the sender sent them: quotes, backslashes, control characters, a forged record', () => {
    // What HAProxy's json converter writes for them (checked against a real HAProxy in delivery-log-serve).
    const line =
      '{"time":1796498865.086,"backend":"no_route","server":"","method":"POST","path":"\\/p\\"q\\\\r",' +
      '"status":404,"bytes_in":110,"bytes_out":105,"t_request":0,"t_queue":-1,"t_connect":-1,"t_response":-1,' +
      '"t_active":0,"t_total":0,"termination":"LR--","client":"","peer":"127.0.0.1",' +
      '"github":{"event":"\\",\\"forged\\":\\"1","delivery":"a\\u0001b\\u007fc\\u00e9d\\te","hook_id":""},' +
      '"gitlab":{"event":"","event_uuid":"","webhook_uuid":""},' +
      '"bitbucket":{"event":"","request_uuid":"","hook_uuid":""},"request_id":""}';
    const delivery = parseDeliveryLine(line);
    expect(delivery).toMatchObject({
      path: '/p"q\\r',
      event: '","forged":"1',
      deliveryId: 'a\u0001b\u007fcéd\te',
    });
    expect(delivery).not.toHaveProperty('forged');
  });

  it('names the fields HAProxy cut', () => {
    const long = `${'a'.repeat(128)}[cut]`;
    const delivery = parseDeliveryLine(
      record({ path: `/${'p'.repeat(255)}[cut]` }, { github: { delivery: long } }),
    );
    expect(delivery?.deliveryId).toBe(long);
    expect(delivery?.cut).toEqual(['path', 'github.delivery']);
  });

  it.each([
    ['an HAProxy notice', '[NOTICE]   (1) : haproxy version is 2.6.12-1+deb12u4'],
    [
      'an alert',
      '[ALERT]    (1) : config : parsing [/usr/local/etc/haproxy/haproxy.cfg:12] : unknown keyword',
    ],
    ['a line HAProxy cut short', record().slice(0, 200)],
    ['JSON that is not a record', '{"level":"info","msg":"started"}'],
    [
      'an httplog line',
      '10.0.0.9:4242 [05/Dec/2026:19:27:45.086] gateway route:github/listener 0/0/1/12/13 202 147 - - ---- 1/1/0/0/0 0/0 "POST /github/push HTTP/1.1"',
    ],
    ['an empty line', ''],
  ])('skips %s', (_name, line) => {
    expect(parseDeliveryLine(line)).toBeUndefined();
  });
});

describe('parseDeliveryLog', () => {
  it('gives the records of a log in order, skipping the rest', () => {
    const log = [
      '[NOTICE]   (1) : New worker (8) forked',
      record({ time: 1 }, { github: { delivery: 'first' } }),
      'garbage',
      record({ time: 2 }, { github: { delivery: 'second' } }),
      '',
    ].join('\n');
    expect(parseDeliveryLog(log).map((delivery) => delivery.deliveryId)).toEqual(['first', 'second']);
  });
});

describe('routeOfBackend', () => {
  it.each([
    ['route:github', '/github'],
    ['route:a:b_5fc_7ed', '/a/b_c~d'],
    ['route:', '/'],
    ['header:x-gitlab-event', 'header:x-gitlab-event'],
    ['no_route', undefined],
    ['', undefined],
  ])('%s → %s', (backend, route) => {
    expect(routeOfBackend(backend)).toBe(route);
  });
});
