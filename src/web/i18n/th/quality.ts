/** Metadata quality and the OIT checklist (issue 8); the quality pages' own texts are in src/web/pages/quality/. */
export const quality = {
  'quality.section': 'คุณภาพและการเปิดเผยข้อมูล',
  'quality.scores': 'คะแนนคุณภาพคำอธิบายชุดข้อมูล',
  'quality.oit': 'ข้อมูลเปิดเผยตามเกณฑ์ OIT',
} as const;
