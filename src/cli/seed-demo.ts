import fs from 'node:fs';
import path from 'node:path';
import type { Services } from '../actions/context.ts';
import { runAction } from '../actions/registry.ts';
import { SYSTEM } from '../access/actor.ts';
import { oneTimePassword } from '../access/passwords.ts';
import type { Lang } from '../actions/errors.ts';
import type { ImportResult } from '../import/action.ts';

interface DemoCatalog {
  organizations: Array<{ name: string; title: string; description: string; parent?: string }>;
  groups: Array<{ name: string; title: string; description: string }>;
  users: Array<{ name: string; fullname: string; email: string; sysadmin?: boolean; memberships: Array<{ organization: string; role: string }> }>;
}

export interface SeedReport {
  organizations: string[];
  groups: string[];
  users: Array<{ name: string; password: string }>;
  memberships: number;
  datasets: ImportResult;
  datasetsSkipped: number;
}

const DEMO_DIR = path.join(import.meta.dirname, 'demo');

function readDemo<T>(file: string): T {
  return JSON.parse(fs.readFileSync(path.join(DEMO_DIR, file), 'utf8')) as T;
}

/**
 * Loads the demo catalog through the ordinary actions as the system actor. Whatever already
 * exists (by name) is left alone, so running it twice adds nothing the second time.
 */
export async function seedDemo(services: Services, lang: Lang): Promise<SeedReport> {
  const catalog = readDemo<DemoCatalog>('catalog.json');
  const datasets = readDemo<Array<Record<string, unknown>>>('datasets.json');
  const db = services.store.db;
  const caller = { actor: SYSTEM, lang };
  const report: SeedReport = { organizations: [], groups: [], users: [], memberships: 0, datasets: { imported: [], failed: [], organizations_created: [], groups_created: [] }, datasetsSkipped: 0 };

  const groupNames = new Set((await db.selectFrom('groups').select('name').execute()).map((g) => g.name));
  // Parents are listed before their children, so each parent exists when its child is created.
  for (const o of catalog.organizations) {
    if (groupNames.has(o.name)) continue;
    await runAction(services, 'organization_create', { name: o.name, title: o.title, description: o.description, ...(o.parent ? { parent: o.parent } : {}) }, caller);
    report.organizations.push(o.name);
  }
  for (const g of catalog.groups) {
    if (groupNames.has(g.name)) continue;
    await runAction(services, 'group_create', { name: g.name, title: g.title, description: g.description }, caller);
    report.groups.push(g.name);
  }

  const userNames = new Set((await db.selectFrom('users').select('name').execute()).map((u) => u.name));
  for (const u of catalog.users) {
    if (userNames.has(u.name)) continue;
    const password = oneTimePassword();
    await runAction(services, 'user_create', { name: u.name, fullname: u.fullname, email: u.email, password, sysadmin: u.sysadmin ?? false, must_change_password: true }, caller);
    report.users.push({ name: u.name, password });
  }
  const members = await db.selectFrom('memberships as m').innerJoin('users as u', 'u.id', 'm.user_id').innerJoin('groups as g', 'g.id', 'm.group_id').select(['u.name as user', 'g.name as org']).execute();
  const isMember = new Set(members.map((m) => `${m.user}\u0000${m.org}`));
  for (const u of catalog.users) {
    for (const m of u.memberships) {
      if (isMember.has(`${u.name}\u0000${m.organization}`)) continue;
      await runAction(services, 'organization_member_create', { id: m.organization, username: u.name, role: m.role }, caller);
      report.memberships++;
    }
  }

  const names = datasets.map((d) => String(d.name));
  const existing = new Set((await db.selectFrom('datasets').select('name').where('name', 'in', names).execute()).map((d) => d.name));
  const missing = datasets.filter((d) => !existing.has(String(d.name)));
  report.datasetsSkipped = datasets.length - missing.length;
  if (missing.length) report.datasets = await runAction<ImportResult>(services, 'package_import', { records: missing }, caller);
  return report;
}
