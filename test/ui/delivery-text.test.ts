/**
 * `deliveries` as text: 4xx and 5xx rows coloured on a terminal only, and what a sender put in its
 * headers never reaches the terminal as control characters.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { parseDeliveryLine } from '../../src/haproxy/delivery-log.ts';
import type { ListedDelivery } from '../../src/services/deliveries.ts';
import {
  DELIVERY_FOLLOW_HEADER,
  renderDeliveryDetail,
  renderDeliveryFollowRow,
  renderDeliveryTable,
} from '../../src/ui/delivery-text.ts';
import { styleFor } from '../../src/ui/style.ts';

function delivery(status: number, deliveryId: string): ListedDelivery {
  const line = JSON.stringify({
    time: 1796498865.086,
    backend: 'route:github',
    server: 'listener',
    method: 'POST',
    path: '/github/push',
    status,
    bytes_in: 10,
    bytes_out: 20,
    t_request: 0,
    t_queue: 0,
    t_connect: 1,
    t_response: 2,
    t_active: 3,
    t_total: 3,
    termination: '----',
    client: '',
    peer: '10.0.0.9',
    github: { event: 'push', delivery: deliveryId, hook_id: '' },
    gitlab: { event: '', event_uuid: '', webhook_uuid: '' },
    bitbucket: { event: '', request_uuid: '', hook_uuid: '' },
    request_id: '',
  });
  const parsed = parseDeliveryLine(line);
  if (!parsed) throw new Error('not a record');
  return { ...parsed, pod: 'trigger-gateway-1', target: 'el-github.ci:8080' };
}

const terminal = { isTTY: true } as unknown as NodeJS.WritableStream;
const pipe = { isTTY: false } as unknown as NodeJS.WritableStream;
const noColor = process.env.NO_COLOR;
afterEach(() => {
  if (noColor === undefined) delete process.env.NO_COLOR;
  else process.env.NO_COLOR = noColor;
});

describe('renderDeliveryTable', () => {
  const rows = [delivery(200, 'ok'), delivery(404, 'missing'), delivery(503, 'down')];

  it('colours 4xx rows yellow and 5xx rows red on a terminal', () => {
    delete process.env.NO_COLOR;
    const lines = renderDeliveryTable(rows, styleFor(terminal)).split('\n');
    expect(lines[1]).not.toContain('\u001b[');
    expect(lines[2]?.startsWith('\u001b[33m')).toBe(true);
    expect(lines[2]).toContain('missing');
    expect(lines[2]?.endsWith('\u001b[39m')).toBe(true);
    expect(lines[3]?.startsWith('\u001b[31m')).toBe(true);
    expect(lines[3]).toContain('down');
    expect(lines[3]?.endsWith('\u001b[39m')).toBe(true);
  });

  it('is plain text in a pipe', () => {
    expect(renderDeliveryTable(rows, styleFor(pipe))).not.toContain('\u001b[');
  });

  it('shows control characters from a header escaped, never raw', () => {
    const hostile = delivery(200, 'id\u001b[2J\u0007end');
    const text = renderDeliveryTable([hostile], styleFor(pipe));
    expect(text).toContain('id\\u001b[2J\\u0007end');
    expect(text).not.toContain('\u001b');
    expect(renderDeliveryDetail(hostile, styleFor(pipe))).not.toContain('\u001b');
  });

  it('says how to send one when there are none', () => {
    expect(renderDeliveryTable([], styleFor(pipe))).toContain('kubectl trigger-gateway test');
  });
});

describe('renderDeliveryFollowRow', () => {
  it('lines up under the header, the pod first, whatever the row before it was', () => {
    const header = DELIVERY_FOLLOW_HEADER;
    const row = renderDeliveryFollowRow(delivery(200, 'abc'), styleFor(pipe));
    expect(row.indexOf('trigger-gateway-1')).toBe(header.indexOf('POD'));
    expect(row.indexOf('github/push')).toBe(header.indexOf('PROVIDER/EVENT'));
    expect(row.indexOf('el-github.ci:8080')).toBe(header.indexOf('BACKEND'));
  });

  it('colours a 5xx row red on a terminal, escapes control characters', () => {
    delete process.env.NO_COLOR;
    const red = renderDeliveryFollowRow(delivery(503, 'down'), styleFor(terminal));
    expect(red.startsWith('\u001b[31m') && red.endsWith('\u001b[39m')).toBe(true);
    expect(renderDeliveryFollowRow(delivery(200, 'a\u001b[2Jb'), styleFor(pipe))).toContain('a\\u001b[2Jb');
  });
});
