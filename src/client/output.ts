/** Printing for the client commands: aligned plain-text tables and JSON documents on stdout. */

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Columns padded to the widest cell; the last column is not padded. Newlines in cells become spaces. */
function formatTable(headers: string[], rows: (string | number | boolean | null | undefined)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map((c) => (c === null || c === undefined ? "" : String(c)).replace(/\s*\n\s*/g, " ")))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? "").length)));
  return cells
    .map((r) =>
      r
        .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!)))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

export function printTable(headers: string[], rows: (string | number | boolean | null | undefined)[][], empty: string): void {
  process.stdout.write(rows.length ? `${formatTable(headers, rows)}\n` : `${empty}\n`);
}
