import { wordSlots } from './segment.ts';

/** The tsvector literal of a search row: pure, so a worker thread can build it (segment-pool.ts). */
export type Weight = 'A' | 'B' | 'C' | 'D';
export interface DocumentPart {
  text: string | string[];
  weight: Weight;
}

function lexeme(token: string): string {
  return `'${token.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

/** PostgreSQL keeps at most this many positions per word and positions below 16384. */
const MAX_POSITIONS = 255;
const MAX_POSITION = 16383;
/** tsvector values are limited to 1 MB; a pathological description must not make a write fail. */
const MAX_LEXEME_BYTES = 256 * 1024;

/**
 * A tsvector literal with positions and weights, built from our own word slots, because
 * PostgreSQL's parser does not split Thai. Alternatives of a word share its position, and fields
 * are kept apart so a phrase never runs from one field into the next.
 * Weights: A title and name, B tags, C description, D everything else.
 */
/**
 * Segmentation is the costly part of indexing, and catalogs repeat themselves (organisation
 * titles, maintainers, sources, resource names equal to the title): short texts are segmented
 * once per rebuild batch.
 */
const slotCache = new Map<string, string[][]>();
const CACHE_LIMIT = 20000;

function cachedSlots(text: string): string[][] {
  if (text.length > 300) return wordSlots(text);
  let slots = slotCache.get(text);
  if (!slots) {
    if (slotCache.size >= CACHE_LIMIT) slotCache.clear();
    slots = wordSlots(text);
    slotCache.set(text, slots);
  }
  return slots;
}

export function tsvectorLiteral(parts: DocumentPart[], vocab?: Set<string>): string {
  const positions = new Map<string, string[]>();
  let pos = 1;
  let bytes = 0;
  for (const part of parts) {
    // Separate texts of one field (tags, resource names) are a position apart, so a phrase never
    // joins the end of one to the start of the next.
    for (const text of Array.isArray(part.text) ? part.text : [part.text]) {
      for (const slot of cachedSlots(text)) {
        if (pos > MAX_POSITION) break;
        for (const tok of slot) {
          let list = positions.get(tok);
          if (!list) {
            bytes += Buffer.byteLength(tok) + 8;
            if (bytes > MAX_LEXEME_BYTES) continue;
            positions.set(tok, (list = []));
          }
          if (list.length < MAX_POSITIONS) list.push(`${pos}${part.weight}`);
        }
        pos++;
      }
      pos++;
    }
    pos += 10;
  }
  if (vocab) for (const tok of positions.keys()) vocab.add(tok);
  return [...positions.entries()].map(([tok, ps]) => `${lexeme(tok)}:${ps.join(',')}`).join(' ');
}

