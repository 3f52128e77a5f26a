import { describe, expect, it } from 'vitest';
import {
  ageAt,
  compactCount,
  fit,
  msUntilAgeChanges,
  oneLine,
  shortAge,
} from '../../../src/ui/status/cells.ts';
import { placeColumns, type ColumnSpec } from '../../../src/ui/status/columns.ts';
import { planScreen, routeWindow } from '../../../src/ui/status/screen-plan.ts';

describe('cells', () => {
  it('writes ages the way kubectl does', () => {
    expect([0, 45, 60, 179, 3600, 7200, 86_400 * 4, 86_400 * 800].map(shortAge)).toEqual([
      '0s',
      '45s',
      '1m',
      '2m',
      '1h',
      '2h',
      '4d',
      '2y',
    ]);
    expect(shortAge(-5)).toBe('0s');
    expect(ageAt('2025-06-01T11:57:00Z', Date.parse('2025-06-01T12:00:00Z'))).toBe('3m');
    expect(ageAt('not a time', 0)).toBe('?');
  });

  it('knows when an age will next read differently, and that it reads the same until then', () => {
    const now = Date.parse('2025-06-01T12:00:00Z');
    const seconds = 1000;
    const cases: [elapsedMs: number, untilChange: number][] = [
      [3 * seconds, 1 * seconds],
      [3.5 * seconds, 0.5 * seconds],
      [-0.5 * seconds, 1.5 * seconds],
      [90 * seconds, 30 * seconds],
      [150 * 60 * seconds, 30 * 60 * seconds],
      [729.5 * 86_400 * seconds, 0.5 * 86_400 * seconds],
      [800 * 86_400 * seconds, 295 * 86_400 * seconds],
    ];
    for (const [elapsed, untilChange] of cases) {
      const iso = new Date(now - elapsed).toISOString();
      expect(msUntilAgeChanges(iso, now)).toBe(untilChange);
      expect(ageAt(iso, now + untilChange - 1)).toBe(ageAt(iso, now));
      expect(ageAt(iso, now + untilChange)).not.toBe(ageAt(iso, now));
    }
    expect(msUntilAgeChanges('not a time', now)).toBe(Infinity);
  });

  it('keeps counters short', () => {
    expect([0, 9999, 10_000, 123_456, 999_999, 1_234_567].map(compactCount)).toEqual([
      '0',
      '9999',
      '10k',
      '123k',
      '999k',
      '1M',
    ]);
  });

  it('fits text to an exact width', () => {
    expect(fit('abc', 5)).toBe('abc  ');
    expect(fit('abc', 5, 'right')).toBe('  abc');
    expect(fit('abcdef', 4)).toBe('abc…');
    expect(fit('abc', 0)).toBe('');
    expect(oneLine(' a\n\tb\r\nc ')).toBe('a b c');
  });
});

describe('placeColumns', () => {
  const specs: ColumnSpec[] = [
    { header: 'NAME', shrinks: true, min: 4 },
    { header: 'TARGET', shrinks: true, min: 6 },
    { header: 'N', align: 'right', dropRank: 1 },
  ];
  const rows = [['a-long-name', 'a-longer-target', '12']];

  it('sizes columns to their content when that fits', () => {
    expect(placeColumns(specs, rows, 80, { gap: 1, indent: 2 })).toEqual([
      { index: 0, width: 11 },
      { index: 1, width: 15 },
      { index: 2, width: 2 },
    ]);
  });

  it('cuts the widest text column first, then drops columns', () => {
    expect(placeColumns(specs, rows, 25, { gap: 1, indent: 2 })).toEqual([
      { index: 0, width: 10 },
      { index: 1, width: 9 },
      { index: 2, width: 2 },
    ]);
    expect(placeColumns(specs, rows, 13, { gap: 1, indent: 2 })).toEqual([
      { index: 0, width: 4 },
      { index: 1, width: 6 },
    ]);
  });
});

describe('planScreen', () => {
  const content = { room: 21, pods: 2, rolloutLine: false, routes: 2, events: 0, notices: 0 };

  it('shows everything, with blank lines between sections, when it fits', () => {
    expect(planScreen(content)).toEqual({
      podRows: 2,
      routeRows: 2,
      deliveryRows: 0,
      eventRows: 0,
      noticeRows: 0,
      gaps: true,
    });
  });

  it('gives routes the room, but keeps a pod, events and notices on screen', () => {
    const plan = planScreen({ ...content, pods: 5, rolloutLine: true, routes: 100, events: 30, notices: 3 });
    expect(plan).toMatchObject({ podRows: 3, eventRows: 2, noticeRows: 3, gaps: false });
    // header + rows + "more" for pods and routes, a title for events, and the notices
    expect(1 + 1 + plan.podRows + 1 + (1 + plan.routeRows + 1) + (1 + plan.eventRows) + plan.noticeRows).toBe(
      21,
    );
  });

  it('keeps the pods, and a stuck rollout, on a tiny screen', () => {
    expect(planScreen({ ...content, room: 4, pods: 3, rolloutLine: true, routes: 100 }).podRows).toBe(1);
  });
});

describe('routeWindow', () => {
  it('keeps the selection in the middle of the window, and the window within the routes', () => {
    expect(routeWindow(0, 100, 10)).toEqual({ first: 0, above: 0, below: 90 });
    expect(routeWindow(50, 100, 10)).toEqual({ first: 46, above: 46, below: 44 });
    expect(routeWindow(99, 100, 10)).toEqual({ first: 90, above: 90, below: 0 });
    expect(routeWindow(1, 3, 10)).toEqual({ first: 0, above: 0, below: 0 });
  });
});
