import fs from 'node:fs';
import { createRequire } from 'node:module';
import PDFDocument from 'pdfkit';

/**
 * A small text-flow layer over PDFKit for Thai documents. PDFKit shapes text through fontkit
 * (GSUB/GPOS: tone marks over upper vowels, shortened tails, marks shifted clear of tall consonants),
 * but its own line breaker knows no Thai word boundaries, so lines are broken here between words
 * found by Intl.Segmenter('th') and drawn one by one.
 */
const require = createRequire(import.meta.url);
// Google's Sarabun (OFL) as TrueType: PDFKit's subsetter cannot embed the WOFF2 files the portal serves.
export const FONT_REGULAR = require.resolve('@expo-google-fonts/sarabun/400Regular/Sarabun_400Regular.ttf');
export const FONT_BOLD = require.resolve('@expo-google-fonts/sarabun/700Bold/Sarabun_700Bold.ttf');

export const MM = 72 / 25.4;

/**
 * Faces for characters Sarabun lacks (a foreign name in Cyrillic, Greek, Chinese …), tried in order
 * where the system has them (Debian's fonts-dejavu-core, fonts-noto-cjk); a letter must print a
 * requester's name, not boxes. A character no face has still comes back out of the PDF as text.
 */
const FALLBACK_FONTS: Record<FontName, { path: string; family?: string }[]> = {
  regular: [
    { path: '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf' },
    { path: '/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc', family: 'NotoSansCJKsc-Regular' },
    { path: '/usr/share/fonts/truetype/noto/NotoSansSymbols2-Regular.ttf' },
  ],
  bold: [
    { path: '/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf' },
    { path: '/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc', family: 'NotoSansCJKsc-Bold' },
    { path: '/usr/share/fonts/truetype/noto/NotoSansSymbols2-Regular.ttf' },
  ],
};

interface FontkitFace {
  characterSet: number[];
  glyphForCodePoint(cp: number): unknown;
  hasGlyphForCodePoint(cp: number): boolean;
}

/** Code points that need no glyph of their own: joiners, variation selectors, spaces. */
const INVISIBLE = /[\u200B-\u200D\u2060\uFE00-\uFE0F\s]/u;

const THAI_MARKS = /[\u0E31\u0E33-\u0E3A\u0E47-\u0E4E]/u;

export interface PageSetup {
  marginLeft: number;
  marginRight: number;
  marginTop: number;
  marginBottom: number;
}

export type FontName = 'regular' | 'bold';

export class ThaiWriter {
  readonly doc: PDFKit.PDFDocument;
  readonly setup: PageSetup;
  y: number;
  private pages = 1;
  private readonly segmenter = new Intl.Segmenter('th', { granularity: 'word' });
  private readonly graphemes = new Intl.Segmenter('th', { granularity: 'grapheme' });
  /** Called at the top of every page after the first (page numbers, as Thai letters carry them). */
  onNewPage: (page: number) => void = () => undefined;

  constructor(setup: PageSetup, info: PDFKit.DocumentInfo) {
    this.setup = setup;
    this.doc = new PDFDocument({ size: 'A4', margin: 0, info, autoFirstPage: true, lang: 'th-TH', pdfVersion: '1.7', tagged: false } as PDFKit.PDFDocumentOptions);
    this.doc.registerFont('regular', FONT_REGULAR);
    this.doc.registerFont('bold', FONT_BOLD);
    for (const f of ['bold', 'regular'] as const) {
      this.doc.font(f);
      primeGlyphCache(this.doc);
      this.faces.set(f, face(this.doc)!);
      FALLBACK_FONTS[f].forEach((fb, i) => {
        if (!fs.existsSync(fb.path)) return;
        const name = `${f}-fallback-${i}`;
        try {
          this.doc.registerFont(name, fb.path, fb.family as string);
          this.doc.font(name);
        } catch {
          return; // an unreadable face is skipped, never a failed letter
        }
        const fk = face(this.doc);
        if (fk) this.fallbacks[f].push({ name, face: fk });
      });
    }
    this.y = setup.marginTop;
  }

  private readonly faces = new Map<string, FontkitFace>();
  private readonly fallbacks: Record<FontName, { name: string; face: FontkitFace }[]> = { regular: [], bold: [] };

  /** The text cut into runs, each with the face that has every glyph of its characters. */
  private runs(text: string): { font: string; text: string; missing: boolean }[] {
    const primary = this.faces.get(this.fontName);
    const fallbacks = this.fallbacks[this.fontName];
    if (!primary) return [{ font: this.fontName, text, missing: false }];
    const has = (f: FontkitFace, g: string) => [...g].every((ch) => INVISIBLE.test(ch) || f.hasGlyphForCodePoint(ch.codePointAt(0)!));
    const out: { font: string; text: string; missing: boolean }[] = [];
    for (const { segment: g } of this.graphemes.segment(text)) {
      let font: string = this.fontName;
      let missing = false;
      if (!has(primary, g)) {
        const fb = fallbacks.find((f) => has(f.face, g));
        if (fb) font = fb.name;
        else missing = true;
      }
      const last = out[out.length - 1];
      if (last && last.font === font) {
        last.text += g;
        last.missing ||= missing;
      } else out.push({ font, text: g, missing });
    }
    return out;
  }

  get width(): number {
    return this.doc.page.width - this.setup.marginLeft - this.setup.marginRight;
  }

  get bottom(): number {
    return this.doc.page.height - this.setup.marginBottom;
  }

  private fontName: FontName = 'regular';
  private size = 12;

  use(font: FontName, size: number): void {
    this.fontName = font;
    this.size = size;
    this.doc.font(font).fontSize(size);
  }

  measure(text: string): number {
    const runs = this.runs(text);
    if (runs.length === 1 && runs[0]!.font === this.fontName) return this.doc.widthOfString(text);
    let w = 0;
    for (const r of runs) w += this.doc.font(r.font).widthOfString(r.text);
    this.doc.font(this.fontName);
    return w;
  }

  lineHeight(size = this.size): number {
    return size * 1.45;
  }

  /** Starts a new page if fewer than `h` points are left. */
  ensure(h: number): void {
    if (this.y + h <= this.bottom) return;
    const font = this.fontName;
    const size = this.size;
    this.doc.addPage({ size: 'A4', margin: 0 });
    this.pages++;
    this.y = this.setup.marginTop;
    this.onNewPage(this.pages);
    this.use(font, size);
  }

  /**
   * Draws one line. A line with Thai marks is wrapped in an ActualText span: the font draws SARA AM
   * (ำ) as NIKHAHIT + SARA AA (sometimes joined to a tone mark), and a mark that GPOS shifts is placed
   * on its own, so a PDF's glyph-to-text map alone gives extraction "ํา" or marks out of order; the
   * span gives text extraction and search the original characters.
   */
  draw(text: string, x: number, y = this.y, opts: { align?: 'left' | 'center' | 'right'; width?: number } = {}): void {
    let dx = x;
    if (opts.align && opts.align !== 'left' && opts.width) {
      const w = this.measure(text);
      dx = opts.align === 'center' ? x + (opts.width - w) / 2 : x + opts.width - w;
    }
    const runs = this.runs(text);
    const mixed = runs.length > 1 || runs[0]?.font !== this.fontName || runs.some((r) => r.missing);
    const actual = THAI_MARKS.test(text) || mixed;
    if (actual) this.doc.markContent('Span', { actual: text } as never);
    if (!mixed) this.doc.text(text, dx, y, { lineBreak: false });
    else {
      // Runs in other faces share the primary face's baseline.
      const baseline = y + (this.doc as unknown as { _font: { ascender: number } })._font.ascender / 1000 * this.size;
      for (const r of runs) {
        this.doc.font(r.font);
        this.doc.text(r.text, dx, baseline, { lineBreak: false, baseline: 'alphabetic' } as PDFKit.Mixins.TextOptions);
        dx += this.doc.widthOfString(r.text);
      }
      this.doc.font(this.fontName);
    }
    if (actual) this.doc.endMarkedContent();
  }

  /** Breaks text into lines no wider than `width`, between Thai words (long words by grapheme). */
  lines(text: string, width: number, firstIndent = 0): string[] {
    const out: string[] = [];
    for (const paragraph of text.split(/\r?\n/)) {
      let line = '';
      let limit = width - (out.length === 0 ? firstIndent : 0);
      const push = () => {
        out.push(line.trimEnd());
        line = '';
        limit = width;
      };
      const pieces: string[] = [];
      for (const { segment } of this.segmenter.segment(paragraph)) {
        if (this.measure(segment) <= width) pieces.push(segment);
        else for (const { segment: g } of this.graphemes.segment(segment)) pieces.push(g);
      }
      for (const piece of pieces) {
        if (line && this.measure(line + piece) > limit && piece.trim()) push();
        if (!line && !piece.trim()) continue;
        line += piece;
      }
      if (line || !paragraph) push();
    }
    return out;
  }

  /** A flowing paragraph at the cursor, moving it down. */
  paragraph(text: string, opts: { x?: number; width?: number; indent?: number; after?: number; align?: 'left' | 'center' | 'right' } = {}): void {
    const x = opts.x ?? this.setup.marginLeft;
    const width = opts.width ?? this.width;
    const lh = this.lineHeight();
    this.lines(text, width, opts.indent ?? 0).forEach((line, i) => {
      this.ensure(lh);
      this.draw(line, x + (i === 0 ? (opts.indent ?? 0) : 0), this.y, { align: opts.align, width });
      this.y += lh;
    });
    this.y += opts.after ?? 0;
  }

  finish(): Promise<Buffer> {
    const chunks: Buffer[] = [];
    return new Promise((resolve, reject) => {
      this.doc.on('data', (c: Buffer) => chunks.push(c));
      this.doc.on('end', () => resolve(Buffer.concat(chunks)));
      this.doc.on('error', reject);
      this.doc.end();
    });
  }
}

/**
 * fontkit caches a glyph object with the code points of the text that first produced it. A glyph
 * first met as part of a decomposed character (SARA AA out of SARA AM) would then map to no text in
 * the PDF, and every later "า" would vanish from pdftotext. Asking for every mapped character once,
 * before any layout, caches each glyph with its own code point.
 */
function face(doc: PDFKit.PDFDocument): FontkitFace | undefined {
  return (doc as unknown as { _font: { font?: FontkitFace } })._font.font;
}

function primeGlyphCache(doc: PDFKit.PDFDocument): void {
  const font = face(doc);
  if (!font) return;
  for (const cp of font.characterSet) font.glyphForCodePoint(cp);
}
