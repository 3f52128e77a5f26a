import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { podLogPrinter } from '../../src/ui/log-lines.ts';

function sink(isTTY: boolean) {
  const written: string[] = [];
  const stream = Object.assign(
    new Writable({
      write(chunk, _encoding, done) {
        written.push(String(chunk));
        done();
      },
    }),
    { isTTY },
  );
  return { stream, written };
}

const noColor = process.env.NO_COLOR;
afterEach(() => {
  if (noColor === undefined) delete process.env.NO_COLOR;
  else process.env.NO_COLOR = noColor;
});

describe('podLogPrinter, stern-style', () => {
  it('prefixes each line with its pod, in plain text off a terminal', () => {
    const { stream, written } = sink(false);
    const print = podLogPrinter(stream);
    print('httpecho-1', '{"path":"/trigger"}');
    expect(written).toEqual(['httpecho-1 {"path":"/trigger"}\n']);
  });

  it('gives each pod its own colour on a terminal', () => {
    delete process.env.NO_COLOR;
    const { stream, written } = sink(true);
    const print = podLogPrinter(stream);
    print('pod-a', 'one');
    print('pod-b', 'two');
    print('pod-a', 'three');
    expect(written[0]).toBe('\u001b[36mpod-a\u001b[39m one\n');
    expect(written[1]).toBe('\u001b[33mpod-b\u001b[39m two\n');
    expect(written[2]).toBe('\u001b[36mpod-a\u001b[39m three\n');
  });

  it('stays plain on a terminal when NO_COLOR is set', () => {
    process.env.NO_COLOR = '1';
    const { stream, written } = sink(true);
    podLogPrinter(stream)('pod-a', 'one');
    expect(written).toEqual(['pod-a one\n']);
  });
});
