/**
 * Rule 6 of seed 000 routes an export by the kind of data: general → CDO; important, confidential
 * or security → data governance committee; personal → DPO as well. The catalog's standard files a
 * dataset under a category (หมวดหมู่) and a classification level (ระดับชั้น); this maps them to the
 * classes process files test (`category in [...]`). A dataset may fall in two (personal data kept
 * at "ลับ" goes to the committee and to the DPO); a request over several datasets takes the union.
 */
export type GovernanceClass = 'general' | 'important' | 'confidential' | 'security' | 'personal';

const BY_CATEGORY: Record<string, GovernanceClass> = {
  'ข้อมูลสาธารณะ': 'general',
  'ข้อมูลใช้ภายใน': 'general',
  'ข้อมูลส่วนบุคคล': 'personal',
  'ข้อมูลความลับทางราชการ': 'confidential',
  'ข้อมูลความมั่นคง': 'security',
};

const SECRET_LEVELS = new Set(['ลับ', 'ลับมาก', 'ลับที่สุด']);

export function governanceClasses(datasets: readonly { data_category?: string | null; data_classification?: string | null; important?: boolean }[]): GovernanceClass[] {
  const out = new Set<GovernanceClass>();
  for (const d of datasets) {
    // An unknown category is treated as confidential: the stricter route, never the laxer.
    out.add(BY_CATEGORY[d.data_category ?? ''] ?? 'confidential');
    if (d.data_classification && SECRET_LEVELS.has(d.data_classification)) out.add('confidential');
    if (d.important) out.add('important');
  }
  if (out.size > 1) out.delete('general');
  return [...out].sort();
}
