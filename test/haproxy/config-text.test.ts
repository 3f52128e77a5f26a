/**
 * The lines-and-sections model: joining the lines back gives the input exactly, words split the way
 * HAProxy splits them, `.if 0` blocks are skipped, whole-line edits keep every other byte.
 */
import { describe, expect, it } from 'vitest';
import {
  applyEdits,
  bodyIndent,
  LineEdits,
  parseConfigText,
  splitWords,
} from '../../src/haproxy/config-text.ts';
import { bundledGatewayConfig, HAPROXY_FIXTURES, haproxyFixture } from '../support/haproxy.ts';

const join = (cfg: string) =>
  parseConfigText(cfg)
    .lines.map((line) => line.text + line.eol)
    .join('');

describe('parseConfigText', () => {
  it.each([
    ['', ''],
    ['no newline', 'global'],
    ['only newlines', '\n\n\n'],
    ['CRLF and LF mixed', 'global\r\n    nbthread 2\n\r\n  \tx\r\n'],
    ['a lone CR', 'global\r    x\n'],
    ['the bundled config', bundledGatewayConfig(true)],
    ...HAPROXY_FIXTURES.map((name) => [name, haproxyFixture(name, { crlf: true })]),
  ])('keeps every byte of %s', (_name, cfg) => {
    expect(join(cfg as string)).toBe(cfg);
  });

  it('finds sections, ignoring those inside .if 0 blocks', () => {
    const text = parseConfigText(haproxyFixture('hand-edited.cfg'));
    expect(text.sections.map((section) => `${section.keyword} ${section.name ?? ''}`.trim())).toEqual([
      'global',
      'defaults',
      'frontend gateway',
      'frontend internal',
      'backend jenkins',
      'backend metrics_proxy',
      'backend no_route',
      'backend route:github',
      'resolvers cluster',
    ]);
    const skipped = text.lines.find((line) => line.text === 'frontend old_gateway');
    expect(skipped?.disabled).toBe(true);
  });

  it('uses CRLF for new lines only when the config mostly has it', () => {
    expect(parseConfigText('a\r\nb\r\nc\n').eol).toBe('\r\n');
    expect(parseConfigText('a\nb\nc\r\n').eol).toBe('\n');
  });

  it('takes the indentation of the first indented directive', () => {
    expect(bodyIndent(parseConfigText(haproxyFixture('hand-edited.cfg')))).toBe('\t');
    expect(bodyIndent(parseConfigText(bundledGatewayConfig(false)))).toBe('    ');
    expect(bodyIndent(parseConfigText('global\nnbthread 2\n'))).toBe('    ');
  });
});

describe('splitWords', () => {
  it.each([
    ['  acl  a   path_beg -i /x  ', ['acl', 'a', 'path_beg', '-i', '/x']],
    ['acl a hdr(X) -i "Push Hook" # comment', ['acl', 'a', 'hdr(X)', '-i', 'Push Hook']],
    ['string \'{"a":1}\' x', ['string', '{"a":1}', 'x']],
    ['a\\ b c\\#d', ['a b', 'c#d']],
    ['   # only a comment', []],
    ['x#y', ['x']],
    ['\tbind :80\r', ['bind', ':80']],
  ])('%j', (text, words) => {
    expect(splitWords(text)).toEqual(words);
  });
});

describe('applyEdits', () => {
  const text = parseConfigText('a\nb\r\nc\nd');

  it('deletes, replaces and inserts whole lines in one pass', () => {
    const edits = new LineEdits().delete(1).replace(2, ['C1', 'C2']).insertBefore(0, ['first']);
    expect(applyEdits(text, edits)).toBe('first\na\nC1\nC2\nd');
  });

  it('keeps a file ending without a newline that way when its last line goes', () => {
    expect(applyEdits(text, new LineEdits().delete(3))).toBe('a\nb\r\nc');
    expect(applyEdits(text, new LineEdits().insertBefore(4, ['e']))).toBe('a\nb\r\nc\nd\ne\n');
  });

  it("gives inserted lines their own line ending when asked, else the config's", () => {
    const edits = new LineEdits().insertBefore(1, ['x', 'y'], '\r\n').insertBefore(4, ['e'], '\r\n');
    expect(applyEdits(text, edits)).toBe('a\nx\r\ny\r\nb\r\nc\nd\r\ne\r\n');
    expect(applyEdits(text, new LineEdits().insertBefore(1, ['x']))).toBe('a\nx\nb\r\nc\nd');
  });

  it('gives the input back for no edits', () => {
    expect(applyEdits(text, new LineEdits())).toBe('a\nb\r\nc\nd');
  });
});
