/**
 * Plain-text columns for terminal tables: each column as wide as its widest cell, two spaces
 * between columns, the last column left ragged and no trailing spaces.
 */
export function alignColumns(
  header: readonly string[],
  rows: readonly (readonly string[])[],
  options: { rightAligned?: readonly number[]; indent?: string } = {},
): string[] {
  const right = new Set(options.rightAligned ?? []);
  const widths = header.map((title, i) =>
    Math.max(title.length, ...rows.map((cells) => cells[i]?.length ?? 0)),
  );
  const line = (cells: readonly string[]) =>
    `${options.indent ?? ''}${cells
      .map((cell, i) => {
        if (i === cells.length - 1) return cell;
        return right.has(i) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!);
      })
      .join('  ')}`.trimEnd();
  return [line(header), ...rows.map(line)];
}
