import type { WriteStream } from 'node:tty';
import { styleFor } from './style.ts';

/** Progress goes to stderr so that stdout stays parseable (`-o json | jq`). */
export interface Progress {
  /** The current activity; replaces the previous one. */
  update(message: string): void;
  /** A finished step, kept on screen; it ends the current activity. */
  done(message: string): void;
  /** A remark the user should read, kept on screen. */
  warn(message: string): void;
  stop(): void;
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export function createProgress(
  stream: NodeJS.WritableStream & Partial<WriteStream> = process.stderr,
): Progress {
  const style = styleFor(stream);
  const live = Boolean(stream.isTTY) && !process.env.CI;
  let current: string | undefined;
  let frame = 0;
  let timer: NodeJS.Timeout | undefined;

  const draw = () => {
    if (!live || current === undefined) return;
    stream.write(`\r\u001b[2K${style.dim(FRAMES[frame++ % FRAMES.length] ?? '')} ${current}`);
  };
  const clear = () => {
    if (live && current !== undefined) stream.write('\r\u001b[2K');
  };
  const keep = (line: string, finished: boolean) => {
    clear();
    stream.write(`${line}\n`);
    if (finished) current = undefined;
    draw();
  };

  return {
    update(message) {
      if (message === current) return;
      current = message;
      if (!live) {
        stream.write(`${message}\n`);
        return;
      }
      timer ??= setInterval(draw, 80).unref();
      draw();
    },
    done(message) {
      keep(`${style.green('✓')} ${message}`, true);
    },
    warn(message) {
      keep(`${style.yellow('!')} ${message}`, false);
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      clear();
      current = undefined;
    },
  };
}
