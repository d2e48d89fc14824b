import type { Msg } from '../actions/errors.ts';

/** Validation messages in Thai and English. CKAN's English wording is kept where clients match on it. */
export const M = {
  missing: (): Msg => ({ th: 'กรุณากรอกข้อมูลนี้', en: 'Missing value' }),
  notString: (): Msg => ({ th: 'ต้องเป็นข้อความ', en: 'Must be a string' }),
  notList: (): Msg => ({ th: 'ต้องเป็นรายการ', en: 'Must be a list' }),
  tooLong: (max: number): Msg => ({ th: `ยาวเกิน ${max} ตัวอักษร`, en: `Must be at most ${max} characters long` }),
  nul: (): Msg => ({ th: 'มีอักขระควบคุม (NUL) ที่ไม่อนุญาต', en: 'Contains a NUL character, which is not allowed' }),
  invisible: (): Msg => ({
    th: 'มีอักขระที่มองไม่เห็น (เช่น zero-width space) กรุณาลบออก',
    en: 'Contains invisible characters (such as zero-width space); please remove them',
  }),
  notInList: (value: string): Msg => ({ th: `ค่า "${value}" ไม่อยู่ในรายการที่กำหนด`, en: `Value must be one of the allowed choices, got "${value}"` }),
  otherRequired: (): Msg => ({ th: 'เลือก "อื่นๆ" แล้ว กรุณาระบุรายละเอียด', en: 'You chose "อื่นๆ" (other): please describe it' }),
  email: (): Msg => ({ th: 'รูปแบบอีเมลไม่ถูกต้อง', en: 'Email is not valid' }),
  url: (): Msg => ({ th: 'URL ต้องขึ้นต้นด้วย http:// หรือ https://', en: 'URL must start with http:// or https://' }),
  imageUrl: (): Msg => ({
    th: 'ที่อยู่รูปภาพต้องขึ้นต้นด้วย http:// หรือ https:// หรือเป็นเส้นทางในเว็บไซต์นี้ที่ขึ้นต้นด้วย / ตัวเดียว',
    en: 'Image URL must start with http:// or https://, or be a path on this site starting with a single /',
  }),
  date: (): Msg => ({ th: 'วันที่ต้องอยู่ในรูปแบบ ปปปป-ดด-วว', en: 'Date must be in the format YYYY-MM-DD' }),
  year: (): Msg => ({ th: 'ปีต้องเป็นตัวเลข 4 หลัก (พ.ศ. หรือ ค.ศ.)', en: 'Year must be 4 digits (Buddhist or Common Era)' }),
  number: (): Msg => ({ th: 'ต้องเป็นตัวเลข', en: 'Must be a number' }),
  range: (min: number, max: number): Msg => ({ th: `ต้องอยู่ระหว่าง ${min} ถึง ${max}`, en: `Must be between ${min} and ${max}` }),
  flag: (): Msg => ({ th: 'ต้องเป็น ใช่ หรือ ไม่ใช่ (True/False)', en: 'Must be True or False' }),
  notForType: (typeLabel: string): Msg => ({
    th: `ช่องนี้ไม่ใช้กับประเภทชุดข้อมูล "${typeLabel}"`,
    en: `This field does not apply to data type "${typeLabel}"`,
  }),
  unknownField: (): Msg => ({ th: 'ไม่รู้จักช่องข้อมูลนี้', en: 'Unknown field' }),
  classificationForCategory: (category: string, allowed: string[]): Msg => ({
    th: `หมวดหมู่ "${category}" ใช้ได้กับระดับชั้น: ${allowed.join(', ')}`,
    en: `Category "${category}" allows only these levels: ${allowed.join(', ')}`,
  }),
  publicMustHarvest: (): Msg => ({
    th: 'ข้อมูลสาธารณะต้องยินยอมให้นำชื่อชุดข้อมูลไปใช้ที่ GD-Catalog',
    en: 'Public data must allow harvesting to GD-Catalog',
  }),
  tagLength: (min: number, max: number): Msg => ({ th: `คำสำคัญต้องยาว ${min}-${max} ตัวอักษร`, en: `Tag length must be between ${min} and ${max}` }),
  tagChars: (tag: string): Msg => ({
    th: `คำสำคัญ "${tag}" ใช้ได้เฉพาะตัวอักษร ตัวเลข ช่องว่าง และเครื่องหมาย - _ . ( ) [ ] % / & + : ' < > =`,
    en: `Tag "${tag}" must be alphanumeric characters, spaces or symbols: -_.()[]%/&+:'<>=`,
  }),
  tagRequired: (): Msg => ({ th: 'กรุณาระบุคำสำคัญอย่างน้อย 1 คำ', en: 'At least one tag is required' }),
  slugLength: (): Msg => ({ th: 'URL ต้องยาว 2-70 ตัวอักษร', en: 'Must be between 2 and 70 characters long' }),
  slugChars: (): Msg => ({
    th: 'URL ใช้ได้เฉพาะตัวอักษรภาษาอังกฤษพิมพ์เล็ก (a-z) ตัวเลข และ - _',
    en: 'Must be purely lowercase alphanumeric (ascii) characters and these symbols: -_',
  }),
  slugInUse: (): Msg => ({ th: 'URL นี้ถูกใช้แล้ว', en: 'That URL is already in use.' }),
  slugInTrash: (): Msg => ({
    th: 'URL นี้เป็นของชุดข้อมูลที่ถูกลบแล้ว (อยู่ในถังขยะ) กรุณาใช้ URL อื่น หรือกู้คืนชุดข้อมูลเดิม',
    en: 'That URL is already in trash.',
  }),
  titleInUse: (): Msg => ({ th: 'ชื่อชุดข้อมูลนี้ถูกใช้แล้วในหน่วยงานนี้', en: 'That title is already in use.' }),
  /** For a clash with an entry the caller may not see: says neither what it is nor whether it is deleted. */
  slugUnavailable: (): Msg => ({ th: 'ใช้ URL นี้ไม่ได้ กรุณาเลือก URL อื่น', en: 'That URL cannot be used; please choose another.' }),
  titleUnavailable: (): Msg => ({ th: 'ใช้ชื่อชุดข้อมูลนี้ไม่ได้ กรุณาเลือกชื่ออื่น', en: 'That title cannot be used; please choose another.' }),
  idUnavailable: (): Msg => ({ th: 'ใช้รหัสนี้ไม่ได้', en: 'That id cannot be used' }),
  tooManyProbes: (): Msg => ({
    th: 'มีการเลือก URL หรือรหัสที่ใช้ไม่ได้บ่อยเกินไป กรุณาลองใหม่ภายหลัง',
    en: 'Too many attempts with URLs or ids that cannot be used; please try again later',
  }),
  tooMany: (max: number): Msg => ({ th: `มีได้ไม่เกิน ${max} รายการ`, en: `At most ${max} items are allowed` }),
  orgNotFound: (): Msg => ({ th: 'ไม่พบหน่วยงานนี้', en: 'Organization does not exist' }),
  orgNotAllowed: (): Msg => ({
    th: 'คุณไม่มีสิทธิ์เพิ่มชุดข้อมูลในหน่วยงานนี้',
    en: 'You cannot add a dataset to this organization',
  }),
  groupNotFound: (name: string): Msg => ({ th: `ไม่พบกลุ่ม "${name}"`, en: `Group "${name}" does not exist` }),
  invalidId: (): Msg => ({ th: 'รหัสไม่ถูกต้อง', en: 'Invalid id' }),
  idInUse: (): Msg => ({ th: 'รหัสนี้ถูกใช้แล้ว', en: 'Dataset id already exists' }),
  badExtras: (): Msg => ({ th: 'extras ต้องเป็นรายการของ {key, value}', en: 'Extras must be a list of {key, value}' }),
  extraConflict: (key: string): Msg => ({
    th: `"${key}" เป็นช่องข้อมูลตามมาตรฐาน ให้ส่งเป็นช่องโดยตรง ไม่ใช่ใน extras`,
    en: `"${key}" is a field of the standard: send it as a field, not in extras`,
  }),
  badState: (): Msg => ({ th: 'สถานะต้องเป็น draft หรือ active', en: 'State must be draft or active' }),
  dictionary: (detail: string): Msg => ({ th: `พจนานุกรมข้อมูลไม่ถูกต้อง: ${detail}`, en: `Invalid data dictionary: ${detail}` }),
  mustBeInteger: (): Msg => ({ th: 'ต้องเป็นจำนวนเต็มไม่ติดลบ', en: 'Must be a natural number' }),
};
