/**
 * Deliveries on the status screen: the selected route's newest under the routes, a route's whole list
 * (d) and one delivery in full (Enter), each fitting the terminal, with what a stranger sent escaped.
 */
import { cleanup, render } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import type { ListedDelivery } from '../../../src/services/deliveries.ts';
import type { GatewayStatus } from '../../../src/services/status-model.ts';
import { initialUiState, type StatusUiState } from '../../../src/ui/status/keys.ts';
import {
  msUntilAgesChange,
  type OpenedDeliveries,
  type RecentOfRoute,
  StatusView,
} from '../../../src/ui/status/view.tsx';
import { crowdedStatus, delivery, gatewayStatus, NOW } from './status-fixture.ts';

afterEach(cleanup);

interface Screen {
  status?: GatewayStatus;
  state?: Partial<StatusUiState>;
  width?: number;
  height?: number;
  recent?: RecentOfRoute;
  opened?: OpenedDeliveries;
}

function frameOf({ status = gatewayStatus(), state, width = 80, height = 24, recent, opened }: Screen) {
  return (
    render(
      <StatusView
        status={status}
        state={{ ...initialUiState, ...state }}
        width={width}
        height={height}
        now={NOW}
        recent={recent}
        opened={opened}
      />,
    ).lastFrame() ?? ''
  );
}

const lines = (frame: string) => frame.split('\n');
const lineWith = (frame: string, text: string) => lines(frame).find((line) => line.includes(text)) ?? '';
const recentOf = (deliveries: ListedDelivery[], unavailable?: string): RecentOfRoute => ({
  deliveries,
  unavailable,
});
const many = (count: number) => Array.from({ length: count }, (_, index) => delivery(index * 7 + 2));

describe('under the routes', () => {
  it("shows the selected route's newest deliveries: age, event, ID, status and total time", () => {
    const frame = frameOf({
      recent: recentOf([delivery(4), delivery(95, { status: 503, event: 'pull_request' })]),
    });
    expect(frame).toContain('Deliveries to /github  d: all of them');
    expect(lineWith(frame, 'DELIVERY ID')).toMatch(/AGE\s+EVENT\s+DELIVERY ID\s+STATUS\s+TOTAL/);
    expect(lineWith(frame, 'gh-4')).toMatch(/4s\s+github\/push\s+gh-4\s+202\s+12ms/);
    expect(lineWith(frame, 'gh-95')).toMatch(/1m\s+github\/pull_request\s+gh-95\s+503\s+12ms/);
  });

  it('names the route the selection is on', () => {
    expect(frameOf({ state: { selected: 1 }, recent: recentOf([]) })).toContain('Deliveries to /gitlab');
  });

  it('says there are none yet and how to send one, or why none can be shown', () => {
    expect(frameOf({ recent: recentOf([]) })).toContain(
      "none in the gateway pods' logs yet: t sends a test delivery",
    );
    const frame = frameOf({
      recent: recentOf(
        [],
        'the gateway in namespace ci does not record deliveries\nfix: kubectl trigger-gateway install -n ci',
      ),
    });
    expect(lineWith(frame, 'does not record')).toBe(
      '  the gateway in namespace ci does not record deliveries',
    );
    expect(lineWith(frame, 'fix:')).toBe('  fix: kubectl trigger-gateway install -n ci');
  });

  it('is left out when deliveries are not followed, and on a screen with no routes', () => {
    expect(frameOf({})).not.toContain('Deliveries to');
    expect(frameOf({ status: gatewayStatus({ routes: [] }), recent: recentOf([delivery(3)]) })).not.toContain(
      'Deliveries to',
    );
  });

  it('never lets header values a sender chose reach the terminal as control characters', () => {
    const frame = frameOf({
      recent: recentOf([delivery(3, { deliveryId: 'evil\u001b[2J\u0007id', event: 'push\r\nX' })]),
    });
    expect(frame).not.toContain('\u0007');
    expect(frame).not.toContain('\u001b[2J');
    expect(frame).toContain('evil\\u001b[2J\\u0007id');
  });

  it.each([
    [80, 24],
    [40, 12],
    [200, 60],
  ])('fits %i×%i with a crowded gateway, leaving the routes at least three rows', (width, height) => {
    const frame = frameOf({ status: crowdedStatus(), width, height, recent: recentOf(many(5)) });
    expect(lines(frame).length).toBeLessThanOrEqual(height);
    for (const line of lines(frame)) expect([...line].length).toBeLessThanOrEqual(width);
    const routeRows = (text: string) => lines(text).filter((line) => line.includes('/hook-')).length;
    const without = frameOf({ status: crowdedStatus(), width, height });
    expect(routeRows(frame)).toBeGreaterThanOrEqual(Math.min(routeRows(without), 3));
    if (height >= 60) for (const each of many(5)) expect(frame).toContain(each.deliveryId);
  });

  it('shows all five on a screen with room', () => {
    const frame = frameOf({ height: 40, recent: recentOf(many(5)) });
    for (const each of many(5)) expect(frame).toContain(each.deliveryId);
  });

  it('ages its rows with the clock: the next frame is due when the newest delivery turns a second older', () => {
    const status = gatewayStatus({ observedAt: new Date(NOW).toISOString(), pods: [], events: [] });
    const fresh = { ...delivery(0), time: new Date(NOW - 400).toISOString() };
    expect(msUntilAgesChange(status, NOW, [fresh])).toBe(600);
  });
});

describe('a route opened with d', () => {
  const opened = (overrides: Partial<OpenedDeliveries> = {}): OpenedDeliveries => ({
    match: '/github',
    deliveries: many(40),
    error: undefined,
    detail: undefined,
    ...overrides,
  });

  it('lists its deliveries with their full time and pod, the selection marked, newest first', () => {
    const frame = frameOf({ state: { screen: 'deliveries', deliverySelected: 1 }, opened: opened() });
    expect(frame).toContain('Deliveries to /github  2 of 40, newest first');
    expect(lineWith(frame, 'TIME')).toMatch(/TIME\s+EVENT\s+DELIVERY ID\s+STATUS\s+TOTAL\s+POD/);
    expect(lineWith(frame, 'gh-9')).toMatch(/^› 2025-06-01T11:59:51\.000Z\s+github\/push\s+gh-9\s+202/);
    expect(frame).not.toContain('MATCH');
    expect(lines(frame).at(-1)).toBe('↑↓ select  Enter details  r read again  d Esc back  q quit');
  });

  it('scrolls to keep the selection in view, and says how many are below', () => {
    const frame = frameOf({ state: { screen: 'deliveries', deliverySelected: 39 }, opened: opened() });
    expect(lineWith(frame, '›')).toContain('gh-275');
    const top = frameOf({ state: { screen: 'deliveries' }, opened: opened() });
    expect(top).toMatch(/↓ \d+ older/);
    expect(lines(top).length).toBeLessThanOrEqual(24);
  });

  it('says it is reading, that there are none, or why it could not read', () => {
    expect(frameOf({ state: { screen: 'deliveries' }, opened: opened({ deliveries: undefined }) })).toContain(
      "reading the gateway pods' logs…",
    );
    expect(frameOf({ state: { screen: 'deliveries' }, opened: opened({ deliveries: [] }) })).toContain(
      'new ones appear here as they arrive',
    );
    const failed = frameOf({
      state: { screen: 'deliveries' },
      opened: opened({ deliveries: [], error: 'no gateway pods in namespace trigger-gateway' }),
    });
    expect(failed).toContain('no gateway pods in namespace trigger-gateway');
  });

  it('shows one delivery in full on Enter: timings, client, pod, backend', () => {
    const frame = frameOf({
      state: { screen: 'delivery' },
      opened: opened({ detail: delivery(9, { status: 502, termination: 'SH--' }) }),
    });
    expect(frame).toMatch(/Delivery ID:\s+gh-9/);
    expect(frame).toMatch(/Status:\s+502/);
    expect(frame).toMatch(/Termination:\s+SH--/);
    expect(frame).toMatch(/Timings:\s+request 0ms, queue 0ms, connect 1ms, response 11ms/);
    expect(frame).toMatch(/Client:\s+140\.82\.115\.1/);
    expect(frame).toMatch(/Backend:\s+el-github\.ci:8080 \(HAProxy backend be_github\)/);
    expect(lines(frame).at(-1)).toBe('Esc back  q quit');
  });

  it('fits a small terminal on every screen', () => {
    for (const state of [{ screen: 'deliveries' as const }, { screen: 'delivery' as const }]) {
      const frame = frameOf({ state, width: 40, height: 10, opened: opened({ detail: delivery(9) }) });
      expect(lines(frame).length).toBeLessThanOrEqual(10);
      for (const line of lines(frame)) expect([...line].length).toBeLessThanOrEqual(40);
    }
  });
});
