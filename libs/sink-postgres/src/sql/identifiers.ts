/** A quoted SQL identifier. */
export function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** A SQL string literal (for names in DDL and constant parameters built once per statement). */
export function literal(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}
