/** Column widths for a table that must fit the terminal: content widths, then cut long text, then drop extras. */

export interface ColumnSpec {
  header: string;
  align?: 'left' | 'right';
  /** Its text may be cut ('…') down to `min` columns when the table is too wide. */
  shrinks?: boolean;
  min?: number;
  /** Left out when the table cannot fit otherwise, lowest rank first. */
  dropRank?: number;
}

export interface PlacedColumn {
  /** Index into the specs and into each row. */
  index: number;
  width: number;
}

const columnsOf = (text: string) => [...text].length;

/**
 * Every column as wide as its widest cell while that fits; on a narrow terminal the widest
 * shrinking column gives way first (the later one on a tie), then droppable columns go.
 */
export function placeColumns(
  specs: ColumnSpec[],
  rows: string[][],
  width: number,
  layout: { gap: number; indent: number },
): PlacedColumn[] {
  const natural = specs.map((spec, index) =>
    Math.max(columnsOf(spec.header), ...rows.map((row) => columnsOf(row[index] ?? ''))),
  );
  let visible = specs.map((_, index) => index);
  for (;;) {
    const placed = visible.map((index) => ({ index, width: natural[index] ?? 0 }));
    let overflow =
      layout.indent +
      placed.reduce((sum, column) => sum + column.width, 0) +
      layout.gap * (placed.length - 1) -
      width;
    while (overflow > 0) {
      const widest = placed
        .filter((column) => specs[column.index]?.shrinks && column.width > minimumOf(specs[column.index]))
        .sort((a, b) => b.width - a.width || b.index - a.index)[0];
      if (!widest) break;
      widest.width -= 1;
      overflow -= 1;
    }
    if (overflow <= 0) return placed;
    const dropped = visible
      .filter((index) => specs[index]?.dropRank !== undefined)
      .sort((a, b) => (specs[a]?.dropRank ?? 0) - (specs[b]?.dropRank ?? 0))[0];
    if (dropped === undefined) return placed;
    visible = visible.filter((index) => index !== dropped);
  }
}

function minimumOf(spec: ColumnSpec | undefined): number {
  return Math.max(spec?.min ?? 1, columnsOf(spec?.header ?? ''));
}
