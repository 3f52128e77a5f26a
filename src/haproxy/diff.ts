/**
 * A unified diff of two texts, as `diff -u --label a/<label> --label b/<label>` prints it: Myers'
 * shortest edit script over lines, hunks with three lines of context, "\ No newline at end of file".
 */

type Op = { kind: ' ' | '-' | '+'; line: string };

const CONTEXT = 3;
/** Past this many differing lines, the changed middle is shown as one replacement: still a correct diff. */
const MAX_EDIT_DISTANCE = 2000;

/** Lines with their "\n", so a last line without one differs from the same text with one. */
function splitLines(text: string): string[] {
  const lines: string[] = [];
  let start = 0;
  while (start < text.length) {
    const newline = text.indexOf('\n', start);
    const end = newline < 0 ? text.length : newline + 1;
    lines.push(text.slice(start, end));
    start = end;
  }
  return lines;
}

/** Myers' O((N+M)D) shortest edit script; keeps one window of V per step for the backtrack. */
function shortestEdit(a: string[], b: string[]): Op[] | undefined {
  const n = a.length;
  const m = b.length;
  const max = n + m;
  const offset = max + 1;
  const v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  for (let d = 0; d <= Math.min(max, MAX_EDIT_DISTANCE); d++) {
    trace.push(v.slice(offset - d - 1, offset + d + 2));
    for (let k = -d; k <= d; k += 2) {
      const down = k === -d || (k !== d && (v[offset + k - 1] ?? 0) < (v[offset + k + 1] ?? 0));
      let x = down ? (v[offset + k + 1] ?? 0) : (v[offset + k - 1] ?? 0) + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) return backtrack(a, b, trace);
    }
  }
  return undefined;
}

function backtrack(a: string[], b: string[], trace: Int32Array[]): Op[] {
  const ops: Op[] = [];
  let x = a.length;
  let y = b.length;
  for (let d = trace.length - 1; d >= 0; d--) {
    const window = trace[d] as Int32Array;
    // The window holds k from -(d+1) to d+1.
    const at = (k: number) => window[k + d + 1] ?? 0;
    const k = x - y;
    const down = k === -d || (k !== d && at(k - 1) < at(k + 1));
    const prevK = down ? k + 1 : k - 1;
    const prevX = d === 0 ? 0 : at(prevK);
    const prevY = d === 0 ? 0 : prevX - prevK;
    while (x > prevX && y > prevY) {
      ops.push({ kind: ' ', line: a[--x] as string });
      y--;
    }
    if (d > 0) {
      if (x === prevX) ops.push({ kind: '+', line: b[--y] as string });
      else ops.push({ kind: '-', line: a[--x] as string });
    }
  }
  return ops.reverse();
}

function editScript(a: string[], b: string[]): Op[] {
  let prefix = 0;
  while (prefix < a.length && prefix < b.length && a[prefix] === b[prefix]) prefix++;
  let suffix = 0;
  while (
    suffix < a.length - prefix &&
    suffix < b.length - prefix &&
    a[a.length - 1 - suffix] === b[b.length - 1 - suffix]
  ) {
    suffix++;
  }
  const middleA = a.slice(prefix, a.length - suffix);
  const middleB = b.slice(prefix, b.length - suffix);
  const middle = shortestEdit(middleA, middleB) ?? [
    ...middleA.map((line): Op => ({ kind: '-', line })),
    ...middleB.map((line): Op => ({ kind: '+', line })),
  ];
  return [
    ...a.slice(0, prefix).map((line): Op => ({ kind: ' ', line })),
    ...middle,
    ...a.slice(a.length - suffix).map((line): Op => ({ kind: ' ', line })),
  ];
}

/** `start,count` as diff writes it: the count left out when 1, the line before when the range is empty. */
function range(start: number, count: number): string {
  if (count === 1) return `${start + 1}`;
  return `${count === 0 ? start : start + 1},${count}`;
}

function renderLine(op: Op): string {
  return op.line.endsWith('\n')
    ? `${op.kind}${op.line}`
    : `${op.kind}${op.line}\n\\ No newline at end of file\n`;
}

/** The unified diff from `before` to `after`, headed `--- a/<label>` and `+++ b/<label>`; '' when equal. */
export function unifiedDiff(before: string, after: string, label: string): string {
  if (before === after) return '';
  const ops = editScript(splitLines(before), splitLines(after));
  // Old and new line numbers before each op.
  const oldAt: number[] = [];
  const newAt: number[] = [];
  let oldLine = 0;
  let newLine = 0;
  for (const op of ops) {
    oldAt.push(oldLine);
    newAt.push(newLine);
    if (op.kind !== '+') oldLine++;
    if (op.kind !== '-') newLine++;
  }
  const changes = ops.flatMap((op, index) => (op.kind === ' ' ? [] : [index]));
  const out = [`--- a/${label}\n`, `+++ b/${label}\n`];
  for (let first = 0; first < changes.length;) {
    // Extend the hunk while the next change is close enough for the contexts to touch.
    let last = first;
    while (
      last + 1 < changes.length &&
      (changes[last + 1] as number) - (changes[last] as number) - 1 <= 2 * CONTEXT
    ) {
      last++;
    }
    const from = Math.max(0, (changes[first] as number) - CONTEXT);
    const to = Math.min(ops.length, (changes[last] as number) + CONTEXT + 1);
    const hunk = ops.slice(from, to);
    const oldCount = hunk.filter((op) => op.kind !== '+').length;
    const newCount = hunk.filter((op) => op.kind !== '-').length;
    out.push(`@@ -${range(oldAt[from] ?? 0, oldCount)} +${range(newAt[from] ?? 0, newCount)} @@\n`);
    for (const op of hunk) out.push(renderLine(op));
    first = last + 1;
  }
  return out.join('');
}
