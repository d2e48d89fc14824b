import { as, api, makeUser, makeOrg, actorFor, datasetInput, testEnv, type TestEnv } from '../helpers.ts';
import type { Actor } from '../../src/access/actor.ts';
import type { Config } from '../../src/config.ts';
import { runLoads, upload } from '../datastore/helpers.ts';

/**
 * A provider agency (nha) with governance people and an internal dataset whose resource is a
 * DataStore table (citizen_id is personal data), and a partner agency (dopa) with one member.
 */
export interface Provider {
  env: TestEnv;
  /** The provider's settings (a second server over the same database opens with these). */
  config(): Config;
  dataset: string;
  resource: string;
  people: Record<'owner' | 'committee' | 'editor' | 'partner' | 'outsider', Actor>;
  tokens: Record<'owner' | 'committee' | 'editor' | 'partner' | 'outsider', string>;
}

export const PROVINCES = ['เชียงใหม่', 'ลำพูน', 'น่าน'];
export const ROWS = 30;

export async function provider(overrides: Partial<Config> = {}, opts: { web?: boolean } = {}): Promise<Provider> {
  const env = await testEnv(overrides, opts);
  await makeOrg(env, 'nha', 'การเคหะแห่งชาติ');
  await makeOrg(env, 'dopa', 'กรมการปกครอง');
  await makeOrg(env, 'other', 'หน่วยงานอื่น');
  const tokens = {} as Provider['tokens'];
  const people = {} as Provider['people'];
  const org = (await env.services.store.db.selectFrom('groups').select('id').where('name', '=', 'nha').executeTakeFirstOrThrow()).id;
  const person = async (key: keyof Provider['people'], name: string, opts: { org?: string; role?: string }, duty?: string) => {
    tokens[key] = (await makeUser(env, name, opts)).token;
    if (duty) {
      const id = (await env.services.store.db.selectFrom('users').select('id').where('name', '=', name).executeTakeFirstOrThrow()).id;
      await env.services.store.db.insertInto('duties').values({ group_id: org, user_id: id, role: duty, created_by: null }).execute();
    }
    people[key] = await actorFor(env, name);
  };
  await person('editor', 'editor', { org: 'nha', role: 'editor' });
  await person('owner', 'owner', { org: 'nha', role: 'member' }, 'data_owner');
  await person('committee', 'committee', {}, 'governance_committee');
  await person('partner', 'partner_user', { org: 'dopa', role: 'member' });
  await person('outsider', 'outsider', { org: 'other', role: 'editor' });
  const ds = await as<Record<string, string>>(env, people.editor, 'package_create', datasetInput('nha', { name: 'tenants', title: 'ทะเบียนผู้เช่า', data_category: 'ข้อมูลใช้ภายใน', data_classification: 'ชั้นเผยแพร่ภายในองค์กร' }));
  const dict = ['citizen_id', 'name', 'province', 'age', 'status'].map((name) => ({ name, type: name === 'age' ? 'integer' : 'text', description_th: name, description_en: name, personal_data: name === 'citizen_id' }));
  const lines = ['citizen_id,name,province,age,status'];
  for (let i = 0; i < ROWS; i++) lines.push(`${1100000000000 + i},ผู้เช่า ${i},${PROVINCES[i % 3]},${10 + i * 2},${i % 2 ? 'active' : 'pending'}`);
  const res = await upload(env, tokens.editor, { package_id: 'tenants', name: 'ทะเบียน', data_dictionary: JSON.stringify(dict) }, 'tenants.csv', lines.join('\n') + '\n');
  await runLoads(env);
  return { env, config: () => env.config, dataset: ds.id!, resource: res.id, people, tokens };
}

export function agreementInput(over: Record<string, unknown> = {}): Record<string, unknown> {
  const now = Date.now();
  return {
    kind: 'agreement', organization: 'nha', partner: 'dopa', title: 'ข้อตกลงใช้ข้อมูลผู้เช่า', purpose: 'ตรวจสอบสิทธิ', scope_of_use: 'เฉพาะงานทะเบียน',
    access_from: new Date(now - 3600_000).toISOString(), access_to: new Date(now + 30 * 86400_000).toISOString(),
    frequency_unit: 'calls_per_day', frequency_count: 1000, service_level: '99.5%', period_of_use: '1 ปี', technology: 'rest',
    legal_basis: 'พ.ร.บ. การบริหารงานและการให้บริการภาครัฐผ่านระบบดิจิทัล พ.ศ. 2562 มาตรา 13',
    items: [{ dataset: 'tenants', fields: ['name', 'province', 'age'], row_condition: "province = 'เชียงใหม่' AND age >= 18" }],
    ...over,
  };
}

/** An agreement made and brought into force through the governance actions (draft → approval → approved → active). */
export async function activeAgreement(p: Provider, over: Record<string, unknown> = {}): Promise<{ id: string; number: string }> {
  const a = await as(p.env, p.people.owner, 'agreement_create', agreementInput(over));
  await as(p.env, p.people.owner, 'agreement_transition', { id: a.id, transition: 'submit' });
  await as(p.env, p.people.committee, 'agreement_transition', { id: a.id, transition: 'approve' });
  await as(p.env, p.people.owner, 'agreement_transition', { id: a.id, transition: 'activate' });
  return { id: a.id, number: a.number };
}

export { api };

/** A SOAP 1.1 envelope with GetRecords around `inner` (the gateway's binding, docs/exchange.md). */
export const soapEnvelope = (inner: string) => `<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:b="urn:banchi:exchange:v1"><soap:Body><b:GetRecords>${inner}</b:GetRecords></soap:Body></soap:Envelope>`;
