import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { api } from '../helpers.ts';
import { corpusEnv, type CorpusEnv } from './fixtures.ts';
import { words } from '../../src/search/segment.ts';
import { graphemeLength, typoDistance, deletionKeys, osaDistance, graphemesOf } from '../../src/search/typo.ts';

/**
 * Typo tolerance on the real data.go.th records: words of real titles with one slip (a dropped,
 * doubled or wrong letter, a wrong or missing tone mark, two letters swapped), searched for as
 * a visitor would type them. The share that finds the dataset the word came from in the top 10
 * is printed and must reach 9 in 10.
 */
let c: CorpusEnv;
before(async () => {
  c = await corpusEnv();
});
after(() => c.env.close());

async function search(q: string, rows = 10) {
  const r = await api(c.env, 'package_search', { q, rows });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  return r.json.result as { count: number; results: Array<{ name: string; title: string }>; search_loosened?: Array<{ from: string; mode: string; to: string[] }> };
}

test('distance counts grapheme clusters or code points, whichever is smaller', () => {
  assert.equal(typoDistance('ลพุรี', 'ลพบุรี'), 1, 'a dropped consonant under a vowel mark');
  assert.equal(osaDistance(graphemesOf('ลพุรี'), graphemesOf('ลพบุรี'), 3), 2, 'in clusters alone the mark moves and it costs two');
  assert.equal(typoDistance('นคปฐม', 'นครปฐม'), 1);
  assert.equal(typoDistance('โรแรม', 'โรงแรม'), 1);
  assert.equal(typoDistance('ท่องเทียว', 'ท่องเที่ยว'), 1, 'a missing tone mark');
  assert.equal(typoDistance('ท่องเที้ยว', 'ท่องเที่ยว'), 1, 'a wrong tone mark');
  assert.equal(typoDistance('ทั้', 'ที่'), 1, 'one cluster with the wrong vowel and tone');
  assert.equal(osaDistance(Array.from('ทั้'), Array.from('ที่'), 3), 2, 'two edits in code points');
  assert.equal(typoDistance('แรงงาน', 'โรงงาน'), 1);
  assert.equal(graphemeLength('ที่'), 1);
  assert.ok(deletionKeys('ลพบุรี').includes('ลพุรี'));
});

const THAI_CONSONANTS = [...'กขคงจฉชซญดตถทธนบปผพฟภมยรลวศษสหอฮ'];
const TONES = ['\u0E48', '\u0E49', '\u0E4A', '\u0E4B'];

function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Slip = 'drop' | 'double' | 'substitute' | 'tone' | 'swap';

/** One slip in a word, at a random place; null when this kind does not fit the word. */
function slip(word: string, kind: Slip, rnd: () => number): string | null {
  const cps = Array.from(word);
  const at = (xs: number[]) => (xs.length ? xs[Math.floor(rnd() * xs.length)]! : -1);
  const idx = cps.map((_, i) => i);
  const consonants = idx.filter((i) => THAI_CONSONANTS.includes(cps[i]!));
  switch (kind) {
    case 'drop': {
      const i = at(idx);
      return cps.filter((_, j) => j !== i).join('');
    }
    case 'double': {
      const i = at(consonants);
      return i < 0 ? null : [...cps.slice(0, i + 1), cps[i]!, ...cps.slice(i + 1)].join('');
    }
    case 'substitute': {
      const i = at(consonants);
      if (i < 0) return null;
      const other = THAI_CONSONANTS.filter((x) => x !== cps[i]);
      return [...cps.slice(0, i), other[Math.floor(rnd() * other.length)]!, ...cps.slice(i + 1)].join('');
    }
    case 'tone': {
      const tones = idx.filter((i) => TONES.includes(cps[i]!));
      const i = at(tones);
      if (i < 0) return null;
      // A missing tone mark, or the wrong one.
      if (rnd() < 0.5) return cps.filter((_, j) => j !== i).join('');
      const other = TONES.filter((x) => x !== cps[i]);
      return [...cps.slice(0, i), other[Math.floor(rnd() * other.length)]!, ...cps.slice(i + 1)].join('');
    }
    case 'swap': {
      const pairs = consonants.filter((i) => i + 1 < cps.length && THAI_CONSONANTS.includes(cps[i + 1]!) && cps[i] !== cps[i + 1]);
      const i = at(pairs);
      return i < 0 ? null : [...cps.slice(0, i), cps[i + 1]!, cps[i]!, ...cps.slice(i + 2)].join('');
    }
  }
}

test('nine typos in ten find the dataset the word came from in the top 10', { timeout: 600_000 }, async () => {
  const rnd = prng(2569);
  const THAI_WORD = /^[\u0E01-\u0E4E]+$/;
  const kinds: Slip[] = ['drop', 'double', 'substitute', 'tone', 'swap'];
  const mirror = c.records.filter((r) => !r.name.startsWith('legacy-2016-'));
  const cases: Array<{ word: string; typo: string; kind: Slip; dataset: string; isWord: boolean }> = [];
  const usedWords = new Set<string>();
  for (let tries = 0; cases.length < 80 && tries < 5000; tries++) {
    const rec = mirror[Math.floor(rnd() * mirror.length)]!;
    const candidates = words(rec.title).filter((w) => THAI_WORD.test(w) && graphemeLength(w) >= 4 && !usedWords.has(w));
    if (!candidates.length) continue;
    const word = candidates[Math.floor(rnd() * candidates.length)]!;
    // Only words that find their dataset when spelt right: the test is about the slip, not about a common word.
    const right = await search(word);
    if (!right.results.some((x) => x.name === rec.name)) continue;
    const kind = kinds[cases.length % kinds.length]!;
    const typo = slip(word, kind, rnd);
    if (!typo || typo === word) continue;
    usedWords.add(word);
    const asTyped = await search(`"${typo}"`, 1);
    cases.push({ word, typo, kind, dataset: rec.name, isWord: asTyped.count > 0 });
  }
  assert.ok(cases.length >= 50, `generated ${cases.length} typos`);
  let found = 0;
  let foundNonWord = 0;
  const misses: string[] = [];
  for (const t of cases) {
    const r = await search(t.typo);
    const hit = r.results.some((x) => x.name === t.dataset);
    if (hit) found++;
    if (hit && !t.isWord) foundNonWord++;
    if (!hit) misses.push(`${t.kind} ${t.word} → ${t.typo}${t.isWord ? ' (itself a word of the index)' : ''}: ${r.count} found, ${JSON.stringify(r.search_loosened ?? [])}`);
  }
  const nonWords = cases.filter((t) => !t.isWord).length;
  const share = found / cases.length;
  const shareNonWord = foundNonWord / nonWords;
  console.log(`typo evaluation: ${found}/${cases.length} = ${share.toFixed(3)} find the dataset in the top 10; of the ${nonWords} typos that are no word of the index, ${foundNonWord} = ${shareNonWord.toFixed(3)}`);
  for (const m of misses) console.log(`  miss: ${m}`);
  assert.ok(share >= 0.9, `share ${share.toFixed(3)}`);
});
