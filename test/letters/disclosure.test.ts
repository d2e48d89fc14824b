import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { renderDisclosureLetter } from '../../src/letters/disclosure.ts';
import { thaiDate, thaiNumber } from '../../src/letters/thai-date.ts';
import { sampleLetter } from './sample.ts';

const poppler = spawnSync('pdftotext', ['-v']).status === 0 && spawnSync('pdftoppm', ['-v']).status === 0;
const skip = poppler ? false : 'poppler-utils (pdftotext, pdftoppm) is not installed: apt-get install poppler-utils';
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'letters-'));

async function render(overrides = {}): Promise<string> {
  const file = path.join(dir, `letter-${Math.random().toString(36).slice(2)}.pdf`);
  fs.writeFileSync(file, await renderDisclosureLetter(sampleLetter(overrides)));
  return file;
}

const squash = (s: string) => s.replace(/\s+/g, ' ');

test('Buddhist-era dates in Bangkok time, with Thai month names and digits', () => {
  assert.equal(thaiDate(new Date('2026-12-01T03:00:00Z')), '1 ธันวาคม 2569');
  assert.equal(thaiDate(new Date('2026-12-31T18:00:00Z'), { digits: 'thai' }), '๑ มกราคม ๒๕๗๐', 'already the next day and year in Bangkok');
  assert.equal(thaiDate(new Date('2026-02-14T00:00:00Z'), { short: true }), '14 ก.พ. 2569');
  assert.equal(thaiNumber(1520), '๑,๕๒๐');
});

test('the letter is an A4 PDF with Sarabun embedded, and its Thai text comes back out of pdftotext', { skip }, async () => {
  const file = await render();
  const info = execFileSync('pdfinfo', [file], { encoding: 'utf8' });
  assert.match(info, /Page size:\s+595\.\d+ x 841\.\d+ pts \(A4\)/);
  const fonts = execFileSync('pdffonts', [file], { encoding: 'utf8' });
  assert.match(fonts, /Sarabun-Regular\s+CID TrueType\s+Identity-H\s+yes\s+yes\s+yes/, fonts);
  const text = squash(execFileSync('pdftotext', [file, '-'], { encoding: 'utf8' }));
  for (const expected of [
    'การเคหะแห่งชาติ', // tone mark over a consonant
    'ข้อมูลส่วนบุคคล',
    'ที่ กคช ๐๕๐๑/๑๒๓',
    '๑ ธันวาคม ๒๕๖๙',
    'คำขอเลขที่ REQ-2569-000123 ลงวันที่ ๒๐ พฤศจิกายน ๒๕๖๙', // SARA AM, drawn as two glyphs
    'สิ่งที่ส่งมาด้วย', // upper vowel + tone mark, shifted by GPOS in the bold face
    'นางสาวสมหญิง ใจดี',
    'ทะเบียนผู้เช่า',
    '๑,๕๒๐',
    'นายตรวจสอบ ถูกต้อง',
    'คณะกรรมการธรรมาภิบาลข้อมูล',
    'เจ้าหน้าที่คุ้มครองข้อมูลส่วนบุคคล (DPO)',
    'ขอแสดงความนับถือ',
    'ผู้ว่าการการเคหะแห่งชาติ',
    'ทั้งนี้', // two stacked marks
    'it@nha.co.th',
  ]) {
    assert.ok(text.includes(expected), `pdftotext lost "${expected}"`);
  }
  assert.ok(!text.includes('\u0E4D\u0E32'), 'no SARA AM decomposed into NIKHAHIT + SARA AA');
  assert.ok(!text.includes('\u25CC'), 'no dotted circles');
});

test('pdftoppm renders every page; a long list of datasets flows onto numbered pages', { skip }, async () => {
  const many = Array.from({ length: 30 }, (_, i) => ({ dataset: `ชุดข้อมูลที่ ${i + 1} ข้อมูลส่วนบุคคลของผู้เช่า`, fields: ['เลขที่สัญญา', 'ชื่อ-สกุล'], records: 1000 + i }));
  const file = await render({ disclosed: many });
  const pages = Number(/Pages:\s+(\d+)/.exec(execFileSync('pdfinfo', [file], { encoding: 'utf8' }))![1]);
  assert.ok(pages >= 2, `${pages} pages`);
  const text = squash(execFileSync('pdftotext', [file, '-'], { encoding: 'utf8' }));
  assert.match(text, /-\s*๒\s*-/, 'Thai letters number their later pages');
  assert.ok(text.includes('ชุดข้อมูลที่ 30') && text.includes('๑,๐๒๙'), 'the last row is there');
  execFileSync('pdftoppm', ['-r', '60', '-png', file, path.join(dir, 'page')]);
  const pngs = fs.readdirSync(dir).filter((f) => f.startsWith('page') && f.endsWith('.png'));
  assert.equal(pngs.length, pages);
  for (const p of pngs) {
    const png = fs.readFileSync(path.join(dir, p));
    assert.equal(png.subarray(1, 4).toString('latin1'), 'PNG');
    assert.ok(png.length > 5000, `${p} has content`);
  }
});

test('the same input renders the same bytes (dates come from the input, not the clock)', async () => {
  const a = await renderDisclosureLetter(sampleLetter());
  const b = await renderDisclosureLetter(sampleLetter());
  assert.equal(a.subarray(0, 5).toString('latin1'), '%PDF-');
  assert.ok(a.equals(b));
});

/** Every line the letter draws, with the span it covers (the layer's own measure). */
async function drawnSpans(overrides = {}): Promise<{ text: string; x0: number; x1: number; y: number; page: unknown }[]> {
  const { ThaiWriter } = await import('../../src/letters/layout.ts');
  const spans: { text: string; x0: number; x1: number; y: number; page: unknown }[] = [];
  const original = ThaiWriter.prototype.draw;
  ThaiWriter.prototype.draw = function (this: InstanceType<typeof ThaiWriter>, text, x, y = this.y, opts = {}) {
    const w = this.measure(text);
    const x0 = opts.align === 'center' && opts.width ? x + (opts.width - w) / 2 : opts.align === 'right' && opts.width ? x + opts.width - w : x;
    spans.push({ text, x0, x1: x0 + w, y, page: this.doc.page });
    return original.call(this, text, x, y, opts);
  };
  try {
    await renderDisclosureLetter(sampleLetter(overrides));
  } finally {
    ThaiWriter.prototype.draw = original;
  }
  return spans;
}

test('text from the input wraps to its column: a long letter number, agency, signer or unit never runs over another column or off the page', async () => {
  const long = 'ศูนย์เทคโนโลยีสารสนเทศและการสื่อสารสำนักงานปลัดกระทรวงการพัฒนาสังคมและความมั่นคงของมนุษย์';
  const spans = await drawnSpans({
    number: `พม ๐๒๐๗.๓/๑๒๓๔๕ ลงทะเบียนรับเลขที่ ${long}`,
    agency: { ...sampleLetter().agency, name: `${long}${long}`, unit: `${long} ${long}` },
    signer: { name: `นายสมศักดิ์ศรี ${long}`, position: 'ปลัดกระทรวง' },
  });
  const pageWidth = 595.28;
  const left = 30 * 72 / 25.4;
  const right = pageWidth - 20 * 72 / 25.4;
  for (const s of spans) {
    assert.ok(s.x0 >= left - 0.5 && s.x1 <= right + 0.5, `"${s.text}" runs outside the text block (${s.x0.toFixed(1)}–${s.x1.toFixed(1)})`);
  }
  for (const a of spans) {
    for (const b of spans) {
      if (a === b || a.page !== b.page || Math.abs(a.y - b.y) > 1) continue;
      assert.ok(a.x1 <= b.x0 + 0.5 || b.x1 <= a.x0 + 0.5, `"${a.text}" overlaps "${b.text}"`);
    }
  }
});

const dejavu = fs.existsSync('/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf');

test('a name with characters Sarabun lacks is drawn in a fallback face, not as boxes, and still extracts as text', { skip: poppler && dejavu ? false : 'needs poppler-utils and fonts-dejavu-core' }, async () => {
  const file = await render({ to: 'Mr Иван Петров (Ελένη)', requester: { ...sampleLetter().requester, name: 'นาย Иван Петров' } });
  const fonts = execFileSync('pdffonts', [file], { encoding: 'utf8' });
  assert.match(fonts, /DejaVuSans\s+CID TrueType/, fonts);
  const text = squash(execFileSync('pdftotext', [file, '-'], { encoding: 'utf8' }));
  assert.ok(text.includes('Mr Иван Петров (Ελένη)') && text.includes('นาย Иван Петров'), text.slice(0, 600));
  const plain = await render();
  assert.doesNotMatch(execFileSync('pdffonts', [plain], { encoding: 'utf8' }), /DejaVu/, 'a Thai-only letter embeds Sarabun alone');
});
