/**
 * Edit distance for typo matching, in the units a Thai reader counts. A grapheme cluster (a
 * consonant with its vowel and tone marks, Intl.Segmenter's grapheme granularity) makes a wrong
 * or missing tone mark one edit (ที่ → ที); code points make a dropped consonant under a mark
 * one edit (ลพบุรี → ลพุรี: in clusters the ุ moves to พ and that costs two). A word is within
 * reach when either count is small enough.
 */

const graphemeSegmenter = new Intl.Segmenter('th', { granularity: 'grapheme' });

export function graphemesOf(text: string): string[] {
  return Array.from(graphemeSegmenter.segment(text), (s) => s.segment);
}

/** Length as a reader counts it: a Thai consonant with its vowel and tone marks is one. */
export function graphemeLength(text: string): number {
  let n = 0;
  for (const _ of graphemeSegmenter.segment(text)) n++;
  return n;
}

/**
 * Optimal string alignment distance (Damerau–Levenshtein with adjacent transpositions) between
 * two unit sequences; anything above `max` is reported as max + 1.
 */
export function osaDistance(a: readonly string[], b: readonly string[], max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  const n = a.length;
  const m = b.length;
  let prev2 = new Array<number>(m + 1).fill(0);
  let prev = Array.from({ length: m + 1 }, (_, j) => j);
  let cur = new Array<number>(m + 1).fill(0);
  for (let i = 1; i <= n; i++) {
    cur[0] = i;
    let rowMin = i;
    for (let j = 1; j <= m; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, prev2[j - 2]! + 1);
      cur[j] = d;
      if (d < rowMin) rowMin = d;
    }
    if (rowMin > max) return max + 1;
    [prev2, prev, cur] = [prev, cur, prev2];
  }
  return Math.min(prev[m]!, max + 1);
}

/** The smaller of the distances in grapheme clusters and in code points (see above). */
export function typoDistance(a: string, b: string, max = 2): number {
  if (a === b) return 0;
  return Math.min(osaDistance(graphemesOf(a), graphemesOf(b), max), osaDistance(Array.from(a), Array.from(b), max));
}

/** Words this short have too many neighbours to guess from; long words may carry two slips. */
export const MIN_TYPO_GRAPHEMES = 3;
export const LONG_WORD_GRAPHEMES = 8;

export function allowedTypos(word: string): number {
  const n = graphemeLength(word);
  return n < MIN_TYPO_GRAPHEMES ? 0 : n >= LONG_WORD_GRAPHEMES ? 2 : 1;
}

/** Longest word the vocabulary keeps: beyond this a token is a URL or a code, not a word to misspell. */
const MAX_VOCAB_LENGTH = 40;
const LETTER = /\p{L}/u;
const DIGIT = /\p{Nd}/u;

/** Words worth remembering for typo and part-of-word matching: letters, no digits, 2 to 40 code points. */
export function isVocabWord(token: string): boolean {
  const n = token.length;
  return n >= 2 && n <= MAX_VOCAB_LENGTH && LETTER.test(token) && !DIGIT.test(token);
}

function deletions(units: readonly string[], out: Set<string>): void {
  for (let i = 0; i < units.length; i++) out.add(units.slice(0, i).join('') + units.slice(i + 1).join(''));
}

/**
 * The word and every form with one unit (code point or grapheme cluster) left out. Two words
 * within one edit of each other always share a key (a substitution or a swap deletes to the same
 * form, an insertion deletes to the other word), so candidates are found by one GIN lookup.
 */
export function deletionKeys(word: string): string[] {
  const out = new Set<string>([word]);
  deletions(Array.from(word), out);
  deletions(graphemesOf(word), out);
  out.delete('');
  return [...out];
}
