import zlib from 'node:zlib';

/**
 * The first rows of an XLSX file's first sheet, read without loading the workbook: the zip's
 * central directory says where the parts are, only the parts needed are inflated, all through one
 * byte budget (a zip bomb stops at the budget, whatever its headers claim), and the sheet is read
 * only until enough rows are found. Shared strings are kept only for the indexes those rows use.
 */

export class XlsxBudgetError extends Error {}
export class XlsxFormatError extends Error {}

interface Entry {
  method: number;
  compressedSize: number;
  offset: number;
}

function centralDirectory(buf: Buffer): Map<string, Entry> {
  const min = Math.max(0, buf.length - 22 - 65535);
  let eocd = -1;
  for (let i = buf.length - 22; i >= min; i--) {
    if (buf.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new XlsxFormatError('not a zip file');
  const count = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  if (count > 10000) throw new XlsxBudgetError('too many zip entries');
  const out = new Map<string, Entry>();
  for (let i = 0; i < count; i++) {
    if (p + 46 > buf.length || buf.readUInt32LE(p) !== 0x02014b50) throw new XlsxFormatError('bad central directory');
    const nameLen = buf.readUInt16LE(p + 28);
    const name = buf.subarray(p + 46, p + 46 + nameLen).toString('utf8').replace(/^\//, '');
    out.set(name, { method: buf.readUInt16LE(p + 10), compressedSize: buf.readUInt32LE(p + 20), offset: buf.readUInt32LE(p + 42) });
    p += 46 + nameLen + buf.readUInt16LE(p + 30) + buf.readUInt16LE(p + 32);
  }
  return out;
}

function compressedData(buf: Buffer, e: Entry): Buffer {
  const p = e.offset;
  if (p + 30 > buf.length || buf.readUInt32LE(p) !== 0x04034b50) throw new XlsxFormatError('bad local header');
  const start = p + 30 + buf.readUInt16LE(p + 26) + buf.readUInt16LE(p + 28);
  if (start + e.compressedSize > buf.length) throw new XlsxFormatError('entry past the end of the file');
  return buf.subarray(start, start + e.compressedSize);
}

/** Inflated bytes one preview may still produce, over all parts. */
export interface Budget {
  left: number;
}

/**
 * Inflates an entry chunk by chunk, handing text to `onText` until it returns true (enough) or the
 * entry ends. Past the budget: XlsxBudgetError, or (for the sheet, `partialOk`) a quiet stop.
 * Returns whether the entry was read to its end.
 */
function readEntry(buf: Buffer, e: Entry, budget: Budget, onText: (text: string) => boolean, partialOk = false): Promise<boolean> {
  const data = compressedData(buf, e);
  const decoder = new TextDecoder('utf-8');
  if (e.method === 0) {
    budget.left -= data.length;
    if (budget.left < 0) {
      if (partialOk) return Promise.resolve(false);
      return Promise.reject(new XlsxBudgetError('inflated size over the budget'));
    }
    onText(decoder.decode(data));
    return Promise.resolve(true);
  }
  if (e.method !== 8) return Promise.reject(new XlsxFormatError(`unsupported compression ${e.method}`));
  return new Promise((resolve, reject) => {
    const inflate = zlib.createInflateRaw({ chunkSize: 64 * 1024 });
    let done = false;
    const finish = (err: Error | null, complete: boolean) => {
      if (done) return;
      done = true;
      inflate.destroy();
      if (err) reject(err);
      else resolve(complete);
    };
    inflate.on('data', (chunk: Buffer) => {
      if (done) return;
      budget.left -= chunk.length;
      if (budget.left < 0) return finish(partialOk ? null : new XlsxBudgetError('inflated size over the budget'), false);
      if (onText(decoder.decode(chunk, { stream: true }))) finish(null, false);
    });
    inflate.on('end', () => {
      if (!done) onText(decoder.decode());
      finish(null, true);
    });
    inflate.on('error', () => finish(new XlsxFormatError('bad deflate data'), false));
    inflate.end(data);
  });
}

async function readWhole(buf: Buffer, dir: Map<string, Entry>, name: string, budget: Budget): Promise<string | null> {
  const e = dir.get(name);
  if (!e) return null;
  let text = '';
  await readEntry(buf, e, budget, (t) => {
    text += t;
    return false;
  });
  return text;
}

const ENTITY: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
function unescapeXml(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|\w+);/gi, (m, e: string) => {
    if (e[0] === '#') {
      const n = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
      return Number.isFinite(n) && n >= 0 && n <= 0x10ffff ? String.fromCodePoint(n) : m;
    }
    return ENTITY[e] ?? m;
  });
}

function attr(tag: string, name: string): string | undefined {
  const m = new RegExp(`\\s${name}\\s*=\\s*("([^"]*)"|'([^']*)')`).exec(tag);
  return m ? unescapeXml(m[2] ?? m[3] ?? '') : undefined;
}

/** Text of the <t> elements of a string item, phonetic runs left out. */
function stringItem(xml: string): string {
  const body = xml.replace(/<(?:\w+:)?rPh\b[\s\S]*?<\/(?:\w+:)?rPh>/g, '');
  let out = '';
  for (const m of body.matchAll(/<(?:\w+:)?t(?:\s[^>]*)?>([\s\S]*?)<\/(?:\w+:)?t>/g)) out += m[1];
  return unescapeXml(out);
}

function columnIndex(ref: string | undefined): number | undefined {
  const m = ref ? /^([A-Z]{1,3})/.exec(ref) : null;
  if (!m) return undefined;
  let n = 0;
  for (const ch of m[1]!) n = n * 26 + (ch.charCodeAt(0) - 64);
  return n - 1;
}

interface RawCell {
  col: number;
  type: string;
  style: number;
  value: string;
}

function parseRow(xml: string, maxCols: number): RawCell[] {
  const cells: RawCell[] = [];
  let next = 0;
  for (const m of xml.matchAll(/<(?:\w+:)?c\b([^>]*?)(?:\/>|>([\s\S]*?)<\/(?:\w+:)?c>)/g)) {
    const tag = ` ${m[1]}`;
    const col = columnIndex(attr(tag, 'r')) ?? next;
    next = col + 1;
    if (col >= maxCols) continue;
    const inner = m[2] ?? '';
    const type = attr(tag, 't') ?? 'n';
    let value: string;
    if (type === 'inlineStr') value = stringItem(inner);
    else value = unescapeXml(/<(?:\w+:)?v(?:\s[^>]*)?>([\s\S]*?)<\/(?:\w+:)?v>/.exec(inner)?.[1] ?? '');
    cells.push({ col, type, style: Number(attr(tag, 's') ?? 0), value });
  }
  return cells;
}

const BUILTIN_DATE = new Set([14, 15, 16, 17, 18, 19, 20, 21, 22, 45, 46, 47]);

/** Which cell styles show a number as a date (built-in date formats, or a custom code with d/m/y). */
function dateStyles(stylesXml: string | null): Set<number> {
  const out = new Set<number>();
  if (!stylesXml) return out;
  const custom = new Map<number, string>();
  for (const m of stylesXml.matchAll(/<(?:\w+:)?numFmt\b([^>]*)\/?>/g)) custom.set(Number(attr(` ${m[1]}`, 'numFmtId')), attr(` ${m[1]}`, 'formatCode') ?? '');
  const xfs = /<(?:\w+:)?cellXfs\b[^>]*>([\s\S]*?)<\/(?:\w+:)?cellXfs>/.exec(stylesXml)?.[1] ?? '';
  let i = 0;
  for (const m of xfs.matchAll(/<(?:\w+:)?xf\b([^>]*?)(\/>|>)/g)) {
    const id = Number(attr(` ${m[1]}`, 'numFmtId') ?? 0);
    const code = (custom.get(id) ?? '').replace(/"[^"]*"|\[[^\]]*\]|\\./g, '');
    if (BUILTIN_DATE.has(id) || /[dmy]/i.test(code) && !/^[#0.,%\s]*$/.test(code)) out.add(i);
    i++;
  }
  return out;
}

function serialDate(n: number, date1904: boolean): string {
  const ms = Math.round((n - (date1904 ? -1462 : 25569)) * 86400000);
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? String(n) : d.toISOString().slice(0, 10);
}

export interface XlsxHead {
  records: string[][];
  /** More rows exist than were read (or the budget ended the read). */
  truncated: boolean;
}

/** Reads at most `maxRows` rows of the first sheet within `budgetBytes` of inflated XML. */
export async function xlsxHead(buf: Buffer, maxRows: number, budgetBytes: number, maxCols = 50, cellChars = 500): Promise<XlsxHead> {
  const dir = centralDirectory(buf);
  const budget: Budget = { left: budgetBytes };
  const workbook = (await readWhole(buf, dir, 'xl/workbook.xml', budget)) ?? '';
  const firstSheet = /<(?:\w+:)?sheet\b([^>]*)\/?>/.exec(workbook);
  const rid = firstSheet ? attr(` ${firstSheet[1]}`, 'r:id') ?? attr(` ${firstSheet[1]}`, '\\w+:id') : undefined;
  const date1904 = /date1904\s*=\s*["'](1|true)["']/.test(workbook);
  let sheetPath = 'xl/worksheets/sheet1.xml';
  const rels = await readWhole(buf, dir, 'xl/_rels/workbook.xml.rels', budget);
  if (rels && rid) {
    for (const m of rels.matchAll(/<(?:\w+:)?Relationship\b([^>]*)\/?>/g)) {
      if (attr(` ${m[1]}`, 'Id') !== rid) continue;
      const target = attr(` ${m[1]}`, 'Target') ?? '';
      sheetPath = target.startsWith('/') ? target.slice(1) : `xl/${target}`.replace(/\/\.\//g, '/');
    }
  }
  const sheet = dir.get(sheetPath);
  if (!sheet) throw new XlsxFormatError('no first sheet');

  const rows: RawCell[][] = [];
  let pending = '';
  let more = false;
  const complete = await readEntry(buf, sheet, budget, (text) => {
    const from = Math.max(0, pending.length - 8);
    pending += text;
    // Rescan only when a row may have ended: a huge row must not make the read quadratic.
    if (pending.indexOf('row>', from) < 0 && pending.indexOf('/>', from) < 0) return false;
    let cut = 0;
    for (const m of pending.matchAll(/<(?:\w+:)?row\b[^>]*?(?:\/>|>([\s\S]*?)<\/(?:\w+:)?row>)/g)) {
      cut = m.index + m[0].length;
      if (rows.length >= maxRows) {
        more = true;
        return true;
      }
      const cells = parseRow(m[1] ?? '', maxCols);
      if (cells.some((c) => c.value !== '')) rows.push(cells);
    }
    pending = pending.slice(cut);
    return false;
  }, true);
  // The budget ran out before one whole row: nothing worth showing, and the file is what a bomb looks like.
  if (!complete && !more && rows.length === 0) throw new XlsxBudgetError('inflated size over the budget before the first row');

  const needed = new Set<number>();
  let styled = false;
  for (const r of rows) for (const c of r) {
    if (c.type === 's') needed.add(Number(c.value));
    if (c.type === 'n' && c.style) styled = true;
  }
  const strings = new Map<number, string>();
  if (needed.size) {
    const max = Math.max(...needed);
    const e = dir.get('xl/sharedStrings.xml');
    if (e) {
      let index = 0;
      let buffer = '';
      await readEntry(buf, e, budget, (text) => {
        buffer += text;
        let cut = 0;
        for (const m of buffer.matchAll(/<(?:\w+:)?si\b[^>]*?(?:\/>|>([\s\S]*?)<\/(?:\w+:)?si>)/g)) {
          cut = m.index + m[0].length;
          if (needed.has(index)) strings.set(index, stringItem(m[1] ?? '').slice(0, cellChars));
          if (++index > max) return true;
        }
        buffer = buffer.slice(cut);
        return false;
      });
    }
  }
  const dates = styled ? dateStyles(await readWhole(buf, dir, 'xl/styles.xml', budget).catch(() => null)) : new Set<number>();
  const width = Math.min(maxCols, Math.max(0, ...rows.map((r) => (r.length ? r[r.length - 1]!.col + 1 : 0))));
  const records = rows.map((r) => {
    const out = new Array<string>(width).fill('');
    for (const c of r) {
      let v = c.value;
      if (c.type === 's') v = strings.get(Number(c.value)) ?? '';
      else if (c.type === 'b') v = c.value === '1' ? 'true' : 'false';
      else if (c.type === 'n' && v !== '') {
        const n = Number(v);
        if (Number.isFinite(n)) v = dates.has(c.style) ? serialDate(n, date1904) : String(n);
      }
      out[c.col] = v.slice(0, cellChars);
    }
    return out;
  });
  return { records, truncated: more || !complete };
}
