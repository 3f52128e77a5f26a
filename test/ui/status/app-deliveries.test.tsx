/**
 * The status screen with the delivery feed: the selected route's newest deliveries update as they
 * arrive, d opens the route's whole list (read once, then kept current), Enter shows one in full.
 * The feed and the list reader are stand-ins the test drives; no timers, no network.
 */
import { cleanup, render } from 'ink-testing-library';
import { act, useState } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ListedDelivery } from '../../../src/services/deliveries.ts';
import type { RouteStatus } from '../../../src/services/status-model.ts';
import { StatusApp } from '../../../src/ui/status/app.tsx';
import { addRecent, type RecentDeliveries } from '../../../src/ui/status/recent-deliveries.ts';
import type { DeliveryListener, LiveDeliveries } from '../../../src/ui/status/use-delivery-feed.ts';
import { delivery, gatewayStatus, NOW } from './status-fixture.ts';

afterEach(cleanup);

const DOWN = '\u001B[B';
const ENTER = '\r';
const ESC = '\u001B';

/** A stand-in for the feed hook: batches the test publishes, kept as the real hook keeps them. */
function fakeFeed(history: ListedDelivery[] = []) {
  const listeners = new Set<DeliveryListener>();
  // One function for the screen's lifetime, as the real hook gives.
  const subscribe = (listener: DeliveryListener) => {
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
    };
  };
  let setRecent: (update: (recent: RecentDeliveries) => RecentDeliveries) => void = () => {};
  return {
    listeners,
    publish(batch: ListedDelivery[]) {
      act(() => {
        setRecent((recent) => addRecent(recent, batch));
        for (const listener of listeners) listener(batch);
      });
    },
    useDeliveries(): LiveDeliveries {
      const [recent, update] = useState<RecentDeliveries>(() => addRecent(new Map(), history));
      setRecent = update;
      return { recent, unavailable: undefined, subscribe };
    },
  };
}

/** A list reader that answers when the test says, recording what it was asked for. */
function fakeReader() {
  const reads: { route: RouteStatus; answer: (deliveries: ListedDelivery[]) => void }[] = [];
  const load = vi.fn(
    (route: RouteStatus) =>
      new Promise<ListedDelivery[]>((resolve) =>
        reads.push({ route, answer: (list) => act(() => resolve(list)) }),
      ),
  );
  return { reads, load };
}

function start(feed = fakeFeed(), reader = fakeReader()) {
  const status = gatewayStatus();
  const app = render(
    <StatusApp
      useStatus={() => ({ status, refresh: () => {} })}
      onTest={async () => ''}
      onLogs={() => {}}
      useDeliveries={feed.useDeliveries}
      loadRouteDeliveries={reader.load}
      now={() => NOW}
    />,
  );
  const frame = () => app.lastFrame() ?? '';
  const shows = (text: string | RegExp) =>
    vi.waitFor(() =>
      typeof text === 'string' ? expect(frame()).toContain(text) : expect(frame()).toMatch(text),
    );
  const selectedLine = () =>
    frame()
      .split('\n')
      .find((line) => line.startsWith('›')) ?? '';
  return { ...app, frame, shows, selectedLine, feed, reader };
}

describe('StatusApp with deliveries', () => {
  it("shows the selected route's newest deliveries, and a new one as soon as it arrives", async () => {
    const { stdin, shows, frame, feed } = start(
      fakeFeed([delivery(30), delivery(20, { backend: 'be_gitlab', deliveryId: 'gl-20' })]),
    );
    await shows('Deliveries to /github');
    await shows('gh-30');
    expect(frame()).not.toContain('gl-20');
    feed.publish([delivery(2, { status: 500 })]);
    await shows(/2s\s+github\/push\s+gh-2\s+500/);
    stdin.write(DOWN);
    await shows('Deliveries to /gitlab');
    await shows('gl-20');
    expect(frame()).not.toContain('gh-30');
  });

  it('d reads the whole list of the selected route once, keeping what arrives during and after the read', async () => {
    const { stdin, shows, frame, feed, reader } = start();
    await shows('› /github');
    stdin.write(DOWN);
    await shows('› /gitlab');
    stdin.write('d');
    await shows("Deliveries to /gitlab  reading the gateway pods' logs…");
    expect(reader.load).toHaveBeenCalledTimes(1);
    expect(reader.reads[0]?.route.match).toBe('/gitlab');
    const gitlab = (secondsAgo: number) =>
      delivery(secondsAgo, { backend: 'be_gitlab', deliveryId: `gl-${secondsAgo}` });
    // Recorded while the logs are read: it must not be lost, nor the other route's.
    feed.publish([gitlab(5), delivery(4)]);
    reader.reads[0]?.answer([gitlab(5), gitlab(40), gitlab(50)]);
    await shows('1 of 3');
    expect(frame()).toMatch(/gl-5[\s\S]*gl-40[\s\S]*gl-50/);
    expect(frame()).not.toContain('gh-4');
    feed.publish([gitlab(1)]);
    await shows('1 of 4, newest first');
    expect(frame()).toMatch(/› \S+\s+github\/push\s+gl-1/);
    expect(reader.load).toHaveBeenCalledTimes(1);
  });

  it('keeps the selection on its delivery when newer ones arrive, and Enter shows that one', async () => {
    const { stdin, shows, selectedLine, feed, reader } = start();
    await shows('› /github');
    stdin.write('d');
    await vi.waitFor(() => expect(reader.reads).toHaveLength(1));
    reader.reads[0]?.answer([delivery(30), delivery(20), delivery(10)]);
    await shows('1 of 3');
    stdin.write('j');
    await shows('2 of 3');
    expect(selectedLine()).toContain('gh-20');
    feed.publish([delivery(3), delivery(2)]);
    await shows('4 of 5');
    expect(selectedLine()).toContain('gh-20');
    stdin.write(ENTER);
    await shows(/Delivery ID:\s+gh-20/);
    // Newer deliveries arriving do not change the one shown.
    feed.publish([delivery(1)]);
    await shows(/Delivery ID:\s+gh-20/);
    stdin.write(ESC);
    await shows('5 of 6');
    expect(selectedLine()).toContain('gh-20');
    stdin.write('d');
    await shows('› /github');
    await shows('Deliveries to /github  d: all of them');
  });

  it('r reads the open list again; leaving and opening another route reads that one', async () => {
    const { stdin, shows, reader } = start();
    await shows('› /github');
    stdin.write('d');
    await vi.waitFor(() => expect(reader.reads).toHaveLength(1));
    reader.reads[0]?.answer([delivery(30)]);
    await shows('1 of 1');
    stdin.write('r');
    await vi.waitFor(() => expect(reader.reads).toHaveLength(2));
    await shows("reading the gateway pods' logs…");
    reader.reads[1]?.answer([delivery(30), delivery(8)]);
    await shows('1 of 2');
    stdin.write(ESC);
    await shows('› /github');
    stdin.write(DOWN);
    await shows('› /gitlab');
    stdin.write(ENTER);
    await vi.waitFor(() => expect(reader.reads).toHaveLength(3));
    expect(reader.reads[2]?.route.match).toBe('/gitlab');
  });

  it('stops listening to the feed when the list is closed', async () => {
    const { stdin, shows, feed, reader } = start();
    await shows('› /github');
    stdin.write('d');
    await vi.waitFor(() => expect(feed.listeners.size).toBe(1));
    reader.reads[0]?.answer([]);
    stdin.write(ESC);
    await shows('› /github');
    await vi.waitFor(() => expect(feed.listeners.size).toBe(0));
  });

  it('shows why the list could not be read', async () => {
    const reader = fakeReader();
    reader.load.mockImplementationOnce(async () => {
      throw new Error('no gateway pods in namespace trigger-gateway to read deliveries from');
    });
    const { stdin, shows } = start(fakeFeed(), reader);
    await shows('› /github');
    stdin.write('d');
    await shows('no gateway pods in namespace trigger-gateway to read deliveries from');
  });
});
