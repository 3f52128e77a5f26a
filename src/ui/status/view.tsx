/** The status screen as a pure function of the reading, the UI state, the terminal's size and the time. */
import { Box, Text } from 'ink';
import { memo, type ReactNode } from 'react';
import type { ListedDelivery } from '../../services/deliveries.ts';
import type { GatewayStatus, RouteStatus, WarningEvent } from '../../services/status-model.ts';
import { addressBehind, ageAt, fit, msUntilAgeChanges, oneLine } from './cells.ts';
import { DeliveryDetail, RecentDeliveriesPanel, RouteDeliveriesList } from './deliveries-view.tsx';
import { clampSelection, STATUS_KEYS, type StatusScreen, type StatusUiState } from './keys.ts';
import {
  listenerNotice,
  podCells,
  podColumns,
  podsTroubleFirst,
  rolloutNotice,
  routeCells,
  routeColumns,
} from './rows.ts';
import { planScreen, routeWindow, type ScreenPlan } from './screen-plan.ts';
import { Table } from './table.tsx';

export interface StatusViewProps {
  /** undefined until the first reading arrives. */
  status: GatewayStatus | undefined;
  state: StatusUiState;
  width: number;
  height: number;
  /** The time (ms) ages are measured at; the view reads no clock. */
  now: number;
  error?: string;
  message?: string;
  /** The selected route's newest deliveries; undefined: deliveries are not shown. */
  recent?: RecentOfRoute | undefined;
  /** The route whose deliveries are open (d), and the delivery shown in full (Enter). */
  opened?: OpenedDeliveries | undefined;
}

export interface RecentOfRoute {
  deliveries: readonly ListedDelivery[];
  /** Why there are none: what is wrong, and the fix on a line of its own. */
  unavailable: string | undefined;
}

export interface OpenedDeliveries {
  match: string;
  deliveries: readonly ListedDelivery[] | undefined;
  error: string | undefined;
  detail: ListedDelivery | undefined;
}

const HEADER_LINES = 2;
/** A reading older than this is worth a second look: the refresh may be failing. */
const STALE_AFTER_MS = 30_000;

export function StatusView({
  status,
  state,
  width,
  height,
  now,
  error,
  message,
  recent,
  opened,
}: StatusViewProps) {
  const bottomLines = 1 + (message ? 1 : 0) + (error ? 1 : 0);
  const room = Math.max(0, height - (status ? HEADER_LINES : 1) - bottomLines);
  const screen = opened ? state.screen : 'routes';
  let body: ReactNode;
  if (state.help) body = <Help width={width} room={room} />;
  else if (screen === 'delivery' && opened?.detail)
    body = <DeliveryDetail delivery={opened.detail} room={room} />;
  else if (screen !== 'routes' && opened)
    body = (
      <RouteDeliveriesList
        match={opened.match}
        deliveries={opened.deliveries}
        error={opened.error}
        selected={state.deliverySelected}
        width={width}
        room={room}
      />
    );
  else if (status)
    body = (
      <Sections
        status={status}
        selected={state.selected}
        width={width}
        room={room}
        now={now}
        recent={recent}
      />
    );
  return (
    // Only rows can overflow (every line truncates itself); clipping columns too would re-slice every line, every frame.
    <Box flexDirection="column" width={width} maxHeight={height} overflowY="hidden">
      {status ? <Header status={status} now={now} /> : <Text wrap="truncate-end">Reading the gateway…</Text>}
      {body}
      {message ? <Text wrap="truncate-end">{oneLine(message)}</Text> : null}
      {error ? (
        <Text color="red" wrap="truncate-end">
          error: {oneLine(error)}
        </Text>
      ) : null}
      <Footer keys={state.help ? HELP_FOOTER_KEYS : FOOTER_KEYS[screen]} />
    </Box>
  );
}

/**
 * How long (ms) after `now` the view of `status` would first look different with nothing else
 * changed: when an age on it ticks over, or the reading becomes stale.
 */
export function msUntilAgesChange(
  status: GatewayStatus,
  now: number,
  deliveries: readonly ListedDelivery[] = [],
): number {
  const sinceReading = now - Date.parse(status.observedAt);
  return Math.min(
    msUntilAgeChanges(status.observedAt, now),
    sinceReading <= STALE_AFTER_MS ? STALE_AFTER_MS + 1 - sinceReading : Infinity,
    ...status.pods.map((pod) => msUntilAgeChanges(pod.createdAt, now)),
    ...status.events.map((event) => msUntilAgeChanges(event.lastSeen, now)),
    ...deliveries.map((delivery) => msUntilAgeChanges(delivery.time, now)),
  );
}

function Header({ status, now }: { status: GatewayStatus; now: number }) {
  const old = now - Date.parse(status.observedAt) > STALE_AFTER_MS;
  return (
    <>
      <Text wrap="truncate-end">
        <Text dimColor>context </Text>
        <Text bold>{oneLine(status.context)}</Text>
        {status.workspace ? (
          <>
            <Text dimColor>{'  workspace '}</Text>
            <Text bold color="magenta">
              {oneLine(status.workspace)}
            </Text>
          </>
        ) : null}
        <Text dimColor>{'  namespace '}</Text>
        <Text bold>{oneLine(status.namespace)}</Text>
      </Text>
      <Text wrap="truncate-end">
        {status.publicUrl ? (
          <Text color="cyan">
            {oneLine(status.publicUrl)}
            {addressBehind(status) ? (
              <Text dimColor>{` at ${oneLine(addressBehind(status) ?? '')}`}</Text>
            ) : null}
          </Text>
        ) : (
          <Text color="yellow">no public address</Text>
        )}
        <Text dimColor>{'  HAProxy '}</Text>
        {oneLine(status.haproxyVersion ?? '?')}
        <Text dimColor>{'  updated '}</Text>
        <Text color={old ? 'yellow' : undefined} dimColor={!old}>
          {ageAt(status.observedAt, now)} ago
        </Text>
      </Text>
    </>
  );
}

/** What the deliveries section needs: a row per delivery, or a line for each line of why there are none. */
function recentRows(recent: RecentOfRoute): { rows: number; table: boolean } {
  if (recent.deliveries.length > 0) return { rows: recent.deliveries.length, table: true };
  return { rows: recent.unavailable ? recent.unavailable.split('\n').length : 1, table: false };
}

interface SectionsProps {
  status: GatewayStatus;
  selected: number;
  width: number;
  room: number;
  now: number;
  recent: RecentOfRoute | undefined;
}

function Sections({ status, selected, width, room, now, recent }: SectionsProps) {
  const rollout = rolloutNotice(status.pods);
  const selectedRoute = status.routes[clampSelection(selected, status.routes.length)];
  const shownRecent = selectedRoute ? recent : undefined;
  const plan = planScreen({
    room,
    pods: status.pods.length,
    rolloutLine: rollout !== undefined,
    routes: status.routes.length,
    listenerLine: listenerNotice(status.routes) !== undefined,
    deliveries: shownRecent && recentRows(shownRecent),
    events: status.events.length,
    notices: status.notices.length,
  });
  const gap = plan.gaps ? <Text> </Text> : null;
  return (
    <>
      {plan.podRows > 0 ? (
        <>
          {gap}
          <Pods status={status} plan={plan} rollout={rollout} width={width} now={now} />
        </>
      ) : null}
      {plan.routeRows > 0 ? (
        <>
          {gap}
          <Routes routes={status.routes} rows={plan.routeRows} selected={selected} width={width} />
        </>
      ) : null}
      {plan.deliveryRows > 0 && selectedRoute && shownRecent ? (
        <>
          {gap}
          <RecentDeliveriesPanel
            match={selectedRoute.match}
            deliveries={shownRecent.deliveries}
            unavailable={shownRecent.unavailable}
            rows={plan.deliveryRows}
            width={width}
            now={now}
          />
        </>
      ) : null}
      {plan.eventRows > 0 ? (
        <>
          {gap}
          <Events events={status.events} rows={plan.eventRows} width={width} now={now} />
        </>
      ) : null}
      {gap}
      {status.notices.slice(0, plan.noticeRows).map((notice, index) => (
        <Text key={index} wrap="truncate-end">
          <Text color="cyan">note: </Text>
          <Text dimColor>{oneLine(notice)}</Text>
        </Text>
      ))}
    </>
  );
}

interface PodsProps {
  status: GatewayStatus;
  plan: ScreenPlan;
  rollout: string | undefined;
  width: number;
  now: number;
}

function Pods({ status, plan, rollout, width, now }: PodsProps) {
  const { pods } = status;
  if (pods.length === 0) {
    return (
      <Text color="red" wrap="truncate-end">
        ! No gateway pods in {oneLine(status.namespace)}: nothing answers the routes
      </Text>
    );
  }
  const columns = podColumns(pods);
  const withProblem = columns.length > 5;
  const hidden = pods.length - plan.podRows;
  return (
    <>
      {rollout ? (
        <Text color="yellow" bold wrap="truncate-end">
          {rollout}
        </Text>
      ) : null}
      <Table
        specs={columns}
        rows={podsTroubleFirst(pods).map((pod) => podCells(pod, now, withProblem))}
        width={width}
        gap={2}
        count={plan.podRows}
      />
      {hidden > 0 ? <Text dimColor>{`  … ${hidden} more pods`}</Text> : null}
    </>
  );
}

// Nothing in the routes table ages: a frame that only moves the clock leaves it as it was.
const Routes = memo(function Routes({
  routes,
  rows,
  selected,
  width,
}: {
  routes: RouteStatus[];
  rows: number;
  selected: number;
  width: number;
}) {
  if (routes.length === 0) {
    return (
      <Text wrap="truncate-end">
        No routes yet. Add one: kubectl trigger-gateway route add /github el-github-listener.ci:8080
      </Text>
    );
  }
  const current = clampSelection(selected, routes.length);
  const window = routeWindow(current, routes.length, rows);
  const columns = routeColumns(routes);
  const withListener = columns.some((column) => column.header === 'LISTENER');
  const notice = listenerNotice(routes);
  const scrolled = [
    window.above > 0 ? `↑ ${window.above} more` : '',
    window.below > 0 ? `↓ ${window.below} more` : '',
  ].filter(Boolean);
  return (
    <>
      {notice ? (
        <Text color="red" bold wrap="truncate-end">
          {oneLine(notice)}
        </Text>
      ) : null}
      <Table
        specs={columns}
        rows={routes.map((route) => routeCells(route, withListener))}
        width={width}
        gap={1}
        first={window.first}
        count={rows}
        selected={current}
      />
      {scrolled.length > 0 ? (
        <Text dimColor wrap="truncate-end">
          {`  ${scrolled.join('  ')}  (route ${current + 1} of ${routes.length})`}
        </Text>
      ) : null}
    </>
  );
});

interface EventsProps {
  events: WarningEvent[];
  rows: number;
  width: number;
  now: number;
}

function Events({ events, rows, width, now }: EventsProps) {
  const title = rows < events.length ? `Warnings (newest ${rows} of ${events.length})` : 'Warnings';
  return (
    <>
      <Text bold color="yellow" wrap="truncate-end">
        {title}
      </Text>
      {events.slice(0, rows).map((event, index) => (
        <EventLine key={index} event={event} width={width} now={now} />
      ))}
    </>
  );
}

function EventLine({ event, width, now }: { event: WarningEvent; width: number; now: number }) {
  const object = oneLine(event.object);
  // A long object name must leave room for the reason and the message: they say what went wrong.
  const objectWidth = Math.min([...object].length, Math.max(20, Math.floor(width / 2)));
  return (
    <Text wrap="truncate-end">
      <Text dimColor>{fit(ageAt(event.lastSeen, now), 5, 'right')} </Text>
      {fit(object, objectWidth)} <Text color="yellow">{oneLine(event.reason)}</Text>: {oneLine(event.message)}
      {event.count > 1 ? <Text dimColor>{` (×${event.count})`}</Text> : null}
    </Text>
  );
}

function Help({ width, room }: { width: number; room: number }) {
  const keysWidth = Math.max(...STATUS_KEYS.map((entry) => entry.keys.length)) + 2;
  const lines = STATUS_KEYS.map((entry) => (
    <Text key={entry.keys} wrap="truncate-end">
      <Text bold>{fit(entry.keys, keysWidth)}</Text>
      {entry.does}
    </Text>
  ));
  // The frame and its title need three lines; without them the keys still show, as many as fit.
  if (room < STATUS_KEYS.length + 3) return <>{lines.slice(0, room)}</>;
  return (
    <Box flexDirection="column" borderStyle="round" width={Math.min(width, 64)} paddingX={1}>
      <Text bold>Keys</Text>
      {lines}
    </Box>
  );
}

const FOOTER_KEYS: Record<StatusScreen, readonly [string, string][]> = {
  routes: [
    ['↑↓', 'select'],
    ['t', 'test'],
    ['l', 'logs'],
    ['d', 'deliveries'],
    ['r', 'refresh'],
    ['?', 'help'],
    ['q', 'quit'],
  ],
  deliveries: [
    ['↑↓', 'select'],
    ['Enter', 'details'],
    ['r', 'read again'],
    ['d Esc', 'back'],
    ['q', 'quit'],
  ],
  delivery: [
    ['Esc', 'back'],
    ['q', 'quit'],
  ],
};
const HELP_FOOTER_KEYS: readonly [string, string][] = [
  ['? Esc', 'close help'],
  ['q', 'quit'],
];

function Footer({ keys }: { keys: readonly [string, string][] }) {
  return (
    <Text wrap="truncate-end">
      {keys.map(([key, does], index) => (
        <Text key={key}>
          {index > 0 ? '  ' : ''}
          <Text bold>{key}</Text>
          <Text dimColor> {does}</Text>
        </Text>
      ))}
    </Text>
  );
}
