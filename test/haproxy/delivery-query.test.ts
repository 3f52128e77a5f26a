/** The filters of `deliveries` and the merge of several pods' records, newest first. */
import { describe, expect, it } from 'vitest';
import { type Delivery, parseDeliveryLine } from '../../src/haproxy/delivery-log.ts';
import { mergeNewest, parseStatusFilter, selectDeliveries } from '../../src/haproxy/delivery-query.ts';

function at(time: number, id: string, status = 200): Delivery {
  const parsed = parseDeliveryLine(
    JSON.stringify({
      time,
      backend: 'route:github',
      status,
      github: { event: 'push', delivery: id, hook_id: '' },
    }),
  );
  if (!parsed) throw new Error('not a record');
  return parsed;
}

describe('parseStatusFilter', () => {
  it.each([
    ['2xx', { class: 2 }],
    ['5XX', { class: 5 }],
    ['404', { code: 404 }],
    ['4x', undefined],
    ['600', undefined],
    ['ok', undefined],
  ])('%s', (text, filter) => {
    expect(parseStatusFilter(text)).toEqual(filter);
  });
});

describe('selectDeliveries', () => {
  const podA = [at(1, 'a1'), at(3, 'a3', 502), at(5, 'a5')];
  const podB = [at(2, 'b2', 404), at(4, 'b4')];

  it('merges the pods newest first', () => {
    expect(selectDeliveries([podA, podB], {}).map((d) => d.deliveryId)).toEqual([
      'a5',
      'b4',
      'a3',
      'b2',
      'a1',
    ]);
  });

  it('keeps the newest up to the limit, after filtering', () => {
    expect(selectDeliveries([podA, podB], { status: { class: 2 } }, 2).map((d) => d.deliveryId)).toEqual([
      'a5',
      'b4',
    ]);
  });

  it('matches the delivery ID exactly, and time from --since on', () => {
    expect(selectDeliveries([podA, podB], { id: 'b' })).toEqual([]);
    expect(selectDeliveries([podA, podB], { id: 'b2' }).map((d) => d.status)).toEqual([404]);
    expect(selectDeliveries([podA, podB], { sinceMs: 4000 }).map((d) => d.deliveryId)).toEqual(['a5', 'b4']);
  });
});

describe('mergeNewest', () => {
  const key = (delivery: Delivery) => delivery.deliveryId ?? '';
  const ids = (deliveries: Delivery[]) => deliveries.map(key);

  it('puts arrivals in their place by time, newest first, and keeps at most max', () => {
    const list = [at(9, 'n9'), at(5, 'n5'), at(1, 'n1')];
    expect(ids(mergeNewest(list, [at(7, 'n7'), at(10, 'n10'), at(2, 'n2')], key))).toEqual([
      'n10',
      'n9',
      'n7',
      'n5',
      'n2',
      'n1',
    ]);
    expect(ids(mergeNewest(list, [at(7, 'n7'), at(10, 'n10')], key, 3))).toEqual(['n10', 'n9', 'n7']);
    expect(ids(mergeNewest(list, [], key, 2))).toEqual(['n9', 'n5']);
  });

  it('adds a record it already holds, or one repeated in the arrivals, once', () => {
    const list = [at(5, 'n5'), at(1, 'n1')];
    expect(ids(mergeNewest(list, [at(5, 'n5'), at(6, 'n6'), at(6, 'n6')], key))).toEqual(['n6', 'n5', 'n1']);
  });

  it('keeps records of one millisecond in the order they were written, the later first', () => {
    expect(ids(mergeNewest([at(3, 'first')], [at(3, 'second'), at(3, 'third')], key))).toEqual([
      'third',
      'second',
      'first',
    ]);
  });

  it('leaves the list it was given as it was', () => {
    const list = [at(5, 'n5')];
    mergeNewest(list, [at(6, 'n6')], key);
    expect(ids(list)).toEqual(['n5']);
  });
});
