import type { DisclosureLetter } from '../../src/letters/disclosure.ts';

/** A realistic letter: an exchange of personal data approved by owner, committee and DPO. */
export function sampleLetter(overrides: Partial<DisclosureLetter> = {}): DisclosureLetter {
  return {
    agency: {
      name: 'การเคหะแห่งชาติ',
      address: ['๙๐๕ ถนนนวมินทร์ แขวงคลองจั่น', 'เขตบางกะปิ กรุงเทพมหานคร ๑๐๒๔๐'],
      unit: 'ฝ่ายเทคโนโลยีสารสนเทศ สำนักงานผู้ว่าการ',
      phone: '02-351-7777',
      email: 'it@nha.co.th',
    },
    number: 'กคช ๐๕๐๑/๑๒๓',
    date: new Date('2026-12-01T03:00:00Z'),
    to: 'อธิบดีกรมการปกครอง',
    request: { number: 'REQ-2569-000123', date: new Date('2026-11-20T02:00:00Z'), title: 'ขอข้อมูลผู้เช่าอาคารสงเคราะห์เพื่อตรวจสอบสิทธิ' },
    requester: {
      name: 'นางสาวสมหญิง ใจดี',
      position: 'นักวิเคราะห์นโยบายและแผนชำนาญการ',
      agency: 'สำนักบริหารการทะเบียน กรมการปกครอง',
      verification: { method: 'official_letter', reference: 'หนังสือ มท ๐๓๐๙/๔๕๖', officer: 'นายตรวจสอบ ถูกต้อง', at: new Date('2026-11-21T02:00:00Z') },
    },
    disclosed: [
      { dataset: 'ทะเบียนผู้เช่าอาคารสงเคราะห์ (ข้อมูลส่วนบุคคล)', fields: ['เลขที่สัญญา', 'ชื่อ-สกุลผู้เช่า', 'เลขประจำตัวประชาชน', 'โครงการ', 'วันที่ทำสัญญา'], records: 1520, note: 'เฉพาะสัญญาที่มีผล ณ วันที่ ๓๐ พฤศจิกายน ๒๕๖๙' },
      { dataset: 'สถิติผู้อยู่อาศัยรายโครงการ', fields: [], records: 87 },
    ],
    approvers: [
      { role: 'เจ้าของข้อมูล', name: 'นายเจ้าของ ข้อมูลดี', position: 'ผู้อำนวยการฝ่ายบริหารทรัพย์สิน', at: new Date('2026-11-24T03:00:00Z') },
      { role: 'คณะกรรมการธรรมาภิบาลข้อมูล', name: 'นางกรรมการ ธรรมาภิบาล', position: 'ประธานคณะกรรมการ', at: new Date('2026-11-26T03:00:00Z') },
      { role: 'เจ้าหน้าที่คุ้มครองข้อมูลส่วนบุคคล (DPO)', name: 'นายคุ้มครอง ส่วนบุคคล', at: new Date('2026-11-27T03:00:00Z') },
    ],
    signer: { name: 'นายผู้ว่า การเคหะ', position: 'ผู้ว่าการการเคหะแห่งชาติ' },
    conditions: 'ใช้เพื่อตรวจสอบสิทธิที่อยู่อาศัยเท่านั้น ห้ามเปิดเผยต่อบุคคลที่สาม และทำลายข้อมูลเมื่อสิ้นสุดการใช้งาน',
    ...overrides,
  };
}
