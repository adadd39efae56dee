// A table of records: a caption, a header a column, a row a record. Each cell is labelled with its column's
// header, because on phones the rows become cards (styles.css) whose values must say what they are.
import type { HTMLAttributes, ReactNode } from 'react';

export interface Column<Row> {
  header: string;
  cell: (row: Row) => ReactNode;
  /** On the column's header and cells, e.g. 'nowrap' for times and ids. */
  className?: string;
  /** A column of controls (a checkbox) rather than values: its header is for screen readers, its cells carry no label. */
  controls?: boolean;
}

interface RecordTableProps<Row> {
  caption: string;
  /** Added to `table`, e.g. 'admin-table'. */
  className?: string;
  columns: Column<Row>[];
  rows: Row[];
  rowKey: (row: Row, index: number) => string;
  /** The buttons and links of a row, in a last column headed "Actions" for screen readers. */
  actions?: (row: Row) => ReactNode;
  /** Attributes of a row, e.g. an id that links point to. */
  rowAttributes?: (row: Row) => HTMLAttributes<HTMLTableRowElement>;
  /** Shown instead of the table when there are no rows; without it, nothing is. */
  empty?: ReactNode;
}

export function RecordTable<Row>({ caption, className, columns, rows, rowKey, actions, rowAttributes, empty }: RecordTableProps<Row>) {
  if (rows.length === 0) return empty ?? null;
  const all = actions ? [...columns, { header: 'Actions', cell: actions, className: 'row-actions', controls: true }] : columns;
  return (
    <table className={className ? `table ${className}` : 'table'}>
      <caption>{caption}</caption>
      <thead>
        <tr>
          {all.map((column) => (
            <th key={column.header} scope="col" className={column.className}>
              {column.controls ? <span className="visually-hidden">{column.header}</span> : column.header}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map((row, index) => (
          <tr key={rowKey(row, index)} {...rowAttributes?.(row)}>
            {all.map((column) => (
              <td key={column.header} data-label={column.controls ? undefined : column.header} className={column.className}>
                {column.cell(row)}
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
