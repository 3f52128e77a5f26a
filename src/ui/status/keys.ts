/** What each key does on the status screen, as a pure reducer, so it is tested without a terminal. */

/** The routes table, one route's deliveries, or everything recorded about one delivery. */
export type StatusScreen = 'routes' | 'deliveries' | 'delivery';

export interface StatusUiState {
  /** Index of the selected route. */
  selected: number;
  help: boolean;
  screen: StatusScreen;
  /** Index of the selected delivery on the deliveries screen, newest first. */
  deliverySelected: number;
}

export const initialUiState: StatusUiState = {
  selected: 0,
  help: false,
  screen: 'routes',
  deliverySelected: 0,
};

/**
 * What the app must do beyond changing the state: `deliveries` opens the selected route's list,
 * `delivery` shows the selected delivery, `reload` reads the open list again.
 */
export type StatusCommand = 'test' | 'logs' | 'refresh' | 'quit' | 'deliveries' | 'delivery' | 'reload';

export interface StatusAction {
  state: StatusUiState;
  command?: StatusCommand;
}

/** The parts of ink's `Key` the screen reads; ink's own `Key` fits. */
export interface StatusKey {
  upArrow: boolean;
  downArrow: boolean;
  escape: boolean;
  ctrl: boolean;
  pageUp?: boolean;
  pageDown?: boolean;
  home?: boolean;
  end?: boolean;
  return?: boolean;
}

/** Rows PgUp/PgDn move. */
export const PAGE_ROWS = 10;

/** Every key, for the help overlay; the reducer below is what makes it true. */
export const STATUS_KEYS: readonly { keys: string; does: string }[] = [
  { keys: '↑ ↓  k j', does: 'select the previous or next route' },
  { keys: 'PgUp PgDn', does: `move the selection ${PAGE_ROWS} routes` },
  { keys: 'Home End', does: 'select the first or last route' },
  { keys: 't', does: 'send a test delivery to the selected route' },
  { keys: 'l', does: "show the selected route's logs" },
  { keys: 'd  Enter', does: "show the selected route's deliveries" },
  { keys: 'Enter', does: 'in deliveries: everything about one' },
  { keys: 'r', does: 'read the gateway (or deliveries) again' },
  { keys: '?', does: 'show or hide this help' },
  { keys: 'Esc', does: 'close this help, or go back' },
  { keys: 'q  Ctrl-C', does: 'quit' },
];

/** A valid index for `routeCount` routes (0 when there are none). */
export function clampSelection(selected: number, routeCount: number): number {
  return Math.max(0, Math.min(selected, routeCount - 1));
}

/** The selection after a movement key (arrows, j/k, pages, Home/End) in a list of `count`; undefined for other keys. */
function moved(input: string, key: StatusKey, selected: number, count: number): number | undefined {
  let next: number | undefined;
  if (key.upArrow || input === 'k') next = selected - 1;
  else if (key.downArrow || input === 'j') next = selected + 1;
  else if (key.pageUp) next = selected - PAGE_ROWS;
  else if (key.pageDown) next = selected + PAGE_ROWS;
  else if (key.home) next = 0;
  else if (key.end) next = count - 1;
  return next === undefined ? undefined : clampSelection(next, count);
}

export function statusKeyAction(
  input: string,
  key: StatusKey,
  state: StatusUiState,
  routeCount: number,
  deliveryCount = 0,
): StatusAction {
  const current = {
    ...state,
    selected: clampSelection(state.selected, routeCount),
    deliverySelected: clampSelection(state.deliverySelected, deliveryCount),
  };

  if (input === 'q' || (key.ctrl && input === 'c')) return { state: current, command: 'quit' };
  if (input === '?') return { state: { ...current, help: !current.help } };
  // Keys under the help overlay do nothing but close it, so nothing fires unseen.
  if (current.help) return { state: key.escape ? { ...current, help: false } : current };
  if (current.screen === 'delivery') {
    const back = key.escape || key.return || input === 'd';
    return { state: back ? { ...current, screen: 'deliveries' } : current };
  }
  if (current.screen === 'deliveries') {
    if (key.escape || input === 'd') return { state: { ...current, screen: 'routes' } };
    const deliverySelected = moved(input, key, current.deliverySelected, deliveryCount);
    if (deliverySelected !== undefined) return { state: { ...current, deliverySelected } };
    if (key.return && deliveryCount > 0)
      return { state: { ...current, screen: 'delivery' }, command: 'delivery' };
    if (input === 'r') return { state: current, command: 'reload' };
    return { state: current };
  }

  const selected = moved(input, key, current.selected, routeCount);
  if (selected !== undefined) return { state: { ...current, selected } };
  if (input === 'r') return { state: current, command: 'refresh' };
  // A test, the logs and the deliveries are about one route: without routes there is nothing to act on.
  if (routeCount > 0 && input === 't') return { state: current, command: 'test' };
  if (routeCount > 0 && input === 'l') return { state: current, command: 'logs' };
  if (routeCount > 0 && (input === 'd' || key.return))
    return { state: { ...current, screen: 'deliveries', deliverySelected: 0 }, command: 'deliveries' };
  return { state: current };
}
