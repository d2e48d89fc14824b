const segmenter = new Intl.Segmenter('th', { granularity: 'word' });

/** Lexemes longer than this are noise (URLs, base64) and would bloat the index. */
export const MAX_TOKEN = 100;
const CODE_PART = /^[a-z0-9]+$/;
const JOINER = /^[_\-./]$/;

const INVISIBLE = /\p{Default_Ignorable_Code_Point}/gu;
const THAI_WITH_DIGITS = /[\u0E01-\u0E4E]/;
const DIGIT_RUN = /(\d+(?:,\d{3})*(?:\.\d+)?)/;

/** Sara am typed as nikhahit + sara aa (old fonts, legacy records), a tone mark before or after the nikhahit. */
const SARA_AM = /\u0E4D([\u0E48-\u0E4B]?)\u0E32|([\u0E48-\u0E4B])\u0E4D\u0E32/g;
/** A vowel or tone mark typed twice in a row (รายจ่่าย) reads as one. */
const DOUBLED_MARK = /([\u0E31\u0E34-\u0E3A\u0E47-\u0E4E])\1+/g;
const THAI_DIGIT = /[\u0E50-\u0E59]/g;
/** ฯ shortens a name (กรุงเทพฯ = กรุงเทพมหานคร) and ฯลฯ means "etc.": neither is part of a word. */
const PAIYANNOI = /ฯลฯ|ฯ/g;

/**
 * The one spelling of a text that is indexed and searched: the same Thai word is written in
 * several ways in real records (Thai or Arabic digits, ำ or ํ+า, ฯ attached to the word), and
 * NFC does not unify them. Index and query both pass through here, so either spelling finds both.
 */
export function normalizeText(text: string): string {
  // Zero-width spaces and joiners pasted from Thai word processors must not split or hide a word.
  return text
    .replace(INVISIBLE, '')
    .normalize('NFC')
    .replace(SARA_AM, (_, a: string | undefined, b: string | undefined) => `${a || b || ''}\u0E33`)
    .replace(DOUBLED_MARK, '$1')
    .replace(THAI_DIGIT, (d) => String(d.charCodeAt(0) - 0x0e50))
    .replace(PAIYANNOI, ' ')
    .toLowerCase();
}

/**
 * Word slots in reading order. Each slot is [word, ...alternatives]; alternatives share the
 * word's position in the index, so either form is found and phrases still line up:
 * - Thai is split by dictionary word breaks (Thai has no spaces between words);
 * - codes stay whole and also split at their separators: 0205_01_0301 → 0205, 01, 0301, and
 *   covid-19 → covid, 19 with covid-19 as an alternative of covid;
 * - numbers written with separators also match without them: 1,000 → 1000.
 */
export function wordSlots(text: string): string[][] {
  const out: string[][] = [];
  if (!text) return out;
  const segs = [...segmenter.segment(normalizeText(text))];
  for (let i = 0; i < segs.length; i++) {
    const s = segs[i]!;
    if (!s.isWordLike) continue;
    const word = s.segment;
    // A run like covid-19 or 0205-01-0301: ASCII parts joined by single separators, no spaces.
    let j = i;
    while (CODE_PART.test(segs[j]!.segment) && j + 2 < segs.length && JOINER.test(segs[j + 1]!.segment) && segs[j + 2]!.isWordLike && CODE_PART.test(segs[j + 2]!.segment)) j += 2;
    if (j > i) {
      const whole = segs
        .slice(i, j + 1)
        .map((x) => x.segment)
        .join('');
      for (let k = i; k <= j; k += 2) {
        const part = segs[k]!.segment;
        if (part.length <= MAX_TOKEN) out.push(k === i && whole.length <= MAX_TOKEN ? [part, whole] : [part]);
      }
      i = j;
      continue;
    }
    if (word.length > MAX_TOKEN) continue;
    // The segmenter keeps digits glued to Thai (ปี2560, ฉบับที่2): the year is a word of its own.
    if (THAI_WITH_DIGITS.test(word) && /\d/.test(word)) {
      for (const part of word.split(DIGIT_RUN)) if (part) out.push(/^\d{1,3}(,\d{3})+(\.\d+)?$/.test(part) ? [part, part.replace(/,/g, '')] : [part]);
      continue;
    }
    const slot = [word];
    if (/[_.\-/]/.test(word)) for (const part of word.split(/[_.\-/]+/)) if (part && part !== word && !slot.includes(part)) slot.push(part);
    if (/^\d{1,3}(,\d{3})+(\.\d+)?$/.test(word)) slot.push(word.replace(/,/g, ''));
    out.push(slot);
  }
  return out;
}

/** The words of a text in order, one per slot (what a query is made of). */
export function words(text: string): string[] {
  return wordSlots(text).map((s) => s[0]!);
}

/** Every searchable form in a text: words and their alternatives, lower-cased. */
export function tokenize(text: string): string[] {
  return wordSlots(text).flat();
}

/** The text as space-separated words: what pg_trgm compares, so its "words" are Thai words. */
export function spacedWords(text: string): string {
  return words(text).join(' ');
}
