import { colorEnabled } from './style.ts';

const COLOURS = [36, 33, 35, 32, 34, 31];

/** stern-style log lines on stderr: the pod name first, a colour per pod on a terminal. */
export function podLogPrinter(stream: NodeJS.WritableStream & { isTTY?: boolean } = process.stderr) {
  const colours = new Map<string, number>();
  const coloured = colorEnabled(stream);
  return (pod: string, line: string) => {
    if (!colours.has(pod)) colours.set(pod, COLOURS[colours.size % COLOURS.length] ?? 36);
    const name = coloured ? `\u001b[${colours.get(pod)}m${pod}\u001b[39m` : pod;
    stream.write(`${name} ${line}\n`);
  };
}
