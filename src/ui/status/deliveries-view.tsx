/**
 * Deliveries on the status screen: the selected route's newest few under the routes, the route's whole
 * list (d), and everything recorded about one of them (Enter). Pure views of what the app hands in.
 */
import { Text } from 'ink';
import type { ListedDelivery } from '../../services/deliveries.ts';
import { milliseconds, providerEvent, renderDeliveryDetail, statusText, visible } from '../delivery-text.ts';
import { ageAt, oneLine } from './cells.ts';
import type { ColumnSpec } from './columns.ts';
import { routeWindow } from './screen-plan.ts';
import { type Cell, Table } from './table.tsx';

const PLAIN = { bold: String, dim: String, green: String, yellow: String, red: String };

const dash = (text: string | undefined): Cell =>
  text === undefined || text === '' ? { text: '-', dim: true } : { text: oneLine(visible(text)) };

// The same texts as `deliveries` prints; what is missing is dimmed.
function statusCell(status: number): Cell {
  const color = status >= 500 ? 'red' : status >= 400 ? 'yellow' : status < 300 ? 'green' : undefined;
  if (status < 0 || !color) return { text: statusText(status), dim: status < 0 };
  return { text: statusText(status), color };
}

const eventCell = (delivery: ListedDelivery): Cell => ({
  text: oneLine(providerEvent(delivery)),
  dim: !delivery.provider,
});

const totalCell = (delivery: ListedDelivery): Cell => ({
  text: milliseconds(delivery.timings.active),
  dim: delivery.timings.active === undefined,
});

// The ID is what a user looks for; the event and the pod give way first on a narrow terminal.
const RECENT_COLUMNS: ColumnSpec[] = [
  { header: 'AGE', align: 'right' },
  { header: 'EVENT', shrinks: true, min: 8, dropRank: 2 },
  { header: 'DELIVERY ID', shrinks: true, min: 12 },
  { header: 'STATUS', align: 'right' },
  { header: 'TOTAL', align: 'right', dropRank: 1 },
];

const LIST_COLUMNS: ColumnSpec[] = [
  { header: 'TIME' },
  { header: 'EVENT', shrinks: true, min: 8, dropRank: 3 },
  { header: 'DELIVERY ID', shrinks: true, min: 12 },
  { header: 'STATUS', align: 'right' },
  { header: 'TOTAL', align: 'right', dropRank: 2 },
  { header: 'POD', shrinks: true, min: 8, dropRank: 1 },
];

const idOf = (delivery: ListedDelivery) => dash(delivery.deliveryId ?? delivery.requestId);

function recentCells(delivery: ListedDelivery, now: number): Cell[] {
  return [
    { text: ageAt(delivery.time, now), dim: true },
    eventCell(delivery),
    idOf(delivery),
    statusCell(delivery.status),
    totalCell(delivery),
  ];
}

function listCells(delivery: ListedDelivery): Cell[] {
  return [
    { text: delivery.time, dim: true },
    eventCell(delivery),
    idOf(delivery),
    statusCell(delivery.status),
    totalCell(delivery),
    { text: oneLine(delivery.pod), dim: true },
  ];
}

export interface RecentPanelProps {
  match: string;
  /** The route's newest deliveries, newest first. */
  deliveries: readonly ListedDelivery[];
  /** Why none can be shown (no delivery log in the config, no pods). */
  unavailable: string | undefined;
  rows: number;
  width: number;
  now: number;
}

/** Under the routes: the selected route's newest deliveries, or why there are none. */
export function RecentDeliveriesPanel({
  match,
  deliveries,
  unavailable,
  rows,
  width,
  now,
}: RecentPanelProps) {
  const title = (
    <Text wrap="truncate-end">
      <Text bold>Deliveries to {oneLine(match)}</Text>
      <Text dimColor>{'  d: all of them'}</Text>
    </Text>
  );
  if (deliveries.length === 0) {
    return (
      <>
        {title}
        {unavailable ? (
          unavailable
            .split('\n')
            .slice(0, rows)
            .map((line, index) => (
              <Text key={index} color={index === 0 ? 'yellow' : undefined} wrap="truncate-end">
                {`  ${oneLine(line)}`}
              </Text>
            ))
        ) : (
          <Text dimColor wrap="truncate-end">
            {"  none in the gateway pods' logs yet: t sends a test delivery"}
          </Text>
        )}
      </>
    );
  }
  return (
    <>
      {title}
      <Table
        specs={RECENT_COLUMNS}
        rows={deliveries.map((delivery) => recentCells(delivery, now))}
        width={width}
        gap={2}
        count={rows}
      />
    </>
  );
}

export interface RouteDeliveriesProps {
  match: string;
  /** Newest first; undefined while they are read. */
  deliveries: readonly ListedDelivery[] | undefined;
  error: string | undefined;
  selected: number;
  width: number;
  /** Lines it may use. */
  room: number;
}

/** d: every delivery of one route the pods' logs hold, newest first, new ones added as they arrive. */
export function RouteDeliveriesList({
  match,
  deliveries,
  error,
  selected,
  width,
  room,
}: RouteDeliveriesProps) {
  const title = (count: string) => (
    <Text wrap="truncate-end">
      <Text bold>Deliveries to {oneLine(match)}</Text>
      <Text dimColor>{`  ${count}`}</Text>
    </Text>
  );
  if (error) {
    return (
      <>
        {title('')}
        <Text color="red" wrap="truncate-end">
          {`  ${oneLine(error)}`}
        </Text>
      </>
    );
  }
  if (deliveries === undefined) return title("reading the gateway pods' logs…");
  if (deliveries.length === 0) {
    return (
      <>
        {title('0')}
        <Text dimColor wrap="truncate-end">
          {"  none in the gateway pods' logs: new ones appear here as they arrive"}
        </Text>
      </>
    );
  }
  // The title, the header and a line for what is above or below the window.
  const rows = Math.max(1, room - 3);
  const window = routeWindow(selected, deliveries.length, rows);
  return (
    <>
      {title(`${selected + 1} of ${deliveries.length}, newest first`)}
      <Table
        specs={LIST_COLUMNS}
        rows={deliveries.map(listCells)}
        width={width}
        gap={2}
        first={window.first}
        count={rows}
        selected={selected}
      />
      {window.below > 0 ? <Text dimColor>{`  ↓ ${window.below} older`}</Text> : null}
    </>
  );
}

/** Enter: one delivery, every field recorded, as `deliveries --id` prints it. */
export function DeliveryDetail({ delivery, room }: { delivery: ListedDelivery; room: number }) {
  const lines = renderDeliveryDetail(delivery, PLAIN).split('\n');
  return (
    <>
      {lines.slice(0, Math.max(0, room)).map((line, index) => (
        <Text key={index} wrap="truncate-end">
          {line}
        </Text>
      ))}
    </>
  );
}
