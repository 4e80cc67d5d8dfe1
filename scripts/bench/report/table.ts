// A table of the report, and how it is printed: aligned columns for the terminal, Markdown for the docs.

export interface Table {
  readonly title: string
  /** Failures and remarks, printed under the table. */
  readonly notes: readonly string[]
  readonly headers: readonly string[]
  /** `r` for right-aligned columns. */
  readonly align: string
  readonly rows: readonly (readonly string[])[]
}

export function textTable(table: Table): string {
  const widths = table.headers.map((header, column) =>
    Math.max(header.length, ...table.rows.map((row) => (row[column] ?? '').length)),
  )
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => (table.align[column] === 'r' ? cell.padStart(widths[column] ?? 0) : cell.padEnd(widths[column] ?? 0)))
      .join('  ')
      .trimEnd()
  return [
    table.title,
    line(table.headers),
    widths.map((width) => '-'.repeat(width)).join('  '),
    ...table.rows.map(line),
    ...table.notes.map((note) => `  * ${note}`),
  ].join('\n')
}

export function markdownTable(table: Table): string {
  const escape = (cell: string) => cell.replaceAll('|', '\\|')
  const row = (cells: readonly string[]) => `| ${cells.map(escape).join(' | ')} |`
  const rule = `| ${table.headers.map((_, column) => (table.align[column] === 'r' ? '---:' : '---')).join(' | ')} |`
  const notes = table.notes.length === 0 ? '' : `\n\n${table.notes.map((note) => `- ${note}`).join('\n')}`
  return [row(table.headers), rule, ...table.rows.map(row)].join('\n') + notes
}
