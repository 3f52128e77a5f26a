/**
 * The feed hook keeps every route's newest deliveries, but draws a frame only when the route on
 * screen gets one: traffic to the other routes changes nothing the user sees. The feed itself is a
 * stand-in the test drives (the real one is tested against real HAProxy pods).
 */
import { cleanup, render } from 'ink-testing-library';
import { act } from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import type { KubeClient } from '../../../src/kube/client.ts';
import type { ListedDelivery } from '../../../src/services/deliveries.ts';
import type { DeliveryFeedOptions, runDeliveryFeed } from '../../../src/services/delivery-feed.ts';
import type { GatewayLocation } from '../../../src/services/gateway.ts';
import { type LiveDeliveries, useDeliveryFeed } from '../../../src/ui/status/use-delivery-feed.ts';
import { delivery } from './status-fixture.ts';

afterEach(cleanup);

const kube = {} as KubeClient;
const location = { namespace: 'trigger-gateway' } as GatewayLocation;

function probe(shown: string) {
  let feed: DeliveryFeedOptions | undefined;
  const run: typeof runDeliveryFeed = async (_kube, _location, options) => {
    feed = options;
    await new Promise<void>((stopped) => options.signal.addEventListener('abort', () => stopped()));
  };
  const drawn: LiveDeliveries[] = [];
  const Probe = ({ backend }: { backend: string }) => {
    drawn.push(useDeliveryFeed(kube, location, backend, run));
    return null;
  };
  const app = render(<Probe backend={shown} />);
  const send = (batch: ListedDelivery[]) => act(() => feed?.onBatch(batch));
  return { app, Probe, drawn, send, feed: () => feed };
}

const gitlab = (secondsAgo: number) =>
  delivery(secondsAgo, { backend: 'be_gitlab', deliveryId: `gl-${secondsAgo}` });

describe('useDeliveryFeed', () => {
  it('draws for deliveries to the route on screen, keeps the others without drawing', () => {
    const { drawn, send } = probe('be_github');
    const frames = drawn.length;
    send([gitlab(9)]);
    send([gitlab(8), gitlab(7)]);
    expect(drawn).toHaveLength(frames);
    send([gitlab(6), delivery(5)]);
    expect(drawn).toHaveLength(frames + 1);
    const latest = drawn.at(-1);
    expect(latest?.recent.get('be_github')?.map((each) => each.deliveryId)).toEqual(['gh-5']);
    expect(latest?.recent.get('be_gitlab')?.map((each) => each.deliveryId)).toEqual([
      'gl-6',
      'gl-7',
      'gl-8',
      'gl-9',
    ]);
  });

  it("shows another route's kept deliveries as soon as it is on screen", () => {
    const { app, Probe, drawn, send } = probe('be_github');
    send([gitlab(4)]);
    app.rerender(<Probe backend="be_gitlab" />);
    expect(
      drawn
        .at(-1)
        ?.recent.get('be_gitlab')
        ?.map((each) => each.deliveryId),
    ).toEqual(['gl-4']);
  });

  it('hands every batch to the open list, and stops when it unsubscribes', () => {
    const { drawn, send } = probe('be_github');
    const heard: ListedDelivery[][] = [];
    const unsubscribe = drawn.at(-1)?.subscribe((batch) => heard.push([...batch]));
    send([gitlab(3)]);
    unsubscribe?.();
    send([gitlab(2)]);
    expect(heard.map((batch) => batch.map((each) => each.deliveryId))).toEqual([['gl-3']]);
  });

  it('says why there are none, and stops the feed when it is gone', () => {
    const { app, drawn, feed } = probe('be_github');
    act(() => feed()?.onUnavailable('no gateway pods\nfix: kubectl -n x get deployment y'));
    expect(drawn.at(-1)?.unavailable).toBe('no gateway pods\nfix: kubectl -n x get deployment y');
    app.unmount();
    expect(feed()?.signal.aborted).toBe(true);
  });
});
