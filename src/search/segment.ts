const segmenter = new Intl.Segmenter('th', { granularity: 'word' });

/**
 * Splits text into search tokens: Thai by dictionary word breaks (Thai has no spaces between
 * words), other scripts by the same segmenter, all lower-cased. Codes such as 0205_01_0301 and
 * years stay whole and are also split at their separators, so either form finds them.
 */
export function tokenize(text: string): string[] {
  const out: string[] = [];
  if (!text) return out;
  const normalized = text.normalize('NFC').toLowerCase();
  for (const s of segmenter.segment(normalized)) {
    if (!s.isWordLike) continue;
    out.push(s.segment);
  }
  // Whole codes (letters/digits joined by _ - . /) as one token too.
  for (const m of normalized.matchAll(/[\p{L}\p{N}]+(?:[_\-./][\p{L}\p{N}]+)+/gu)) out.push(m[0]);
  return out;
}
