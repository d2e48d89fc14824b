/**
 * Reads PostgreSQL's text form of a tsvector ('word':1A,2 'other':3C) into lexemes and packed
 * positions, exactly as PostgreSQL stores them: 14 bits of position, 2 bits of weight (A=3, B=2,
 * C=1, D=0), so the in-memory index decides on the very positions and weights `@@` decides on.
 */
export const WEIGHT_BITS: Record<string, number> = { A: 3, B: 2, C: 1, D: 0 };

/** Calls `fn` once per lexeme; `positions` is reused between calls (copy what you keep). */
export function readTsvector(text: string, fn: (lexeme: string, positions: number[]) => void): void {
  const positions: number[] = [];
  let i = 0;
  const n = text.length;
  while (i < n) {
    while (i < n && text.charCodeAt(i) === 32) i++;
    if (i >= n) break;
    if (text.charCodeAt(i) !== 39) throw new Error(`tsvector: expected a quote at ${i}`);
    i++;
    let word = '';
    let from = i;
    for (;;) {
      if (i >= n) throw new Error('tsvector: unterminated lexeme');
      const c = text.charCodeAt(i);
      if (c === 39) {
        if (text.charCodeAt(i + 1) === 39) {
          word += text.slice(from, i + 1);
          i += 2;
          from = i;
          continue;
        }
        word += text.slice(from, i);
        i++;
        break;
      }
      if (c === 92) {
        word += text.slice(from, i) + text.charAt(i + 1);
        i += 2;
        from = i;
        continue;
      }
      i++;
    }
    positions.length = 0;
    if (text.charCodeAt(i) === 58) {
      i++;
      for (;;) {
        let p = 0;
        while (i < n) {
          const c = text.charCodeAt(i);
          if (c < 48 || c > 57) break;
          p = p * 10 + (c - 48);
          i++;
        }
        let w = 0;
        const c = text.charAt(i);
        if (c === 'A' || c === 'B' || c === 'C' || c === 'D') {
          w = WEIGHT_BITS[c]!;
          i++;
        }
        positions.push((w << 14) | p);
        if (text.charCodeAt(i) === 44) i++;
        else break;
      }
    }
    fn(word, positions);
  }
}
