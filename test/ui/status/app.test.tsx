import { cleanup, render } from 'ink-testing-library';
import { act, useEffect, useState } from 'react';
import { afterEach, beforeEach, describe, expect, it, vi, type Mock } from 'vitest';
import type { GatewayStatus, RouteStatus } from '../../../src/services/status-model.ts';
import { StatusApp, type LiveStatus } from '../../../src/ui/status/app.tsx';
import { gatewayStatus, NOW, route } from './status-fixture.ts';

afterEach(() => {
  cleanup();
  vi.restoreAllMocks();
});

const DOWN = '\u001B[B';
const CTRL_C = '\u0003';
const ESC = '\u001B';

/** A stand-in for the real polling hook: a reading the test can replace, and a record of refreshes and unmounts. */
function fakeGateway(initial: GatewayStatus | undefined) {
  let publish: (status: GatewayStatus) => void = () => {};
  const gateway = {
    refresh: vi.fn(),
    stopped: false,
    publish: (status: GatewayStatus) => publish(status),
    useStatus(): LiveStatus {
      const [status, setStatus] = useState(initial);
      publish = setStatus;
      useEffect(
        () => () => {
          gateway.stopped = true;
        },
        [],
      );
      return { status, refresh: gateway.refresh };
    },
  };
  return gateway;
}

function start(
  gateway = fakeGateway(gatewayStatus()),
  {
    onTest = vi.fn(async (tested: RouteStatus) => `${tested.match}: 202 Accepted in 12ms`),
    now = () => NOW,
  }: { onTest?: Mock<(route: RouteStatus) => Promise<string>>; now?: () => number } = {},
) {
  const onLogs = vi.fn();
  const app = render(<StatusApp useStatus={gateway.useStatus} onTest={onTest} onLogs={onLogs} now={now} />);
  const frame = () => app.lastFrame() ?? '';
  const shows = (text: string | RegExp) =>
    vi.waitFor(() =>
      typeof text === 'string' ? expect(frame()).toContain(text) : expect(frame()).toMatch(text),
    );
  return { ...app, frame, shows, onTest, onLogs, gateway };
}

describe('StatusApp', () => {
  it('shows the reading from the status hook', async () => {
    const { shows } = start();
    await shows('› /github');
    await shows('updated 3s ago');
  });

  it('moves the selection with the arrow keys and tests the selected route', async () => {
    const { stdin, shows, onTest } = start();
    await shows('› /github');
    stdin.write(DOWN);
    await shows('› /gitlab');
    stdin.write('t');
    await shows('/gitlab: 202 Accepted in 12ms');
    expect(onTest).toHaveBeenCalledTimes(1);
    expect(onTest.mock.calls[0]?.[0]).toMatchObject({ match: '/gitlab' });
  });

  it('says a test is running until it answers', async () => {
    let answer: (line: string) => void = () => {};
    const { stdin, shows, frame, onTest } = start(fakeGateway(gatewayStatus()), {
      onTest: vi.fn(() => new Promise<string>((resolve) => (answer = resolve))),
    });
    await shows('› /github');
    stdin.write('t');
    await shows('testing /github…');
    // A second test waits for the first; the arrow after it shows the key was handled.
    stdin.write('t');
    stdin.write(DOWN);
    await shows('› /gitlab');
    expect(frame()).toContain('testing /github…');
    answer('/github: 503 Service Unavailable');
    await shows('/github: 503 Service Unavailable');
    expect(onTest).toHaveBeenCalledTimes(1);
  });

  it('shows a test that fails to run as a message', async () => {
    const { stdin, shows } = start(fakeGateway(gatewayStatus()), {
      onTest: vi.fn(async () => {
        throw new Error('port-forward refused');
      }),
    });
    await shows('› /github');
    stdin.write('t');
    await shows('test of /github failed: port-forward refused');
  });

  it('asks for the logs of the selected route', async () => {
    const { stdin, shows, onLogs } = start();
    await shows('› /github');
    stdin.write('j');
    await shows('› /gitlab');
    stdin.write('l');
    await vi.waitFor(() => expect(onLogs).toHaveBeenCalledTimes(1));
    expect(onLogs.mock.calls[0]?.[0]).toMatchObject({ match: '/gitlab' });
  });

  it('reads the gateway again on r', async () => {
    const { stdin, shows, gateway } = start();
    await shows('› /github');
    stdin.write('r');
    await vi.waitFor(() => expect(gateway.refresh).toHaveBeenCalledTimes(1));
  });

  it('opens help on ? and closes it on Esc', async () => {
    const { stdin, shows, frame } = start();
    await shows('› /github');
    stdin.write('?');
    await shows('send a test delivery to the selected route');
    expect(frame()).not.toContain('MATCH');
    stdin.write(ESC);
    await shows('MATCH');
    expect(frame()).not.toContain('send a test delivery');
  });

  it.each([
    ['q', 'q'],
    ['Ctrl-C', CTRL_C],
  ])('quits on %s', async (_, keys) => {
    const { stdin, shows, gateway } = start();
    await shows('› /github');
    stdin.write(keys);
    await vi.waitFor(() => expect(gateway.stopped).toBe(true));
  });

  it('says it is reading, and tests nothing, before the first reading', async () => {
    const { stdin, shows, onTest } = start(fakeGateway(undefined));
    await shows('Reading the gateway…');
    stdin.write('t');
    stdin.write('?');
    await shows('send a test delivery');
    expect(onTest).not.toHaveBeenCalled();
  });

  it('keeps the selection on a route when the routes shrink', async () => {
    const three = gatewayStatus({
      routes: [route(), route({ match: '/gitlab' }), route({ match: '/gitea' })],
    });
    const gateway = fakeGateway(three);
    const { stdin, shows, onTest } = start(gateway);
    await shows('› /github');
    stdin.write(DOWN);
    await shows('› /gitlab');
    stdin.write(DOWN);
    await shows('› /gitea');
    gateway.publish(gatewayStatus({ routes: [route({ match: '/only' })] }));
    await shows('› /only');
    stdin.write('t');
    await vi.waitFor(() => expect(onTest).toHaveBeenCalledTimes(1));
    expect(onTest.mock.calls[0]?.[0]).toMatchObject({ match: '/only' });
  });

  it('follows the terminal size', async () => {
    const { stdout, shows, frame } = start();
    await shows('› /github');
    // ink-testing-library's stdout is 100 columns and says nothing about rows: 80×24 stands in.
    expect(
      Math.max(
        ...frame()
          .split('\n')
          .map((line) => line.length),
      ),
    ).toBeLessThanOrEqual(100);
    Object.defineProperty(stdout, 'columns', { value: 40, configurable: true });
    Object.defineProperty(stdout, 'rows', { value: 10, configurable: true });
    stdout.emit('resize');
    await vi.waitFor(() => {
      const lines = frame().split('\n');
      expect(lines.length).toBeLessThanOrEqual(10);
      for (const line of lines) expect([...line].length).toBeLessThanOrEqual(40);
    });
  });
});

describe('StatusApp clock', () => {
  // The clock and the timers are the test's; act() lets React finish each frame before the test looks.
  beforeEach(() => {
    vi.useFakeTimers({
      now: NOW,
      toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'],
    });
    (globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;
  });
  afterEach(async () => {
    await act(() => cleanup());
    vi.useRealTimers();
    (globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = false;
  });

  const startClocked = (gateway: ReturnType<typeof fakeGateway>) =>
    act(() => start(gateway, { now: () => Date.now() }));
  const advance = (ms: number) => act(() => vi.advanceTimersByTime(ms));

  it('draws the next frame when an age on screen changes, and none before', async () => {
    const { frame, frames } = await startClocked(fakeGateway(gatewayStatus()));
    expect(frame()).toContain('updated 3s ago');
    const drawn = frames.length;
    await advance(999);
    expect(frames.length).toBe(drawn);
    await advance(1);
    expect(frame()).toContain('updated 4s ago');
    expect(frames.length).toBe(drawn + 1);
  });

  it('counts a reading older than a minute in minutes, drawing once a minute', async () => {
    const { frame, frames } = await startClocked(
      fakeGateway(gatewayStatus({ observedAt: new Date(NOW - 90_000).toISOString() })),
    );
    expect(frame()).toContain('updated 1m ago');
    const drawn = frames.length;
    await advance(29_999);
    expect(frames.length).toBe(drawn);
    await advance(1);
    expect(frame()).toContain('updated 2m ago');
    expect(frames.length).toBe(drawn + 1);
  });

  it('moves its clock on with each new reading', async () => {
    const gateway = fakeGateway(gatewayStatus());
    const { frame } = await startClocked(gateway);
    await advance(2000);
    expect(frame()).toContain('updated 5s ago');
    await act(() => gateway.publish(gatewayStatus({ observedAt: new Date(Date.now()).toISOString() })));
    expect(frame()).toContain('updated 0s ago');
    await advance(1000);
    expect(frame()).toContain('updated 1s ago');
  });

  it('leaves no timer behind when it quits', async () => {
    const { unmount } = await startClocked(fakeGateway(gatewayStatus()));
    expect(vi.getTimerCount()).toBeGreaterThan(0);
    await act(() => unmount());
    expect(vi.getTimerCount()).toBe(0);
  });
});
