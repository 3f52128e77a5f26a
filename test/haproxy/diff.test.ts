/**
 * unifiedDiff prints what `diff -u --label a/<label> --label b/<label>` prints (GNU diff, where installed).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { addRoute, removeRoute, unifiedDiff } from '../../src/haproxy/routes.ts';
import { bundledGatewayConfig, haproxyFixture } from '../support/haproxy.ts';

function systemDiff(before: string, after: string, label: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'trigger-gateway-diff-'));
  try {
    writeFileSync(join(dir, 'a'), before);
    writeFileSync(join(dir, 'b'), after);
    const result = spawnSync(
      'diff',
      ['-u', '--label', `a/${label}`, '--label', `b/${label}`, join(dir, 'a'), join(dir, 'b')],
      { encoding: 'utf8' },
    );
    if (result.status !== 0 && result.status !== 1) throw new Error(result.stderr);
    return result.stdout;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const hasDiff = spawnSync('diff', ['--version']).status === 0;
const base = bundledGatewayConfig(false);
const added = addRoute(
  base,
  { match: { type: 'path', path: '/github' }, service: { name: 'el-github', namespace: 'ci', port: 8080 } },
  { overwrite: false },
).cfg;
const lines = Array.from({ length: 40 }, (_, index) => `line ${index}`);
const text = (edit: (copy: string[]) => void) => {
  const copy = [...lines];
  edit(copy);
  return `${copy.join('\n')}\n`;
};

const cases: Array<[string, string, string]> = [
  ['a route added to the bundled config', base, added],
  [
    'a route removed from a hand-written config',
    haproxyFixture('acl-per-route.cfg'),
    removeRoute(haproxyFixture('acl-per-route.cfg'), { type: 'path', path: '/gitlab' }).cfg,
  ],
  [
    'CRLF lines',
    haproxyFixture('hand-edited.cfg', { crlf: true }),
    removeRoute(haproxyFixture('hand-edited.cfg', { crlf: true }), { type: 'path', path: '/github' }).cfg,
  ],
  [
    'changes 6 lines apart (one hunk)',
    text(() => {}),
    text((copy) => copy.splice(10, 1, 'ten') && copy.splice(17, 1, 'seventeen')),
  ],
  [
    'changes 7 lines apart (two hunks)',
    text(() => {}),
    text((copy) => copy.splice(10, 1, 'ten') && copy.splice(18, 1, 'eighteen')),
  ],
  [
    'a change on the first and the last line',
    text(() => {}),
    text((copy) => copy.splice(0, 1, 'first') && copy.splice(39, 1, 'last')),
  ],
  ['lines only added', text(() => {}), text((copy) => copy.splice(20, 0, 'new 1', 'new 2'))],
  ['lines only deleted', text(() => {}), text((copy) => copy.splice(5, 3))],
  ['from empty', '', 'a\nb\n'],
  ['to empty', 'a\nb\n', ''],
  ['no newline at the end, before', 'a\nb\nc', 'a\nb\nc\n'],
  ['no newline at the end, after', 'a\nb\nc\n', 'a\nB\nc'],
  ['no newline at the end of both', 'a\nb', 'a\nc'],
  ['everything different', 'a\nb\nc\n', 'x\ny\n'],
];

describe('unifiedDiff', () => {
  it('is empty for equal texts', () => {
    expect(unifiedDiff(base, base, 'haproxy.cfg')).toBe('');
  });

  it('shows an added route as added lines with three lines of context', () => {
    const diff = unifiedDiff(base, added, 'haproxy.cfg');
    expect(diff.split('\n').slice(0, 2)).toEqual(['--- a/haproxy.cfg', '+++ b/haproxy.cfg']);
    expect(diff).toContain('     .if 0\n+    /github/ route:github\n     .endif\n');
    expect(diff.match(/^@@ /gm)).toHaveLength(2);
    expect(diff.match(/^-/gm)).toHaveLength(1);
  });

  describe.skipIf(!hasDiff)('matches diff -u', () => {
    it.each(cases)('%s', (_name, before, after) => {
      expect(unifiedDiff(before, after, 'haproxy.cfg')).toBe(systemDiff(before, after, 'haproxy.cfg'));
    });
  });
});
