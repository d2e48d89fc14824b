import { MM, ThaiWriter } from './layout.ts';
import { thaiDate, thaiDigits, thaiNumber } from './thai-date.ts';

/**
 * The evidence-of-disclosure letter of seed 000 rule 5: after every export or exchange, a written
 * reply that cites the request or the requester's identity verification and says what was disclosed
 * and who approved it. The layout follows a Thai external government letter (หนังสือภายนอก, ระเบียบ
 * สำนักนายกรัฐมนตรีว่าด้วยงานสารบรรณ): number at the left and the agency's address at the right,
 * the date from the middle, เรื่อง / เรียน / อ้างถึง / สิ่งที่ส่งมาด้วย, indented paragraphs, the closing and
 * the signature block right of centre, and the owning unit at the foot. Margins 3 cm left, 2 cm right.
 */
export interface DisclosureLetter {
  agency: {
    name: string;
    /** Address lines at the top right. */
    address: string[];
    /** ส่วนราชการเจ้าของเรื่อง, at the foot with the contact lines. */
    unit?: string;
    phone?: string;
    email?: string;
  };
  /** เลขที่หนังสือ as the agency's registry gives it, e.g. "กคช ๐๕๐๑/๑๒๓". */
  number: string;
  date: Date;
  subject?: string;
  /** เรียน … */
  to: string;
  request: { number: string; date: Date; title?: string };
  requester: {
    name: string;
    position?: string;
    agency?: string;
    verification: {
      method: 'digital_id' | 'id_card' | 'official_letter' | 'agreement';
      /** e.g. the Digital ID subject, the letter's number, the agreement's number. */
      reference?: string;
      /** The officer who checked an ID card. */
      officer?: string;
      at?: Date;
    };
  };
  disclosed: { dataset: string; fields: string[]; records: number; note?: string }[];
  approvers: { role: string; name: string; position?: string; at: Date }[];
  signer: { name: string; position: string };
  /** Conditions of use repeated from the approval or agreement. */
  conditions?: string;
  digits?: 'thai' | 'arabic';
}

const VERIFICATION: Record<DisclosureLetter['requester']['verification']['method'], string> = {
  digital_id: 'การลงชื่อเข้าใช้ด้วยระบบพิสูจน์และยืนยันตัวตนทางดิจิทัล (Digital ID)',
  id_card: 'การตรวจบัตรประจำตัวประชาชนโดยเจ้าหน้าที่',
  official_letter: 'หนังสือราชการของหน่วยงานผู้ขอ',
  agreement: 'ข้อตกลงการแลกเปลี่ยนข้อมูลระหว่างหน่วยงาน',
};

const SIZE = 14;

export async function renderDisclosureLetter(input: DisclosureLetter): Promise<Buffer> {
  const digits = input.digits ?? 'thai';
  const num = (s: string | number) => (digits === 'thai' ? thaiDigits(s) : String(s));
  const date = (d: Date) => thaiDate(d, { digits });
  const subject = input.subject ?? 'แจ้งผลการเปิดเผยข้อมูลและหลักฐานการเปิดเผยข้อมูล';
  const w = new ThaiWriter(
    { marginLeft: 30 * MM, marginRight: 20 * MM, marginTop: 20 * MM, marginBottom: 25 * MM },
    { Title: `${subject} (${input.request.number})`, Author: input.agency.name, Subject: `อ้างถึงคำขอเลขที่ ${input.request.number}`, CreationDate: input.date, ModDate: input.date },
  );
  const left = w.setup.marginLeft;
  const centre = w.doc.page.width / 2;
  const lh = w.lineHeight(SIZE);
  w.onNewPage = (page) => {
    w.use('regular', SIZE);
    w.draw(`- ${num(page)} -`, left, w.setup.marginTop - 10 * MM, { align: 'center', width: w.width });
  };

  // Letterhead: the agency's name where the Garuda would stand, then number left and address right.
  // Every text that comes from the input is wrapped to its column: a long name never runs over
  // the next column or off the page.
  w.use('bold', 20);
  w.paragraph(input.agency.name, { align: 'center' });
  w.y += 4 * MM;
  w.use('regular', SIZE);
  const top = w.y;
  const addressX = centre + 8 * MM;
  const addressW = w.doc.page.width - w.setup.marginRight - addressX;
  w.paragraph(`ที่ ${input.number}`, { width: addressX - left - 4 * MM });
  const numberEnd = w.y;
  w.y = top;
  w.paragraph([input.agency.name, ...input.agency.address].join('\n'), { x: addressX, width: addressW });
  w.y = Math.max(w.y, numberEnd) + lh * 0.5;
  w.draw(date(input.date), centre, w.y);
  w.y += lh * 1.5;

  const labelled = (label: string, text: string) => {
    w.use('bold', SIZE);
    const lw = w.measure(label) + 4 * MM;
    w.draw(label, left, w.y);
    w.use('regular', SIZE);
    w.paragraph(text, { x: left + lw, width: w.width - lw });
  };
  labelled('เรื่อง', subject);
  w.y += lh * 0.4;
  labelled('เรียน', input.to);
  w.y += lh * 0.4;
  labelled('อ้างถึง', `คำขอเลขที่ ${input.request.number} ลงวันที่ ${date(input.request.date)}${input.request.title ? ` เรื่อง ${input.request.title}` : ''}`);
  w.y += lh * 0.4;
  labelled('สิ่งที่ส่งมาด้วย', 'รายการข้อมูลที่เปิดเผย ตามตารางในหนังสือฉบับนี้');
  w.y += lh * 0.6;

  const r = input.requester;
  const who = [r.name, r.position ? `ตำแหน่ง ${r.position}` : '', r.agency ?? ''].filter(Boolean).join(' ');
  const indent = 25 * MM;
  w.paragraph(`ตามหนังสือที่อ้างถึง ${who} ได้ยื่นคำขอข้อมูลต่อ${input.agency.name} ความละเอียดแจ้งแล้ว นั้น`, { indent, after: lh * 0.3 });
  const v = r.verification;
  const verification = [
    `ยืนยันตัวตนของผู้ขอด้วย${VERIFICATION[v.method]}`,
    v.reference ? `(อ้างอิง ${v.reference})` : '',
    v.officer ? `โดย ${v.officer}` : '',
    v.at ? `เมื่อวันที่ ${date(v.at)}` : '',
  ].filter(Boolean).join(' ');
  w.paragraph(
    `${input.agency.name} ได้${verification} และคำขอได้รับการพิจารณาอนุมัติตามลำดับขั้นตอนของคู่มือการเชื่อมโยงและแลกเปลี่ยนข้อมูลแล้ว จึงได้เปิดเผยข้อมูลแก่ผู้ขอตามรายการดังต่อไปนี้`,
    { indent, after: lh * 0.4 },
  );

  table(w, ['ที่', 'ชุดข้อมูล', 'รายการข้อมูล (ฟิลด์)', 'จำนวนระเบียน'], [11 * MM, 50 * MM, 68 * MM, 0], input.disclosed.map((d, i) => [
    num(i + 1), d.dataset, d.fields.length ? d.fields.join(', ') + (d.note ? ` (${d.note})` : '') : `ทุกฟิลด์ตามพจนานุกรมข้อมูล${d.note ? ` (${d.note})` : ''}`, thaiNumber(d.records, digits),
  ]));
  w.y += lh * 0.4;

  w.use('bold', SIZE);
  w.ensure(lh * 2);
  w.draw('ผู้พิจารณาอนุมัติ', left + indent, w.y);
  w.y += lh;
  w.use('regular', SIZE);
  input.approvers.forEach((a, i) => {
    w.paragraph(`${num(i + 1)}. ${a.role}: ${a.name}${a.position ? ` ตำแหน่ง ${a.position}` : ''} อนุมัติเมื่อวันที่ ${date(a.at)}`, { x: left + indent, width: w.width - indent });
  });
  w.y += lh * 0.4;
  if (input.conditions) w.paragraph(`ทั้งนี้ ขอให้ใช้ข้อมูลภายใต้เงื่อนไข ${input.conditions}`, { indent, after: lh * 0.3 });
  w.paragraph(
    'หนังสือฉบับนี้เป็นหลักฐานการเปิดเผยข้อมูล ผู้ขอต้องใช้ข้อมูลตามวัตถุประสงค์ที่ได้รับอนุญาตเท่านั้น และคุ้มครองข้อมูลส่วนบุคคลตามพระราชบัญญัติคุ้มครองข้อมูลส่วนบุคคล พ.ศ. ๒๕๖๒',
    { indent, after: lh * 0.3 },
  );
  w.paragraph('จึงเรียนมาเพื่อโปรดทราบ', { indent, after: lh });

  // Closing and signature, right of centre; kept together on one page.
  w.ensure(lh * 6);
  w.draw('ขอแสดงความนับถือ', centre, w.y);
  w.y += lh * 3;
  const signX = centre - 20 * MM;
  const signW = w.doc.page.width - w.setup.marginRight - signX;
  w.paragraph(`(${input.signer.name})`, { x: signX, width: signW, align: 'center' });
  w.paragraph(input.signer.position, { x: signX, width: signW, align: 'center' });

  // The owning unit and its contact lines at the foot of the last page.
  const foot = [input.agency.unit, input.agency.phone ? `โทร. ${num(input.agency.phone)}` : '', input.agency.email ? `ไปรษณีย์อิเล็กทรอนิกส์ ${input.agency.email}` : ''].filter(Boolean) as string[];
  if (foot.length) {
    w.use('regular', 12);
    const lines = foot.flatMap((line) => w.lines(line, w.width));
    const need = lines.length * w.lineHeight(12) + lh;
    w.ensure(need);
    w.y = Math.max(w.y + lh, w.bottom - lines.length * w.lineHeight(12));
    for (const line of lines) {
      w.draw(line, left, w.y);
      w.y += w.lineHeight(12);
    }
  }
  return w.finish();
}

/** A ruled table whose cells wrap; a row never splits across pages, and the header repeats. */
function table(w: ThaiWriter, head: string[], widths: number[], rows: string[][]): void {
  const left = w.setup.marginLeft;
  const total = w.width;
  const cols = widths.map((x, i) => (i === widths.length - 1 ? total - widths.slice(0, -1).reduce((a, b) => a + b, 0) : x));
  const pad = 1.6 * MM;
  const lh = w.lineHeight(13);
  const drawRow = (cells: string[], bold: boolean) => {
    w.use(bold ? 'bold' : 'regular', 13);
    const wrapped = cells.map((c, i) => w.lines(c, cols[i]! - 2 * pad));
    const h = Math.max(...wrapped.map((l) => l.length)) * lh + pad;
    w.ensure(h);
    let x = left;
    wrapped.forEach((lines, i) => {
      w.doc.rect(x, w.y, cols[i]!, h).lineWidth(0.6).strokeColor('#333333').stroke();
      const align = i === 0 || i === cols.length - 1 ? (bold ? 'center' : i === 0 ? 'center' : 'right') : 'left';
      lines.forEach((line, k) => w.draw(line, x + pad, w.y + pad / 2 + k * lh, { align, width: cols[i]! - 2 * pad }));
      x += cols[i]!;
    });
    w.y += h;
  };
  w.use('regular', 13);
  drawRow(head, true);
  for (const r of rows) {
    w.use('regular', 13);
    const need = Math.max(...r.map((c, i) => w.lines(c, cols[i]! - 2 * pad).length)) * lh + pad;
    if (w.y + need > w.bottom) {
      w.ensure(need + lh * 2);
      drawRow(head, true);
    }
    drawRow(r, false);
  }
  w.use('regular', 14);
}
