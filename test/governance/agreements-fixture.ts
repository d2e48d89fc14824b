import assert from 'node:assert/strict';
import { testEnv, as, makeUser, makeOrg, actorFor, datasetInput, type TestEnv } from '../helpers.ts';
import type { Actor } from '../../src/access/actor.ts';

/** An owner agency with governance people, a partner organisation, and an internal dataset with a dictionary and a file. */
export interface Fixture {
  env: TestEnv;
  org: string;
  partner: string;
  dataset: string;
  datasetName: string;
  fileUrl: string;
  people: Record<'owner' | 'legal' | 'committee' | 'it' | 'editor' | 'partner' | 'outsider', Actor>;
  tokens: Record<string, string>;
}

export const DICT = ['citizen_id', 'name', 'province', 'age', 'status'];

export async function fixture(opts: { web?: boolean } = {}): Promise<Fixture> {
  const env = await testEnv({}, opts);
  const org = (await makeOrg(env, 'nha', 'การเคหะแห่งชาติ')).id as string;
  const partner = (await makeOrg(env, 'dopa', 'กรมการปกครอง')).id as string;
  await makeOrg(env, 'other', 'หน่วยงานอื่น');
  const tokens: Record<string, string> = {};
  const duty = async (name: string, role: string | null, extra: { org?: string; role?: string } = {}) => {
    const u = await makeUser(env, name, extra);
    tokens[name] = u.token;
    if (role) {
      const id = (await env.services.store.db.selectFrom('users').select('id').where('name', '=', name).executeTakeFirstOrThrow()).id;
      await env.services.store.db.insertInto('duties').values({ group_id: org, user_id: id, role, created_by: null }).execute();
    }
    return actorFor(env, name);
  };
  const editorActor = await duty('editor', null, { org: 'nha', role: 'editor' });
  const people = {
    owner: await duty('owner', 'data_owner', { org: 'nha', role: 'member' }),
    legal: await duty('legal', 'legal_officer'),
    committee: await duty('committee', 'governance_committee'),
    it: await duty('it', 'it_officer'),
    editor: editorActor,
    partner: await duty('partner_user', null, { org: 'dopa', role: 'member' }),
    outsider: await duty('outsider', null, { org: 'other', role: 'editor' }),
  };
  const ds = await as<Record<string, string>>(env, editorActor, 'package_create', datasetInput('nha', { name: 'tenants', title: 'ทะเบียนผู้เช่า', data_category: 'ข้อมูลใช้ภายใน', data_classification: 'ชั้นเผยแพร่ภายในองค์กร' }));
  const upload = await env.app.inject({
    method: 'POST',
    url: '/api/3/action/resource_create',
    headers: { authorization: tokens.editor!, 'content-type': 'multipart/form-data; boundary=XX' },
    payload: ['--XX', 'Content-Disposition: form-data; name="package_id"', '', 'tenants', '--XX', 'Content-Disposition: form-data; name="name"', '', 'ทะเบียน', '--XX', 'Content-Disposition: form-data; name="upload"; filename="t.csv"', 'Content-Type: text/csv', '', 'citizen_id,name\n1,2', '--XX--', ''].join('\r\n'),
  });
  assert.equal(upload.statusCode, 200, upload.body);
  const dict = DICT.map((name) => ({ name, type: name === 'age' ? 'integer' : 'text', description_th: name, description_en: name, unit: '', example: '', personal_data: name === 'citizen_id' }));
  await env.services.store.db.updateTable('resources').set({ data_dictionary: JSON.stringify(dict) }).where('dataset_id', '=', ds.id!).execute();
  return { env, org, partner, dataset: ds.id!, datasetName: 'tenants', fileUrl: new URL(upload.json().result.url).pathname, people, tokens };
}

export function agreementInput(f: Fixture, over: Record<string, unknown> = {}): Record<string, unknown> {
  const now = Date.now();
  return {
    kind: 'agreement', organization: 'nha', partner: 'dopa', title: 'ข้อตกลงใช้ข้อมูลผู้เช่า', purpose: 'ตรวจสอบสิทธิ', scope_of_use: 'เฉพาะงานทะเบียน',
    access_from: new Date(now - 3600_000).toISOString(), access_to: new Date(now + 30 * 86400_000).toISOString(),
    frequency_unit: 'calls_per_day', frequency_count: 1000, service_level: '99.5% ในเวลาราชการ', period_of_use: '1 ปี', technology: 'rest',
    legal_basis: 'พ.ร.บ. การบริหารงานและการให้บริการภาครัฐผ่านระบบดิจิทัล พ.ศ. 2562 มาตรา 13',
    items: [{ dataset: f.datasetName, fields: ['name', 'province'], row_condition: "province = 'เชียงใหม่' AND age >= 18" }],
    ...over,
  };
}

export async function fails(p: Promise<unknown>): Promise<any> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  assert.fail('expected an error');
}
