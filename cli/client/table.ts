/**
 * Left-aligned columns separated by two spaces; the last column is never padded.
 * Widths count characters of the plain text, so colour is applied by `paint` after padding.
 */
export function renderTable(headers: string[], rows: string[][], paint?: (row: number, column: number, cell: string) => string): string[] {
  const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => (row[column] ?? "").length)));
  const render = (cells: string[], row: number) =>
    cells
      .map((cell, column) => {
        const padded = column === cells.length - 1 ? cell : cell.padEnd(widths[column] ?? 0);
        return paint && row >= 0 ? paint(row, column, padded) : padded;
      })
      .join("  ")
      .trimEnd();
  return [render(headers, -1), ...rows.map((row, index) => render(row, index))];
}
