/**
 * What a user types: paths, headers and Services are parsed or refused with a message naming the bad
 * part and a valid example; nothing typed can smuggle an HAProxy directive in.
 */
import { describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/errors.ts';
import {
  describeMatch,
  InvalidRouteError,
  parseHeaderMatch,
  parsePathMatch,
  parseServiceRef,
} from '../../src/haproxy/routes.ts';

function refusal(parse: () => unknown): InvalidRouteError {
  try {
    parse();
  } catch (error) {
    if (error instanceof InvalidRouteError) return error;
    throw error;
  }
  throw new Error('accepted');
}

describe('parseServiceRef', () => {
  it.each([
    ['el-github.ci:8080', { name: 'el-github', namespace: 'ci', port: 8080 }],
    ['el-github.ci.svc:8080', { name: 'el-github', namespace: 'ci', port: 8080 }],
    ['el-github.ci.svc.cluster.local:80', { name: 'el-github', namespace: 'ci', port: 80 }],
    ['el-github:65535', { name: 'el-github', namespace: 'current', port: 65535 }],
    ['a.b-2:1', { name: 'a', namespace: 'b-2', port: 1 }],
  ])('reads %s', (text, expected) => {
    expect(parseServiceRef(text, 'current')).toEqual(expected);
  });

  it.each([
    ['el-github', /has no port/],
    ['el-github.ci', /has no port/],
    ['el-github.ci:', /invalid port ""/],
    ['el-github.ci:080', /invalid port "080".*/],
    ['el-github.ci:0', /invalid port "0"/],
    ['el-github.ci:65536', /invalid port/],
    ['el-github.ci:8o', /invalid port "8o"/],
    ['el-github.ci:-1', /invalid port "-1"/],
    ['el-github.ci:80 ', /invalid port "80 "/],
    ['El-Github.ci:80', /invalid Service name "El-Github"/],
    ['1el.ci:80', /invalid Service name "1el"/],
    ['el.Ci:80', /invalid namespace "Ci"/],
    ['el.ci-:80', /invalid namespace "ci-"/],
    [`${'a'.repeat(64)}.ci:80`, /invalid Service name/],
    ['el.ci.svc.example.org:80', /cannot read "el\.ci\.svc\.example\.org:80" as a Service/],
    ['el.ci.other:80', /cannot read/],
    [':80', /invalid Service name ""/],
    ['el github.ci:80', /invalid Service name "el github"/],
    ['el.ci\nbackend x:80', /invalid namespace/],
    ['el.ci#x:80', /invalid namespace "ci#x"/],
    ['el."ci":80', /invalid namespace/],
  ])('refuses %j', (text, message) => {
    const error = refusal(() => parseServiceRef(text, 'current'));
    expect(error.message).toMatch(message);
    expect(error.hint).toMatch(/e\.g\. /);
    expect(error.exitCode).toBe(ExitCode.usage);
  });

  it('refuses an invalid current namespace too', () => {
    expect(() => parseServiceRef('el:80', 'Bad_NS')).toThrow(/invalid namespace "Bad_NS"/);
  });
});

describe('parsePathMatch', () => {
  it.each(['/', '/github', '/github/org_a/v1.2~x', '/A-Z'])('accepts %s', (path) => {
    expect(parsePathMatch(path)).toEqual({ type: 'path', path });
  });

  it.each([
    ['a newline', '/github\nbackend evil'],
    ['a carriage return', '/github\r'],
    ['a "#"', '/github#x'],
    ['a space', '/git hub'],
    ['a tab', '/git\thub'],
    ['a brace', '/github}'],
    ['a quote', '/git"hub'],
    ['a single quote', "/git'hub"],
    ['a percent escape', '/git%0ahub'],
    ['unicode', '/gïthub'],
    ['a double slash', '//github'],
    ['a trailing slash', '/github/'],
    ['a dot segment', '/a/./b'],
    ['a dot-dot segment', '/a/../b'],
    ['no leading slash', 'github'],
    ['nothing', ''],
    ['201 characters', `/${'a'.repeat(200)}`],
  ])('refuses %s, with an example', (_what, path) => {
    const error = refusal(() => parsePathMatch(path));
    expect(error.hint).toContain('e.g. /github/my-repo');
  });
});

describe('parseHeaderMatch', () => {
  it('reads a header alone (present) or with a value', () => {
    expect(parseHeaderMatch('X-Github-Event')).toEqual({ type: 'header', header: 'X-Github-Event' });
    expect(parseHeaderMatch('X-Github-Event=push')).toEqual({
      type: 'header',
      header: 'X-Github-Event',
      value: 'push',
    });
    expect(parseHeaderMatch('X-Gitlab-Token=a:b/c.d-e_f')).toMatchObject({ value: 'a:b/c.d-e_f' });
    expect(parseHeaderMatch('X!$%&*+.^_|~')).toMatchObject({ header: 'X!$%&*+.^_|~' });
  });

  it.each([
    ['an empty name', '=push', /invalid header name ""/],
    ['a space in the name', 'X Github', /invalid header name/],
    ['a newline in the name', 'X-Github\nacl', /invalid header name/],
    ['a "#" in the name', 'X#1', /invalid header name "X#1"/],
    ['a quote in the name', "X'1", /invalid header name/],
    ['parentheses in the name', 'X(1)', /invalid header name/],
    ['a long name', 'X'.repeat(101), /invalid header name/],
    ['an empty value', 'X-Github-Event=', /invalid value "" for header X-Github-Event/],
    ['a space in the value', 'X-Github-Event=Push Hook', /invalid value "Push Hook"/],
    ['a "#" in the value', 'X-Github-Event=a#b', /invalid value/],
    ['a brace in the value', 'X-Github-Event=}', /invalid value/],
    ['a newline in the value', 'X-Github-Event=push\nuse_backend x', /invalid value/],
    ['unicode in the value', 'X-Github-Event=püsh', /invalid value/],
    ['a second "="', 'X-Github-Event=a=b', /invalid value "a=b"/],
    ['a long value', `X-Github-Event=${'a'.repeat(101)}`, /invalid value/],
  ])('refuses %s, with an example', (_what, text, message) => {
    const error = refusal(() => parseHeaderMatch(text));
    expect(error.message).toMatch(message);
    expect(error.hint).toContain('e.g. X-Github-Event=push');
  });
});

describe('describeMatch', () => {
  it('writes paths as they are and headers with their value', () => {
    expect(describeMatch({ type: 'path', path: '/github' })).toBe('/github');
    expect(describeMatch({ type: 'header', header: 'X-Github-Event' })).toBe('header X-Github-Event');
    expect(describeMatch({ type: 'header', header: 'X-Github-Event', value: 'push' })).toBe(
      'header X-Github-Event=push',
    );
  });
});
