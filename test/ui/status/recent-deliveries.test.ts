/** What the status screen keeps of the delivery feed: each route's newest few, and the open route's list. */
import { describe, expect, it } from 'vitest';
import type { ListedDelivery } from '../../../src/services/deliveries.ts';
import {
  addRecent,
  addToRouteList,
  RECENT_PER_ROUTE,
  type RecentDeliveries,
} from '../../../src/ui/status/recent-deliveries.ts';
import { delivery } from './status-fixture.ts';

const ids = (deliveries: readonly ListedDelivery[] | undefined) =>
  (deliveries ?? []).map((each) => each.deliveryId);
const gitlab = (secondsAgo: number) =>
  delivery(secondsAgo, { backend: 'be_gitlab', deliveryId: `gl-${secondsAgo}` });

describe('addRecent', () => {
  it("keeps each route's newest few, newest first, across batches and pods", () => {
    let recent: RecentDeliveries = new Map();
    recent = addRecent(recent, [delivery(60), delivery(50), gitlab(55), delivery(40)]);
    recent = addRecent(recent, [
      delivery(45, { pod: 'trigger-gateway-other' }),
      delivery(30),
      delivery(20),
      delivery(10),
    ]);
    expect(ids(recent.get('be_github'))).toEqual(['gh-10', 'gh-20', 'gh-30', 'gh-40', 'gh-45']);
    expect(recent.get('be_github')).toHaveLength(RECENT_PER_ROUTE);
    expect(ids(recent.get('be_gitlab'))).toEqual(['gl-55']);
  });

  it('shows a record read twice (the feed started again) once', () => {
    const history = [delivery(30), delivery(20)];
    const recent = addRecent(addRecent(new Map(), history), [...history, delivery(5)]);
    expect(ids(recent.get('be_github'))).toEqual(['gh-5', 'gh-20', 'gh-30']);
  });

  it('tells apart two records of the same millisecond on different pods', () => {
    const recent = addRecent(new Map(), [delivery(5), delivery(5, { pod: 'trigger-gateway-other' })]);
    expect(recent.get('be_github')).toHaveLength(2);
  });
});

describe('addToRouteList', () => {
  it("adds the open route's new records only, keeping the ones it has", () => {
    const list = [delivery(30), delivery(20)].reverse();
    expect(ids(addToRouteList(list, [gitlab(10), delivery(5), delivery(20)], 'be_github'))).toEqual([
      'gh-5',
      'gh-20',
      'gh-30',
    ]);
  });
});
