/** A table of coloured cells laid out to the terminal's width, a window of its rows, one of them highlighted. */
import { Text, type TextProps } from 'ink';
import { fit } from './cells.ts';
import { placeColumns, type ColumnSpec } from './columns.ts';

export interface Cell {
  text: string;
  color?: TextProps['color'];
  bold?: boolean;
  dim?: boolean;
}

interface TableProps {
  specs: ColumnSpec[];
  /** All rows: column widths stay put while the window scrolls. */
  rows: Cell[][];
  width: number;
  gap: number;
  first?: number;
  count?: number;
  /** The highlighted row: inverse, and a marker readable without colour. */
  selected?: number;
}

const MARKER = '› ';
const NO_MARKER = '  ';

export function Table({ specs, rows, width, gap, first = 0, count = rows.length, selected }: TableProps) {
  const columns = placeColumns(
    specs,
    rows.map((row) => row.map((cell) => cell.text)),
    width,
    { gap, indent: NO_MARKER.length },
  );
  const space = ' '.repeat(gap);
  const used =
    NO_MARKER.length + columns.reduce((sum, column) => sum + column.width, 0) + gap * (columns.length - 1);
  return (
    <>
      <Text bold wrap="truncate-end">
        {NO_MARKER}
        {columns
          .map((column) => fit(specs[column.index]?.header ?? '', column.width, specs[column.index]?.align))
          .join(space)}
      </Text>
      {rows.slice(first, first + count).map((row, offset) => {
        const index = first + offset;
        const isSelected = index === selected;
        return (
          <Text key={index} inverse={isSelected} wrap="truncate-end">
            {isSelected ? MARKER : NO_MARKER}
            {columns.map((column, position) => {
              const cell = row[column.index] ?? { text: '' };
              return (
                <Text key={column.index} color={cell.color} bold={cell.bold} dimColor={cell.dim}>
                  {(position > 0 ? space : '') + fit(cell.text, column.width, specs[column.index]?.align)}
                </Text>
              );
            })}
            {isSelected ? ' '.repeat(Math.max(0, width - used)) : ''}
          </Text>
        );
      })}
    </>
  );
}
