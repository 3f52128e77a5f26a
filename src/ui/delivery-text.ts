/** `deliveries` as text: a table, newest first, or everything recorded about one delivery (--id). */
import type { ListedDelivery } from '../services/deliveries.ts';
import type { Style } from './style.ts';
import { formatTable } from './table-text.ts';

/** Header values are the sender's: control characters are shown escaped, never sent to the terminal. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

export function visible(text: string): string {
  return text.replace(CONTROL, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

const dash = (text: string | undefined) => (text === undefined || text === '' ? '-' : visible(text));

export function milliseconds(ms: number | undefined): string {
  return ms === undefined ? '-' : `${ms}ms`;
}

/** A status as users read it; -1 means none was sent (HAProxy's own value). */
export function statusText(status: number): string {
  return status < 0 ? '-' : String(status);
}

export function providerEvent(delivery: ListedDelivery): string {
  if (!delivery.provider) return delivery.requestId ? 'request-id' : '-';
  return `${delivery.provider}/${dash(delivery.event)}`;
}

/** Colour a whole row by its status: yellow for 4xx, red for 5xx (the style is plain off a terminal). */
function colourRow(line: string, status: number, style: Style): string {
  if (status >= 500) return style.red(line);
  if (status >= 400) return style.yellow(line);
  return line;
}

const COLUMNS = ['TIME', 'ROUTE', 'PROVIDER/EVENT', 'DELIVERY ID', 'STATUS', 'TOTAL TIME', 'BACKEND'];

function deliveryCells(delivery: ListedDelivery): string[] {
  return [
    delivery.time,
    dash(delivery.route),
    providerEvent(delivery),
    dash(delivery.deliveryId ?? delivery.requestId),
    statusText(delivery.status),
    milliseconds(delivery.timings.active),
    dash(delivery.target),
  ];
}

export function renderDeliveryTable(deliveries: ListedDelivery[], style: Style): string {
  if (deliveries.length === 0)
    return "No deliveries recorded in the gateway pods' logs (for these filters). Send one: kubectl trigger-gateway test";
  const rows = [COLUMNS, ...deliveries.map(deliveryCells)];
  const [header = '', ...lines] = formatTable(rows).split('\n');
  return [header, ...lines.map((line, index) => colourRow(line, deliveries[index]?.status ?? 0, style))].join(
    '\n',
  );
}

/**
 * --follow: rows are printed as deliveries arrive, so columns cannot be sized to the rows; they get
 * widths that fit usual values (a longer value pushes the rest of its row along), the pod first.
 */
const FOLLOW_WIDTHS = [32, 24, 12, 22, 36, 6, 10, 0];

function followLine(cells: string[]): string {
  return cells
    .map((cell, column) => cell.padEnd(FOLLOW_WIDTHS[column] ?? 0))
    .join('   ')
    .trimEnd();
}

export const DELIVERY_FOLLOW_HEADER = followLine(['POD', ...COLUMNS]);

/** One delivery as a --follow row: the gateway pod that recorded it, then the table's columns. */
export function renderDeliveryFollowRow(delivery: ListedDelivery, style: Style): string {
  return colourRow(followLine([delivery.pod, ...deliveryCells(delivery)]), delivery.status, style);
}

/** Everything recorded about one delivery, one field a line. */
export function renderDeliveryDetail(delivery: ListedDelivery, style: Style): string {
  const { timings } = delivery;
  const fields: Array<[string, string]> = [
    ['Time', delivery.time],
    ['Provider', dash(delivery.provider)],
    ['Event', dash(delivery.event)],
    ['Delivery ID', dash(delivery.deliveryId)],
    ['Hook ID', dash(delivery.hookId)],
    ['Request ID', dash(delivery.requestId)],
    ['Request', `${dash(delivery.method)} ${dash(delivery.path)}`],
    ['Route', dash(delivery.route)],
    ['Backend', `${dash(delivery.target)} (HAProxy backend ${dash(delivery.backend)})`],
    ['Status', colourRow(statusText(delivery.status), delivery.status, style)],
    ['Termination', dash(delivery.termination)],
    ['Bytes in/out', `${delivery.bytesIn} / ${delivery.bytesOut}`],
    [
      'Timings',
      `request ${milliseconds(timings.request)}, queue ${milliseconds(timings.queue)}, connect ${milliseconds(timings.connect)}, response ${milliseconds(timings.response)}, active ${milliseconds(timings.active)}, total ${milliseconds(timings.total)}`,
    ],
    ['Client', dash(delivery.client)],
    ['Peer', dash(delivery.peer)],
    ['Gateway pod', delivery.pod],
  ];
  if (delivery.cut.length > 0) fields.push(['Cut', `${delivery.cut.join(', ')} (longer than recorded)`]);
  const width = Math.max(...fields.map(([name]) => name.length)) + 1;
  return fields.map(([name, value]) => `${`${name}:`.padEnd(width)} ${value}`).join('\n');
}
