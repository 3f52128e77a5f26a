/**
 * Finds where JSON text first goes wrong. JSON.parse decides whether text is valid; V8's messages only
 * sometimes give a position, and sometimes quote the text instead, so the position is found here.
 */

export interface JsonSyntaxProblem {
  /** Index into the text (UTF-16 code units) where the problem is. */
  index: number;
  problem: string;
}

/** Thrown inside the scanner to unwind to `findJsonSyntaxError`. */
class Stop {
  constructor(readonly problem: JsonSyntaxProblem) {}
}

const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const HEX4 = /^[0-9a-fA-F]{4}$/;
const SIMPLE_ESCAPES = '"\\/bfnrt';

/** The first syntax error in `text`, or undefined when it is valid JSON (or nested too deep to scan). */
export function findJsonSyntaxError(text: string): JsonSyntaxProblem | undefined {
  const scanner = new JsonScanner(text);
  try {
    scanner.document();
    return undefined;
  } catch (error) {
    if (error instanceof Stop) return error.problem;
    if (error instanceof RangeError) return undefined;
    throw error;
  }
}

class JsonScanner {
  private at = 0;

  constructor(private readonly text: string) {}

  document(): void {
    this.value();
    this.space();
    if (this.at < this.text.length) this.fail('has more text after the JSON value');
  }

  private value(): void {
    this.space();
    const c = this.text[this.at];
    if (c === '{') return this.object();
    if (c === '[') return this.array();
    if (c === '"') return this.string();
    if (c === 't' || c === 'f' || c === 'n') return this.literal();
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return this.number();
    this.fail(
      c === undefined
        ? 'ends where a value was expected'
        : `has ${describeCharacter(c)} where a value was expected`,
    );
  }

  private object(): void {
    this.at++;
    this.space();
    if (this.text[this.at] === '}') {
      this.at++;
      return;
    }
    for (;;) {
      this.space();
      if (this.text[this.at] !== '"') this.fail('expected a double-quoted property name');
      this.string();
      this.space();
      if (this.text[this.at] !== ':') this.fail("expected ':' after a property name");
      this.at++;
      this.value();
      this.space();
      const c = this.text[this.at];
      this.at++;
      if (c === '}') return;
      if (c !== ',') this.fail("expected ',' or '}' after a property value", this.at - 1);
    }
  }

  private array(): void {
    this.at++;
    this.space();
    if (this.text[this.at] === ']') {
      this.at++;
      return;
    }
    for (;;) {
      this.value();
      this.space();
      const c = this.text[this.at];
      this.at++;
      if (c === ']') return;
      if (c !== ',') this.fail("expected ',' or ']' after an array element", this.at - 1);
    }
  }

  private string(): void {
    const start = this.at;
    this.at++;
    for (;;) {
      const c = this.text[this.at];
      if (c === undefined) this.fail('has a string that is never closed', start);
      if (c === '"') {
        this.at++;
        return;
      }
      if (c === '\\') {
        const next = this.text[this.at + 1];
        if (next !== undefined && SIMPLE_ESCAPES.includes(next)) this.at += 2;
        else if (next === 'u' && HEX4.test(this.text.slice(this.at + 2, this.at + 6))) this.at += 6;
        else this.fail('has an invalid escape sequence in a string');
        continue;
      }
      if (c < ' ') this.fail('has a control character (such as a raw line break or tab) inside a string');
      this.at++;
    }
  }

  private number(): void {
    NUMBER.lastIndex = this.at;
    if (!NUMBER.test(this.text)) this.fail('has an invalid number');
    this.at = NUMBER.lastIndex;
  }

  private literal(): void {
    const word = ['true', 'false', 'null'].find((w) => this.text.startsWith(w, this.at));
    if (word === undefined) this.fail('has an unknown word where a value was expected (true, false, null?)');
    this.at += word.length;
  }

  private space(): void {
    while (' \t\n\r'.includes(this.text[this.at] ?? 'x')) this.at++;
  }

  private fail(problem: string, index = this.at): never {
    throw new Stop({ index, problem });
  }
}

function describeCharacter(c: string): string {
  if (c < ' ')
    return `a control character (U+${c.charCodeAt(0).toString(16).padStart(4, '0').toUpperCase()})`;
  return `${JSON.stringify(c)}`;
}
