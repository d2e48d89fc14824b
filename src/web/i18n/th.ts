/** Thai labels of the portal (the default language). Every key here must exist in en.ts too. */
export const th = {
  'site.title': 'บัญชีข้อมูลหน่วยงาน',
  'site.skip': 'ข้ามไปยังเนื้อหา',
  'nav.datasets': 'ชุดข้อมูล',
  'nav.organizations': 'หน่วยงาน',
  'nav.groups': 'กลุ่มข้อมูล',
  'nav.signin': 'เข้าสู่ระบบ',
  'nav.signout': 'ออกจากระบบ',
  'nav.admin': 'ผู้ดูแลระบบ',
  'nav.language': 'English',
  'error.notfound': 'ไม่พบหน้าที่ต้องการ',
  'error.forbidden': 'ไม่มีสิทธิ์เข้าถึง',
  'error.server': 'เกิดข้อผิดพลาดในระบบ',
  'error.csrf': 'แบบฟอร์มหมดอายุหรือไม่ถูกต้อง กรุณาลองใหม่อีกครั้ง',
} as const;
