import { actorFor, datasetInput, makeOrg, makeUser, sys, as, type TestEnv } from '../helpers.ts';
import type { Actor } from '../../src/access/actor.ts';

/**
 * One agency (กระทรวงมหาดไทย → กรมการปกครอง) with its governance people, and an outside agency
 * (สำนักงานสถิติแห่งชาติ) whose staff file requests. Duties are given through the membership API.
 */
export interface Gov {
  ids: Record<string, string>;
  tokens: Record<string, string>;
  actors: Record<string, Actor>;
  refresh(name: string): Promise<Actor>;
}

export const PEOPLE: Record<string, { org: string; role: string; duties: [string, string][] }> = {
  creator: { org: 'dopa', role: 'editor', duties: [['dopa', 'data_creator']] },
  owner: { org: 'dopa', role: 'member', duties: [['dopa', 'data_owner']] },
  steward: { org: 'dopa', role: 'editor', duties: [['dopa', 'data_steward']] },
  cdo: { org: 'moi', role: 'member', duties: [['moi', 'cdo']] },
  dpo: { org: 'moi', role: 'member', duties: [['moi', 'dpo']] },
  committee: { org: 'moi', role: 'member', duties: [['moi', 'governance_committee']] },
  it: { org: 'moi', role: 'member', duties: [['moi', 'it_officer']] },
  requester: { org: 'nso', role: 'member', duties: [] },
  stranger: { org: 'nso', role: 'member', duties: [] },
};

export async function governanceWorld(env: TestEnv): Promise<Gov> {
  const ids: Record<string, string> = {};
  ids.moi = (await makeOrg(env, 'moi', 'กระทรวงมหาดไทย')).id;
  ids.dopa = (await makeOrg(env, 'dopa', 'กรมการปกครอง', 'moi')).id;
  ids.nso = (await makeOrg(env, 'nso', 'สำนักงานสถิติแห่งชาติ')).id;
  const tokens: Record<string, string> = {};
  const actors: Record<string, Actor> = {};
  for (const [name, p] of Object.entries(PEOPLE)) {
    const { token } = await makeUser(env, name, { org: p.org, role: p.role });
    tokens[name] = token;
    for (const [org, duty] of p.duties) await sys(env, 'organization_member_create', { id: org, username: name, role: duty });
    actors[name] = await actorFor(env, name);
  }
  return { ids, tokens, actors, refresh: async (n) => (actors[n] = await actorFor(env, n)) };
}

/** A dataset of กรมการปกครอง with a data dictionary on its resource (P1 needs one). */
export async function datasetWithDictionary(env: TestEnv, overrides: Record<string, unknown> = {}, dictionary = true) {
  const d = await sys(env, 'package_create', datasetInput('dopa', overrides));
  await sys(env, 'resource_create', {
    package_id: d.id, name: 'ข้อมูล', url: 'https://example.go.th/data.csv', format: 'CSV',
    ...(dictionary ? { data_dictionary: [{ name: 'province', type: 'text', description_th: 'จังหวัด', description_en: 'Province', unit: '', example: 'เชียงใหม่' }] } : {}),
  });
  return d;
}

/** Part 1 of form ISMS-FRM-ITD-040 as an outside agency's analyst fills it in. */
export function requestForm(overrides: Record<string, unknown> = {}) {
  return {
    requester_name: 'นางสาวสมหญิง ใจดี', requester_kind: 'government', agency: 'สำนักงานสถิติแห่งชาติ', position: 'นักสถิติชำนาญการ',
    email: 'somying@nso.go.th', phone: '02-141-7500', legal_basis: 'พ.ร.บ.สถิติ พ.ศ. ๒๕๕๐ มาตรา ๑๖', purpose: 'จัดทำสถิติประชากรรายจังหวัด',
    datasets: ['ทะเบียนราษฎร์รายจังหวัด'], fields: ['จังหวัด', 'จำนวนประชากร'], period_from: '2026-01-01', period_to: '2026-12-31',
    frequency: 'yearly', format: 'CSV', technology: 'file_transfer', ...overrides,
  };
}

export async function step(env: TestEnv, a: Actor, id: string, transition: string, extra: Record<string, unknown> = {}) {
  return as(env, a, 'case_transition', { id, transition, ...extra });
}
