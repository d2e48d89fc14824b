import { html, safeHref, type Html } from '../html.ts';
import { isImageUrl } from '../../standard/values.ts';
import type { GroupDict } from './types.ts';

/** Words that begin most agency names and say nothing about which agency it is. */
const PREFIXES = ['สำนักงาน', 'สำนัก', 'กระทรวง', 'กรม', 'กอง', 'ศูนย์', 'สถาบัน', 'องค์การ', 'การ'];
/** Vowels written before the consonant they follow in speech (เ แ โ ใ ไ). */
const LEADING_VOWEL = /^[\u0E40-\u0E44]/;
const CONSONANT = /[\u0E01-\u0E2E]/;
const segmenter = new Intl.Segmenter('th', { granularity: 'word' });

function firstConsonant(word: string): string {
  const w = word.replace(LEADING_VOWEL, '');
  return CONSONANT.exec(w)?.[0] ?? '';
}

/**
 * A short mark for an organisation without a logo: from a Thai title, the first consonant of its
 * first two words once the common prefixes (กรม, สำนักงาน, กระทรวง …) are dropped (กรมควบคุมโรค → คร);
 * from a Latin title, its initials (Department of Disease Control → DDC).
 */
export function monogram(title: string): string {
  const t = title.trim();
  if (/[\u0E00-\u0E7F]/.test(t)) {
    let rest = t.replace(/\s+/g, '');
    for (let changed = true; changed;) {
      changed = false;
      for (const p of PREFIXES) {
        if (rest.startsWith(p) && rest.length > p.length + 1) {
          rest = rest.slice(p.length);
          changed = true;
        }
      }
    }
    const words = [...segmenter.segment(rest)].filter((s) => s.isWordLike).map((s) => s.segment);
    const mark = words.slice(0, 2).map(firstConsonant).join('');
    if (mark) return mark;
  }
  const initials = t.split(/[\s\-_/]+/).filter((w) => /^[A-Za-z]/.test(w) && !/^(of|and|the|for)$/i.test(w)).map((w) => w[0]!.toUpperCase()).join('').slice(0, 3);
  return initials || [...t][0] || '?';
}

/** The organisation's logo (only URLs isImageUrl accepts), or its monogram; decorative either way. */
export function orgMark(g: GroupDict, size = 48): Html {
  if (typeof g.image_url === 'string' && g.image_url && isImageUrl(g.image_url)) {
    return html`<img src="${safeHref(g.image_url)}" alt="" width="${size}" height="${size}" loading="lazy" class="card-logo">`;
  }
  return html`<span class="card-mark" aria-hidden="true">${monogram(String(g.title || g.name || ''))}</span>`;
}
