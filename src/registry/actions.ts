import { sql } from 'kysely';
import { defineAction, type ActionDef } from '../actions/registry.ts';
import type { ActionContext } from '../actions/context.ts';
import { NotFoundError, ValidationError, type Msg } from '../actions/errors.ts';
import { isSysadmin } from '../access/actor.ts';
import { M } from '../standard/messages.ts';
import { UUID } from '../actions/datasets/load.ts';
import { createJob } from '../harvest/job-actions.ts';
import { mayViewRegistration } from '../policies/registration.ts';
import { bySite, loadRegistration, nationalRoles, officerOrgs, registrationActor, registrationWorkflow, siteOf, stateText, step, PUBLISHED_STATES, PROCESS, type RegistrationView } from './engine.ts';
import { standardChecks } from './checks.ts';
import categoriesFile from './national-categories.json' with { type: 'json' };
import { CATALOG_KINDS, DEFAULT_CATALOG_KIND } from './catalog-kinds.ts';
import { filterParam } from '../actions/params.ts';

export const NATIONAL_CATEGORIES: ReadonlyArray<{ key: string; label: Msg }> = categoriesFile.categories;
export const STATES = ['WAIT', 'VALIDATE', 'VALIDATE_MODIFIED', 'APPROVAL', 'REJECT', 'COMPLETED', 'WAIT_REVOKE', 'REVOKE', 'DELETED'] as const;

const text = (v: unknown) => (typeof v === 'string' ? v.trim() : '');

/** Every registration the caller may see: all for NSO duty holders and sysadmins, their agencies' for officers. */
export function visible(ctx: ActionContext) {
  let q = ctx.db
    .selectFrom('registrations as r')
    .innerJoin('cases as c', 'c.id', 'r.case_id')
    .innerJoin('groups as g', 'g.id', 'r.org_id')
    .innerJoin('harvest_sources as s', 's.id', 'r.source_id')
    .innerJoin('groups as a', 'a.id', 's.owner_org');
  if (!isSysadmin(ctx.actor) && !nationalRoles(ctx.actor).length) {
    const orgs = officerOrgs(ctx.actor);
    q = q.where('r.org_id', 'in', orgs.length ? orgs : ['00000000-0000-0000-0000-000000000000']);
  }
  return q;
}

async function lastReasons(ctx: ActionContext, caseIds: string[]): Promise<Map<string, string>> {
  if (!caseIds.length) return new Map();
  const rows = await ctx.db
    .selectFrom('case_events')
    .select(['case_id', 'reason', 'seq'])
    .where('case_id', 'in', caseIds)
    .where('transition', '=', 'reject')
    .orderBy('seq', 'desc')
    .execute();
  const out = new Map<string, string>();
  for (const r of rows) if (!out.has(r.case_id)) out.set(r.case_id, r.reason);
  return out;
}

function registrationDict(ctx: ActionContext, r: Record<string, any>, reasons: Map<string, string>) {
  return {
    id: r.id, number: r.number, state: r.state, state_text: stateText(r.state, r.revised, ctx.lang), revised: r.revised, version: r.version,
    site: r.site, remote_id: r.remote_id, remote_name: r.remote_name, title: r.remote_title, remote_modified: r.remote_modified,
    organization: { id: r.org_id, name: r.org_name, title: r.org_title }, agency: { name: r.agency_name, title: r.agency_title },
    dataset_id: r.dataset_id, published_id: r.published_id, published_name: r.published_name ?? null,
    validate_time: r.validate_time ? new Date(r.validate_time).toISOString() : null,
    published_at: r.published_at ? new Date(r.published_at).toISOString() : null,
    state_changed: new Date(r.state_changed).toISOString(), categories: r.categories ?? [],
    reject_reason: r.state === 'REJECT' ? (reasons.get(r.case_id) ?? '') : null,
  };
}

function listColumns<T extends ReturnType<typeof visible>>(q: T) {
  return q
    .selectAll('r')
    .select(['c.state', 'c.version', 'c.number', 'g.name as org_name', 'g.title as org_title', 'a.name as agency_name', 'a.title as agency_title'])
    .select(sql<string | null>`(SELECT name FROM datasets WHERE id = r.published_id)`.as('published_name'));
}

/** States that wait for one of the caller's NSO roles (the reviewer queue). */
function queueStates(ctx: ActionContext): string[] {
  const roles = isSysadmin(ctx.actor) ? ['catalog_reviewer', 'registrar'] : nationalRoles(ctx.actor);
  return registrationWorkflow().statesWaitingFor(roles).filter((p) => p.process === PROCESS).map((p) => p.state);
}

export const registrationList = defineAction({
  name: 'registration_list',
  readOnly: true,
  summary: 'Registrations the caller may see: filters state (comma list), site_url, q (title), organization, queue=review (what waits for the caller), checks=true adds the standard checks; limit, offset.',
  params: {
    state: { type: 'string', description: 'WAIT, VALIDATE, … (comma separated)' },
    site_url: { type: 'string', description: 'The agency catalog (host or URL)' },
    q: { type: 'string', description: 'Words of the title' },
    queue: { type: 'string', description: '"review": what waits for the caller\'s NSO roles' },
    checks: { type: 'boolean', description: 'Add the automatic standard checks of each entry' },
    limit: { type: 'integer', description: 'At most 1000 (default 100)' },
    offset: { type: 'integer', description: 'Skip this many' },
  },
  async run(ctx, input) {
    ctx.authorize('registration_list', {});
    // One value per filter (a comma list for state): a repeated one is refused, not dropped (filterParam).
    const one = (k: string) => text(filterParam(input, k, 10_000));
    let q = visible(ctx);
    const states = one('state').split(',').map((s) => s.trim().toUpperCase()).filter(Boolean);
    for (const s of states) if (!(STATES as readonly string[]).includes(s)) throw ValidationError.field('state', M.notInList(s));
    if (states.length) q = q.where('c.state', 'in', states);
    if (one('queue') === 'review') {
      const qs = queueStates(ctx);
      q = q.where('c.state', 'in', qs.length ? qs : ['-']);
      // A rejected entry waits for a reviewer only once the agency has revised it.
      q = q.where((eb) => eb.or([eb('c.state', '<>', 'REJECT'), eb('r.revised', '=', true)]));
    }
    if (one('site_url')) q = q.where('r.site', '=', siteOf(one('site_url')));
    if (one('organization')) q = q.where((eb) => eb.or([eb('g.name', '=', one('organization')), eb('a.name', '=', one('organization'))]));
    if (one('q')) q = q.where('r.remote_title', 'ilike', `%${one('q').replace(/[\\%_]/g, (m) => `\\${m}`)}%`);
    const whole = (v: unknown, d: number) => (Number.isFinite(Number(v)) && v !== null && v !== '' ? Math.trunc(Number(v)) : d);
    const limit = Math.min(Math.max(whole(input.limit ?? 100, 100), 1), 1000);
    const offset = Math.min(Math.max(whole(input.offset ?? 0, 0), 0), 1_000_000);
    const total = (await q.select(sql<number>`count(*)::int`.as('n')).executeTakeFirst())?.n ?? 0;
    const rows = await listColumns(q).orderBy('r.state_changed', 'desc').orderBy('r.id').limit(limit).offset(offset).execute();
    const reasons = await lastReasons(ctx, rows.map((r) => r.case_id));
    const withChecks = input.checks === true || input.checks === 'true';
    const raws = withChecks && rows.length
      ? new Map((await ctx.db.selectFrom('harvest_records').select(['source_id', 'guid', 'raw']).where(sql<boolean>`(source_id, guid) IN (${sql.join(rows.map((r) => sql`(${r.source_id}::uuid, ${r.guid})`))})`).execute()).map((x) => [`${x.source_id}|${x.guid}`, x.raw as Record<string, unknown>]))
      : null;
    // The harvested copy's stored quality score (src/quality), beside the standard checks.
    const dsIds = rows.map((r) => r.dataset_id).filter((x): x is string => !!x);
    const scores = withChecks && dsIds.length ? new Map((await ctx.db.selectFrom('dataset_quality').select(['dataset_id', 'score']).where('dataset_id', 'in', dsIds).execute()).map((x) => [x.dataset_id, x.score])) : null;
    const results = rows.map((r) => {
      const d: Record<string, unknown> = registrationDict(ctx, r, reasons);
      if (raws) d.checks = standardChecks(raws.get(`${r.source_id}|${r.guid}`) ?? null, ctx.lang);
      if (withChecks) d.quality_score = (r.dataset_id && scores?.get(r.dataset_id)) ?? null;
      return d;
    });
    return { count: total, results };
  },
});

export const registrationShow = defineAction({
  name: 'registration_show',
  readOnly: true,
  summary: 'One registration with its standard checks, its timeline and the steps the caller may take now.',
  params: { id: { type: 'string', description: 'Registration id or case number (GDC-2569-000001)', required: true } },
  async run(ctx, input) {
    const id = text(input.id);
    const row = id ? await listColumns(visible(ctx)).where((eb) => eb.or([eb('c.number', '=', id), ...(UUID.test(id) ? [eb('r.id', '=', id)] : [])])).executeTakeFirst() : undefined;
    if (!row) {
      ctx.authorize('registration_list', {});
      throw new NotFoundError({ th: 'ไม่พบรายการลงทะเบียนนี้', en: 'Registration not found' });
    }
    ctx.authorize('registration_show', row);
    const view = await registrationWorkflow().show(ctx.db, registrationActor(ctx.actor), row.case_id);
    const rec = await ctx.db.selectFrom('harvest_records').select('raw').where('source_id', '=', row.source_id).where('guid', '=', row.guid).executeTakeFirst();
    return {
      ...registrationDict(ctx, row, await lastReasons(ctx, [row.case_id])),
      checks: standardChecks((rec?.raw as Record<string, unknown>) ?? null, ctx.lang),
      events: view.events.map((e) => ({ ...e, at: new Date(e.at).toISOString() })),
      next: view.next.map((n) => ({ name: n.name, label: n.label[ctx.lang], to: n.to, reason_required: n.reason_required })),
    };
  },
});

/** The registrations a transition names: ids / numbers, or an agency catalog's packages (site_url + ids or names). */
async function targets(ctx: ActionContext, input: Record<string, unknown>): Promise<RegistrationView[]> {
  const list = (v: unknown) => (Array.isArray(v) ? v : typeof v === 'string' && v ? v.split(',') : []).map((x) => (typeof x === 'string' ? x.trim() : '')).filter(Boolean);
  const ids = [...list(input.ids), ...list(input.id)];
  const packages = list(input.packages ?? input.package);
  if (ids.length + packages.length > 500) throw ValidationError.field('ids', { th: 'ครั้งละไม่เกิน 500 รายการ', en: 'At most 500 entries at once' });
  const out: RegistrationView[] = [];
  // What the caller typed for each row: a hidden entry is named by it, never by its own fields.
  const asGiven = new Map<RegistrationView, string>();
  const missing: string[] = [];
  for (const id of ids) {
    try {
      const row = await loadRegistration(ctx, id, true);
      out.push(row);
      asGiven.set(row, id);
    } catch (e) {
      if (!(e instanceof NotFoundError)) throw e;
      missing.push(id);
    }
  }
  if (packages.length) {
    const site = siteOf(text(input.site_url));
    if (!site) throw ValidationError.field('site_url', M.missing());
    for (const p of packages) {
      const row = await bySite(ctx, site).where((eb) => eb.or([eb('r.remote_id', '=', p), eb('r.remote_name', '=', p)])).forUpdate().executeTakeFirst();
      if (row) {
        out.push(row as RegistrationView);
        asGiven.set(row as RegistrationView, p);
      } else missing.push(p);
    }
  }
  // Entries the caller may not see are reported exactly like entries that do not exist.
  for (const r of out) if (!mayViewRegistration(ctx.actor, r)) missing.push(asGiven.get(r)!);
  if (missing.length) {
    // In the order given, so hidden and absent entries are not told apart by where they are listed.
    const order = [...ids, ...packages];
    missing.sort((x, y) => order.indexOf(x) - order.indexOf(y));
    ctx.authorize('registration_list', {});
    throw ValidationError.field(packages.length ? 'packages' : 'ids', {
      th: `ไม่พบรายการ: ${missing.join(', ')} (ชุดข้อมูลที่ยังไม่ถูกเก็บเกี่ยวต้อง "ดึงชุดข้อมูล" ก่อน)`,
      en: `Not found: ${missing.join(', ')} (datasets not harvested yet need a pull first)`,
    });
  }
  if (!out.length) {
    ctx.authorize('registration_list', {});
    throw ValidationError.field('ids', M.missing());
  }
  // One entry named twice (its id and its number, or a doubled checkbox) takes its step once.
  return [...new Map(out.map((r) => [r.id, r])).values()];
}

export const registrationTransition = defineAction({
  name: 'registration_transition',
  readOnly: false,
  summary: 'Takes one step on one or many registrations at once (bulk approve / reject with a reason): `ids` (or `site_url` + `packages` from an agency catalog), `transition` (register, approve, reject, withdraw, request_revoke, cancel_revoke, modified), `reason`. All or nothing.',
  params: {
    ids: { type: 'array', description: 'Registration ids or case numbers' },
    site_url: { type: 'string', description: 'Agency catalog host, with packages' },
    packages: { type: 'array', description: 'Package ids or names on that catalog' },
    transition: { type: 'string', description: 'Step name', required: true },
    reason: { type: 'string', description: 'Why (required on rejections)' },
  },
  async run(ctx, input) {
    const transition = text(input.transition);
    const regs = await targets(ctx, input);
    if (!transition) {
      ctx.authorize('registration_transition', regs[0]);
      throw ValidationError.field('transition', M.missing());
    }
    const reason = typeof input.reason === 'string' ? input.reason : '';
    const done = [];
    for (const reg of regs) {
      ctx.authorize('registration_transition', reg);
      try {
        done.push(await step(ctx, reg, transition, { reason }));
      } catch (e) {
        if (e instanceof ValidationError && regs.length > 1) {
          const which: Msg = { th: `รายการ ${reg.number} (${reg.remote_title})`, en: `Entry ${reg.number} (${reg.remote_title})` };
          Object.assign(e.errors, { entry: [which] });
        }
        throw e;
      }
    }
    const reasons = await lastReasons(ctx, done.map((d) => d.case_id));
    const rows = await listColumns(visible(ctx)).where('r.id', 'in', done.map((d) => d.id)).execute();
    return rows.map((r) => registrationDict(ctx, r, reasons));
  },
});

export const registrationPull = defineAction({
  name: 'registration_pull',
  readOnly: false,
  summary: '"ดึงชุดข้อมูล": starts a harvest of the agency catalog `site_url` (its sources the caller is a registration officer of); a run already under way is reported, not doubled.',
  params: { site_url: { type: 'string', description: 'Agency catalog host or URL', required: true } },
  async run(ctx, input) {
    ctx.authorize('registration_pull', {});
    const site = siteOf(text(input.site_url));
    if (!site) throw ValidationError.field('site_url', M.missing());
    const national = isSysadmin(ctx.actor) || nationalRoles(ctx.actor).length > 0;
    const mine = new Set(officerOrgs(ctx.actor));
    const sources = (await ctx.db.selectFrom('harvest_sources').selectAll().where('active', '=', true).execute()).filter((s) => siteOf(s.url) === site && (national || mine.has(s.owner_org)));
    if (!sources.length) throw ValidationError.field('site_url', { th: `ไม่มีแหล่งเก็บเกี่ยวของ ${site} ที่ท่านดูแล`, en: `No harvest source of ${site} that you look after` });
    const jobs = [];
    for (const s of sources) {
      await ctx.db.selectFrom('harvest_sources').select('id').where('id', '=', s.id).forUpdate().execute();
      const open = await ctx.db.selectFrom('harvest_jobs').select(['id', 'status']).where('source_id', '=', s.id).where('status', '<>', 'Finished').executeTakeFirst();
      if (open) jobs.push({ source: s.name, job_id: open.id, status: open.status, started: false });
      else {
        const j = await createJob(ctx, s);
        jobs.push({ source: s.name, job_id: j.id, status: j.status, started: true });
      }
    }
    await ctx.audit({ action: 'registration_pull', object_type: 'harvest_source', object_id: sources[0]!.id, detail: { site, jobs: jobs.map((j) => j.job_id) } });
    return { site, jobs };
  },
});

export const registrationCategorize = defineAction({
  name: 'registration_categorize',
  readOnly: false,
  summary: 'The categorizer assigns national categories (keys of registry/national-categories.json) to a registration.',
  params: { id: { type: 'string', description: 'Registration id or number', required: true }, categories: { type: 'array', description: 'Category keys' } },
  async run(ctx, input) {
    ctx.authorize('registration_categorize', {});
    const reg = await loadRegistration(ctx, text(input.id), true);
    const raw = Array.isArray(input.categories) ? input.categories : typeof input.categories === 'string' ? input.categories.split(',') : [];
    const keys = [...new Set(raw.map((x) => (typeof x === 'string' ? x.trim() : '')).filter(Boolean))];
    const known = new Set(NATIONAL_CATEGORIES.map((c) => c.key));
    for (const k of keys) if (!known.has(k)) throw ValidationError.field('categories', M.notInList(k));
    await ctx.db.updateTable('registrations').set({ categories: JSON.stringify(keys) }).where('id', '=', reg.id).execute();
    await ctx.audit({ action: 'registration_categorize', object_type: 'registration', object_id: reg.id, detail: { number: reg.number, categories: keys } });
    return { id: reg.id, number: reg.number, categories: keys };
  },
});

export const registrationDashboard = defineAction({
  name: 'registration_dashboard',
  readOnly: true,
  summary: 'Registration counts by state, by agency and by catalog kind (what the caller may see).',
  async run(ctx) {
    ctx.authorize('registration_dashboard', {});
    const byState = await visible(ctx).select(['c.state', sql<number>`count(*)::int`.as('n')]).groupBy('c.state').execute();
    const byAgency = await visible(ctx).select(['a.id', 'a.name', 'a.title', 'c.state', sql<number>`count(*)::int`.as('n')]).groupBy(['a.id', 'a.name', 'a.title', 'c.state']).execute();
    const kindCol = sql<string>`COALESCE(s.config::jsonb->>'catalog_kind', ${sql.lit(DEFAULT_CATALOG_KIND)})`;
    const byKind = await visible(ctx).select([kindCol.as('kind'), sql<number>`count(*)::int`.as('n')]).groupBy(kindCol).execute();
    const wf = registrationWorkflow().get(PROCESS);
    const agencies = new Map<string, { name: string; title: string; total: number; states: Record<string, number> }>();
    for (const r of byAgency) {
      let a = agencies.get(r.id);
      if (!a) agencies.set(r.id, (a = { name: r.name, title: r.title, total: 0, states: {} }));
      a.states[r.state] = r.n;
      a.total += r.n;
    }
    return {
      states: STATES.map((s) => ({ state: s, label: wf.states.get(s)!.label[ctx.lang], count: byState.find((x) => x.state === s)?.n ?? 0 })),
      agencies: [...agencies.values()].sort((x, y) => y.total - x.total || x.title.localeCompare(y.title)),
      total: byState.reduce((n, r) => n + r.n, 0),
      catalog_kinds: CATALOG_KINDS.map((k) => ({ kind: k.value, label: k.label[ctx.lang], count: byKind.find((x) => x.kind === k.value)?.n ?? 0 })),
    };
  },
});

/** thai_gdc's status look-up (metadata.md §4.3): body {site_url, package}. */
async function stateOf(ctx: ActionContext, input: Record<string, unknown>) {
  const site = siteOf(text(input.site_url));
  const pkg = text(input.package ?? input.id);
  const bag: Record<string, Msg[]> = {};
  if (!site) bag.site_url = [M.missing()];
  if (!pkg) bag.package = [M.missing()];
  if (Object.keys(bag).length) throw new ValidationError(bag);
  return (await bySite(ctx, site).where((eb) => eb.or([eb('r.remote_id', '=', pkg), eb('r.remote_name', '=', pkg)])).orderBy('r.created').executeTakeFirst()) as RegistrationView | undefined;
}

export const gdcatalogPublishedState = defineAction({
  name: 'gdcatalog_published_state',
  readOnly: true,
  summary: 'thai_gdc status API: {site_url, package} → [{metadata_modified, name}]; a non-empty metadata_modified means registered, the national page is /dataset/gdpublish-<name>.',
  params: { site_url: { type: 'string', description: 'Host of the agency catalog', required: true }, package: { type: 'string', description: 'Package id (or name) there', required: true } },
  async run(ctx, input) {
    ctx.authorize('gdcatalog_published_state', {});
    const r = await stateOf(ctx, input);
    if (!r) return [];
    const pub = r.published_id && PUBLISHED_STATES.has(r.state) ? await ctx.db.selectFrom('datasets').select(['name', 'metadata_modified']).where('id', '=', r.published_id).where('state', '=', 'active').executeTakeFirst() : undefined;
    if (!pub) return [{ metadata_modified: '', name: '' }];
    return [{ metadata_modified: new Date(pub.metadata_modified).toISOString().replace('Z', ''), name: pub.name.replace(/^gdpublish-/, '') }];
  },
});

export const gdcatalogNonpublishState = defineAction({
  name: 'gdcatalog_nonpublish_state',
  readOnly: true,
  summary: 'thai_gdc status API: {site_url, package} → [{governance_state, validate_time, metadata_modified}] (WAIT, VALIDATE, VALIDATE_MODIFIED, APPROVAL, REJECT, COMPLETED, WAIT_REVOKE, REVOKE, DELETED).',
  params: { site_url: { type: 'string', description: 'Host of the agency catalog', required: true }, package: { type: 'string', description: 'Package id (or name) there', required: true } },
  async run(ctx, input) {
    ctx.authorize('gdcatalog_nonpublish_state', {});
    const r = await stateOf(ctx, input);
    if (!r) return [];
    const iso = (d: Date | null) => (d ? new Date(d).toISOString().replace('Z', '') : '');
    return [{ governance_state: r.state, validate_time: iso(r.validate_time), metadata_modified: r.revised ? '' : (r.remote_modified ?? ''), revised: r.revised }];
  },
});

export const registryActions: ActionDef[] = [registrationList, registrationShow, registrationTransition, registrationPull, registrationCategorize, registrationDashboard, gdcatalogPublishedState, gdcatalogNonpublishState];
