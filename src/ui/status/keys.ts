/** What each key does on the status screen, as a pure reducer, so it is tested without a terminal. */

export interface StatusUiState {
  /** Index of the selected route. */
  selected: number;
  help: boolean;
}

export const initialUiState: StatusUiState = { selected: 0, help: false };

/** What the app must do beyond changing the state. */
export type StatusCommand = 'test' | 'logs' | 'refresh' | 'quit';

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
  { keys: 'r', does: 'read the gateway again now' },
  { keys: '?', does: 'show or hide this help' },
  { keys: 'Esc', does: 'close this help' },
  { keys: 'q  Ctrl-C', does: 'quit' },
];

/** A valid index for `routeCount` routes (0 when there are none). */
export function clampSelection(selected: number, routeCount: number): number {
  return Math.max(0, Math.min(selected, routeCount - 1));
}

export function statusKeyAction(
  input: string,
  key: StatusKey,
  state: StatusUiState,
  routeCount: number,
): StatusAction {
  const current = { ...state, selected: clampSelection(state.selected, routeCount) };
  const select = (selected: number): StatusAction => ({
    state: { ...current, selected: clampSelection(selected, routeCount) },
  });

  if (input === 'q' || (key.ctrl && input === 'c')) return { state: current, command: 'quit' };
  if (input === '?') return { state: { ...current, help: !current.help } };
  // Keys under the help overlay do nothing but close it, so nothing fires unseen.
  if (current.help) return { state: key.escape ? { ...current, help: false } : current };

  if (key.upArrow || input === 'k') return select(current.selected - 1);
  if (key.downArrow || input === 'j') return select(current.selected + 1);
  if (key.pageUp) return select(current.selected - PAGE_ROWS);
  if (key.pageDown) return select(current.selected + PAGE_ROWS);
  if (key.home) return select(0);
  if (key.end) return select(routeCount - 1);
  if (input === 'r') return { state: current, command: 'refresh' };
  // A test and the logs are about one route: without routes there is nothing to act on.
  if (routeCount > 0 && input === 't') return { state: current, command: 'test' };
  if (routeCount > 0 && input === 'l') return { state: current, command: 'logs' };
  return { state: current };
}
