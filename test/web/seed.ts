import { Readable } from 'node:stream';
import { sys, makeOrg, makeUser, datasetInput, type TestEnv } from '../helpers.ts';

export const PASSWORD = 'correct horse battery';

/** Stores bytes in the file store as the upload route would, for resource_create. */
export async function upload(env: TestEnv, filename: string, content: string | Buffer) {
  return env.services.files.put(Readable.from([Buffer.from(content)]), env.services.config.maxUploadBytes, filename);
}

/**
 * A small catalog for the browser tests: a ministry and a department, a theme group, an editor,
 * an open statistical dataset with a CSV file and a link, a personal-data entry and a private one.
 */
export async function seedCatalog(env: TestEnv) {
  await makeOrg(env, 'moph', 'กระทรวงสาธารณสุข');
  await makeOrg(env, 'ddc', 'กรมควบคุมโรค', 'moph');
  await sys(env, 'group_create', { name: 'health', title: 'สุขภาพและการแพทย์', description: 'ชุดข้อมูลด้านสุขภาพจากหลายหน่วยงาน' });
  await makeUser(env, 'editor1', { org: 'ddc', role: 'editor' });
  await makeUser(env, 'root', { sysadmin: true });
  const open = await sys(env, 'package_create', datasetInput('ddc', {
    name: 'dengue-cases',
    title: 'จำนวนผู้ป่วยโรคไข้เลือดออกรายจังหวัด',
    notes: 'จำนวนผู้ป่วยและผู้เสียชีวิตด้วยโรคไข้เลือดออก จำแนกรายจังหวัดและรายเดือน จากระบบเฝ้าระวังโรค 506',
    tags: ['ไข้เลือดออก', 'โรคติดต่อ', 'สุขภาพ'],
    groups: [{ name: 'health' }],
  }));
  const csv = 'จังหวัด,ผู้ป่วย,เสียชีวิต\nกรุงเทพมหานคร,1520,2\nเชียงใหม่,830,1\nขอนแก่น,644,0\nสงขลา,912,1\n';
  await sys(env, 'resource_create', { package_id: open.id, name: 'ผู้ป่วยรายจังหวัด ปี 2567', description: 'ตารางจำนวนผู้ป่วยรายจังหวัด', format: 'CSV', upload: await upload(env, 'dengue-2567.csv', csv) });
  await sys(env, 'resource_create', { package_id: open.id, name: 'บริการข้อมูลผ่าน API', url: 'https://ddc.moph.go.th/api/dengue', format: 'API' });
  await sys(env, 'package_create', datasetInput('ddc', {
    name: 'hospital-survey-micro', title: 'ข้อมูลระดับย่อย สำรวจสถานพยาบาลเอกชน', data_type: 'ข้อมูลสถิติ',
    data_category: 'ข้อมูลส่วนบุคคล', data_classification: 'ลับ',
    accessible_condition: 'มี เงื่อนไขในการให้บริการ 1. ผู้รับบริการทำหนังสือขอความอนุเคราะห์ข้อมูล 2. แบบโครงร่างวิจัย/โครงการ (ถ้ามี)',
  }));
  await sys(env, 'package_create', datasetInput('ddc', { name: 'internal-budget', title: 'งบประมาณภายในกองระบาดวิทยา', private: true }));
  for (let i = 1; i <= 3; i++) {
    await sys(env, 'package_create', datasetInput('moph', { name: `health-stat-${i}`, title: `สถิติสาธารณสุขพื้นฐาน ชุดที่ ${i}`, tags: ['สถิติ', 'สาธารณสุข'] }));
  }
  return { open };
}
