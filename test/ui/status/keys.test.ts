import { describe, expect, it } from 'vitest';
import {
  clampSelection,
  initialUiState,
  PAGE_ROWS,
  statusKeyAction,
  type StatusKey,
  type StatusUiState,
} from '../../../src/ui/status/keys.ts';

const NO_KEY: StatusKey = { upArrow: false, downArrow: false, escape: false, ctrl: false };
const press = (input: string, key: Partial<StatusKey> = {}, state: Partial<StatusUiState> = {}, routes = 5) =>
  statusKeyAction(input, { ...NO_KEY, ...key }, { ...initialUiState, ...state }, routes);

describe('statusKeyAction', () => {
  it('starts on the first route with help closed', () => {
    expect(initialUiState).toEqual({ selected: 0, help: false, screen: 'routes', deliverySelected: 0 });
  });

  it('moves the selection with the arrows and with j and k, within the routes', () => {
    expect(press('', { downArrow: true }).state.selected).toBe(1);
    expect(press('j', {}, { selected: 3 }).state.selected).toBe(4);
    expect(press('j', {}, { selected: 4 }).state.selected).toBe(4);
    expect(press('', { upArrow: true }, { selected: 2 }).state.selected).toBe(1);
    expect(press('k', {}, { selected: 0 }).state.selected).toBe(0);
    expect(press('', { downArrow: true }).command).toBeUndefined();
  });

  it('pages, and jumps to either end', () => {
    expect(press('', { pageDown: true }, {}, 100).state.selected).toBe(PAGE_ROWS);
    expect(press('', { pageDown: true }, { selected: 95 }, 100).state.selected).toBe(99);
    expect(press('', { pageUp: true }, { selected: 15 }, 100).state.selected).toBe(15 - PAGE_ROWS);
    expect(press('', { pageUp: true }, { selected: 3 }, 100).state.selected).toBe(0);
    expect(press('', { end: true }, {}, 100).state.selected).toBe(99);
    expect(press('', { home: true }, { selected: 42 }, 100).state.selected).toBe(0);
  });

  it('tests and shows logs only when a route is selected', () => {
    expect(press('t')).toEqual({ state: initialUiState, command: 'test' });
    expect(press('l')).toEqual({ state: initialUiState, command: 'logs' });
    expect(press('t', {}, {}, 0).command).toBeUndefined();
    expect(press('l', {}, {}, 0).command).toBeUndefined();
  });

  it('refreshes on r and quits on q or Ctrl-C', () => {
    expect(press('r').command).toBe('refresh');
    expect(press('q').command).toBe('quit');
    expect(press('c', { ctrl: true }).command).toBe('quit');
    expect(press('c').command).toBeUndefined();
    expect(press('q', {}, { help: true }).command).toBe('quit');
    expect(press('c', { ctrl: true }, { help: true }, 0).command).toBe('quit');
  });

  it('toggles help on ? and closes it on Esc', () => {
    const open = press('?').state;
    expect(open.help).toBe(true);
    expect(press('?', {}, open).state.help).toBe(false);
    expect(press('', { escape: true }, open).state.help).toBe(false);
    expect(press('', { escape: true }).state.help).toBe(false);
  });

  it('does nothing else while help is open, so nothing happens unseen', () => {
    const help = { ...initialUiState, help: true, selected: 2 };
    for (const input of ['t', 'l', 'd', 'r', 'j', 'x'])
      expect(press(input, {}, help)).toEqual({ state: help });
    expect(press('', { downArrow: true }, help)).toEqual({ state: help });
    expect(press('', { return: true }, help)).toEqual({ state: help });
  });

  it('ignores keys it does not know', () => {
    expect(press('x', {}, { selected: 2 })).toEqual({ state: { ...initialUiState, selected: 2 } });
  });

  it('brings a selection beyond the routes back within them', () => {
    expect(press('x', {}, { selected: 9 }, 3).state.selected).toBe(2);
    expect(press('', { upArrow: true }, { selected: 9 }, 3).state.selected).toBe(1);
  });
});

describe('clampSelection', () => {
  it('keeps an index valid as the number of routes changes', () => {
    expect(clampSelection(4, 10)).toBe(4);
    expect(clampSelection(12, 10)).toBe(9);
    expect(clampSelection(-1, 10)).toBe(0);
    expect(clampSelection(3, 0)).toBe(0);
  });
});

describe('statusKeyAction on the deliveries screens', () => {
  const onList = { screen: 'deliveries' as const };
  const inList = (
    input: string,
    key: Partial<StatusKey> = {},
    state: Partial<StatusUiState> = {},
    count = 30,
  ) => statusKeyAction(input, { ...NO_KEY, ...key }, { ...initialUiState, ...onList, ...state }, 5, count);

  it("d or Enter opens the selected route's deliveries, at the newest, only when there is a route", () => {
    expect(press('d', {}, { selected: 3, deliverySelected: 7 })).toEqual({
      state: { ...initialUiState, selected: 3, screen: 'deliveries', deliverySelected: 0 },
      command: 'deliveries',
    });
    expect(press('', { return: true }).command).toBe('deliveries');
    expect(press('d', {}, {}, 0)).toEqual({ state: initialUiState });
  });

  it('moves through the deliveries with the same keys as through the routes, leaving the route selected', () => {
    expect(inList('j', {}, { selected: 3 }).state).toMatchObject({ selected: 3, deliverySelected: 1 });
    expect(inList('', { pageDown: true }).state.deliverySelected).toBe(PAGE_ROWS);
    expect(inList('', { end: true }).state.deliverySelected).toBe(29);
    expect(inList('k', {}, { deliverySelected: 0 }).state.deliverySelected).toBe(0);
    expect(inList('', { home: true }, { deliverySelected: 12 }).state.deliverySelected).toBe(0);
    expect(inList('j', {}, { deliverySelected: 5 }, 3).state.deliverySelected).toBe(2);
  });

  it('Enter shows the selected delivery, when there is one; Esc, Enter or d go back one screen', () => {
    expect(inList('', { return: true }, { deliverySelected: 4 })).toEqual({
      state: { ...initialUiState, screen: 'delivery', deliverySelected: 4 },
      command: 'delivery',
    });
    expect(inList('', { return: true }, {}, 0).command).toBeUndefined();
    for (const key of [{ escape: true }, { return: true }])
      expect(inList('', key, { screen: 'delivery' }).state.screen).toBe('deliveries');
    expect(inList('d', {}, { screen: 'delivery' }).state.screen).toBe('deliveries');
    expect(inList('', { escape: true }).state.screen).toBe('routes');
    expect(inList('d').state.screen).toBe('routes');
  });

  it('r reads the list again; t and l do nothing there; q quits from anywhere', () => {
    expect(inList('r').command).toBe('reload');
    expect(inList('t')).toEqual({ state: { ...initialUiState, ...onList } });
    expect(inList('l').command).toBeUndefined();
    expect(inList('q').command).toBe('quit');
    expect(inList('q', {}, { screen: 'delivery' }).command).toBe('quit');
    expect(inList('j', {}, { screen: 'delivery', deliverySelected: 2 }).state.deliverySelected).toBe(2);
  });
});
