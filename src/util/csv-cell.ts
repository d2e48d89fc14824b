/**
 * One CSV (or TSV) cell, the way every CSV this server writes makes them: quoted when it holds the
 * separator, a quote or a line break, and — for text — never read as a formula by a spreadsheet
 * (a leading = + - @ tab or carriage return gets a leading apostrophe, as OWASP advises). Numbers
 * and booleans are written as they are, so -5 stays -5. `text: false` for a value known to be a
 * number or a date written as text (a DataStore numeric column answers big values as strings).
 */
export function csvCell(v: unknown, sep = ',', text = true): string {
  if (v === null || v === undefined) return '';
  let s = typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
  if (text && (typeof v === 'string' || typeof v === 'object') && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return s.includes(sep) || /["\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
