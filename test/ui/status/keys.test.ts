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
    expect(initialUiState).toEqual({ selected: 0, help: false });
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
    const help = { help: true, selected: 2 };
    for (const input of ['t', 'l', 'r', 'j', 'x']) expect(press(input, {}, help)).toEqual({ state: help });
    expect(press('', { downArrow: true }, help)).toEqual({ state: help });
  });

  it('ignores keys it does not know', () => {
    expect(press('x', {}, { selected: 2 })).toEqual({ state: { selected: 2, help: false } });
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
