/** A worksheet cell as text: dates as ISO, formulas by their result, rich text and links by their text. */
export function cellText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (v instanceof Date) {
    if (Number.isNaN(v.getTime())) return '';
    const iso = v.toISOString();
    // A time-only cell is a fraction of a day from Excel's day 0 (1899-12-30): its time, not a date in 1899.
    if (iso.startsWith('1899-12-30T')) return iso.slice(11, 19);
    return iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : iso.slice(0, 19).replace('T', ' ');
  }
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if ('result' in o) return cellText(o.result);
    if ('text' in o) return String(o.text);
    if (Array.isArray(o.richText)) return o.richText.map((r: { text?: string }) => r.text ?? '').join('');
    if ('error' in o) return '';
    return '';
  }
  return String(v);
}
