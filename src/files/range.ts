/**
 * HTTP byte ranges for file downloads (RFC 9110 §14): one range of one file, so an interrupted
 * download of a large file resumes (`curl -C -`, `wget -c`, browsers) instead of starting over.
 */

export type RangeAnswer = { start: number; end: number } | 'unsatisfiable' | null;

// Longer numbers than a safe integer are fine: they are only compared with the size.
const SPEC = /^bytes=\s*(\d{0,30})-(\d{0,30})\s*$/i;

/**
 * The range a Range header asks of a file of `size` bytes: null to send the whole file (no header,
 * a header we do not read — another unit, several ranges, bad syntax — is ignored as the RFC allows),
 * 'unsatisfiable' for a range wholly past the end (416).
 */
export function parseRange(header: string | undefined, size: number): RangeAnswer {
  if (!header) return null;
  const m = SPEC.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return null;
  if (m[1] === '') {
    const n = Number(m[2]);
    if (n === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Number(m[2]);
  if (start >= size) return 'unsatisfiable';
  if (end < start) return null;
  return { start, end: Math.min(end, size - 1) };
}

/** Whether an If-None-Match / If-Range header names this (strong) entity tag. */
export function etagMatches(header: string | undefined, etag: string, weakOk: boolean): boolean {
  if (!header) return false;
  if (weakOk && header.trim() === '*') return true;
  return header.split(',').some((t) => {
    const tag = t.trim();
    return tag === etag || (weakOk && tag === `W/${etag}`);
  });
}
