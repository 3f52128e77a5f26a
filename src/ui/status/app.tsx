/** The live status screen: keys through the reducer, the terminal's size, a clock for the ages, and the one `exit()`. */
import type { WriteStream } from 'node:tty';
import { useApp, useInput, useStdout } from 'ink';
import { useEffect, useRef, useState } from 'react';
import type { ListedDelivery } from '../../services/deliveries.ts';
import type { GatewayStatus, RouteStatus } from '../../services/status-model.ts';
import { clampSelection, initialUiState, statusKeyAction } from './keys.ts';
import { deliveryKey } from './recent-deliveries.ts';
import type { LiveDeliveries } from './use-delivery-feed.ts';
import { type LoadRouteDeliveries, useRouteDeliveries } from './use-route-deliveries.ts';
import { msUntilAgesChange, type OpenedDeliveries, StatusView } from './view.tsx';

/** What the status hook gives the screen: the latest reading, why the last read failed, a way to read now. */
export interface LiveStatus {
  status: GatewayStatus | undefined;
  error?: string;
  refresh(): void;
}

export interface StatusAppProps {
  useStatus: () => LiveStatus;
  /** Sends a test delivery; resolves with the one line that says how it went. */
  onTest(route: RouteStatus): Promise<string>;
  onLogs(route: RouteStatus): void;
  /**
   * The gateway's delivery records as they are written, drawing when those of `shown` (a backend)
   * arrive; without it the screen shows no deliveries.
   */
  useDeliveries?: (shown: string | undefined) => LiveDeliveries;
  /** Everything the pods' logs hold for one route (d). */
  loadRouteDeliveries?: LoadRouteDeliveries;
  /** The clock ages are measured with (ms). */
  now?: () => number;
}

const NO_DELIVERIES: LiveDeliveries = {
  recent: new Map(),
  unavailable: undefined,
  subscribe: () => () => {},
};
const noDeliveries = () => NO_DELIVERIES;
const loadNothing: LoadRouteDeliveries = async () => [];

const FALLBACK_SIZE = { width: 80, height: 24 };
/** setTimeout's longest delay; a longer one would fire at once. */
const LONGEST_TIMER_MS = 2 ** 31 - 1;

export function StatusApp({
  useStatus,
  onTest,
  onLogs,
  useDeliveries,
  loadRouteDeliveries = loadNothing,
  now = Date.now,
}: StatusAppProps) {
  const { exit } = useApp();
  const { status, error, refresh } = useStatus();
  const { width, height } = useTerminalSize();
  const [ui, setUi] = useState(initialUiState);
  // The open route stays the one d was pressed on, whatever the routes do meanwhile.
  const [opened, setOpened] = useState<{ route: RouteStatus; reads: number }>();
  const [detail, setDetail] = useState<ListedDelivery>();
  // Keys can arrive faster than renders; the reducer must always see the state the last key left.
  const uiNow = useRef(ui);
  const [message, setMessage] = useState<string>();
  const testing = useRef(false);
  const routes = status?.routes ?? [];
  const selectedRoute = routes[clampSelection(ui.selected, routes.length)];
  const feed = (useDeliveries ?? noDeliveries)(
    ui.screen === 'routes' ? selectedRoute?.backendName : undefined,
  );
  const list = useRouteDeliveries(opened?.route, feed, loadRouteDeliveries, opened?.reads ?? 0);
  const deliveries = list.deliveries ?? [];
  const recent = selectedRoute ? (feed.recent.get(selectedRoute.backendName) ?? []) : [];
  const at = useAgeClock(status, now, recent);
  // The selection stays on its delivery when newer ones arrive above it.
  const selectedKey = useRef<string | undefined>(undefined);
  const keyIndex =
    selectedKey.current === undefined
      ? -1
      : deliveries.findIndex((d) => deliveryKey(d) === selectedKey.current);
  const deliverySelected = keyIndex >= 0 ? keyIndex : clampSelection(ui.deliverySelected, deliveries.length);

  const test = (route: RouteStatus) => {
    if (testing.current) return;
    testing.current = true;
    setMessage(`testing ${route.match}…`);
    void onTest(route)
      .then(
        (line) => setMessage(line),
        (failure: unknown) =>
          setMessage(
            `test of ${route.match} failed: ${failure instanceof Error ? failure.message : String(failure)}`,
          ),
      )
      .finally(() => {
        testing.current = false;
      });
  };

  useInput((input, key) => {
    const before = { ...uiNow.current, deliverySelected };
    const action = statusKeyAction(input, key, before, routes.length, deliveries.length);
    uiNow.current = action.state;
    setUi(action.state);
    const route = routes[action.state.selected];
    const delivery = deliveries[action.state.deliverySelected];
    if (action.state.deliverySelected !== before.deliverySelected || action.command === 'deliveries')
      selectedKey.current = action.command === 'deliveries' || !delivery ? undefined : deliveryKey(delivery);
    if (action.command === 'quit') exit();
    else if (action.command === 'refresh') refresh();
    else if (action.command === 'logs' && route) onLogs(route);
    else if (action.command === 'test' && route) test(route);
    else if (action.command === 'deliveries' && route) setOpened({ route, reads: 0 });
    else if (action.command === 'reload') setOpened((open) => open && { ...open, reads: open.reads + 1 });
    else if (action.command === 'delivery' && delivery) setDetail(delivery);
    if (action.state.screen === 'routes') setOpened(undefined);
  });

  const openedView: OpenedDeliveries | undefined = opened && {
    match: opened.route.match,
    deliveries: list.deliveries,
    error: list.error,
    detail,
  };
  return (
    <StatusView
      status={status}
      state={{ ...ui, selected: clampSelection(ui.selected, routes.length), deliverySelected }}
      width={width}
      height={height}
      now={at}
      error={error}
      message={message}
      recent={useDeliveries ? { deliveries: recent, unavailable: feed.unavailable } : undefined}
      opened={openedView}
    />
  );
}

/** The terminal's columns and rows, following resizes; 80×24 when the stream does not say. */
function useTerminalSize(): { width: number; height: number } {
  const { stdout } = useStdout();
  const [size, setSize] = useState(() => sizeOf(stdout));
  useEffect(() => {
    const onResize = () => setSize(sizeOf(stdout));
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
  }, [stdout]);
  return size;
}

function sizeOf(stdout: NodeJS.WritableStream): { width: number; height: number } {
  const tty = stdout as NodeJS.WritableStream & Partial<Pick<WriteStream, 'columns' | 'rows'>>;
  return { width: tty.columns || FALLBACK_SIZE.width, height: tty.rows || FALLBACK_SIZE.height };
}

/**
 * The time this render shows ages at, and a render again when one of them would read differently:
 * ages keep counting between readings, and no frame is drawn that would look the same.
 */
function useAgeClock(
  status: GatewayStatus | undefined,
  now: () => number,
  deliveries: readonly ListedDelivery[],
): number {
  const [, setTicks] = useState(0);
  const at = now();
  const wait = status ? msUntilAgesChange(status, at, deliveries) : Infinity;
  useEffect(() => {
    if (!Number.isFinite(wait)) return;
    const timer = setTimeout(() => setTicks((ticks) => ticks + 1), Math.min(wait, LONGEST_TIMER_MS));
    return () => clearTimeout(timer);
  }, [at, wait]);
  return at;
}
