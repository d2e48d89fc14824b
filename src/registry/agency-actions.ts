import { sql } from 'kysely';
import { defineAction, type ActionDef } from '../actions/registry.ts';
import type { ActionContext } from '../actions/context.ts';
import { ValidationError } from '../actions/errors.ts';
import { requireDataset, UUID } from '../actions/datasets/load.ts';
import { isSysadmin } from '../access/actor.ts';
import { visibleDatasets } from '../access/visibility.ts';
import { M } from '../standard/messages.ts';
import { currentStandard } from '../standard/index.ts';
import { officerOrgs, stateText } from './engine.ts';
import { forgetShownStates, LOCKING_STATES, ownSite, registryCall, registryConfigured, remoteState, shownRemoteState } from './client.ts';
import { filterParam } from '../actions/params.ts';

/**
 * The agency catalog's side of P8, against the registry named by BANCHI_REGISTRY_URL: the state of a
 * dataset, the registration officer's pull page (list, filters) and its register / revoke / update
 * buttons, and the refusal to delete a registered dataset.
 */

const text = (v: unknown) => (typeof v === 'string' ? v.trim() : '');

export const registryStatusShow = defineAction({
  name: 'registry_status_show',
  readOnly: true,
  summary: 'The national registry\'s state of one local dataset (gdcatalog_published_state, and gdcatalog_nonpublish_state for those who may edit it).',
  params: { id: { type: 'string', description: 'Dataset id or name', required: true } },
  async run(ctx, input) {
    const { row, subject } = await requireDataset(ctx, input, 'package_show');
    ctx.authorize('registry_status_show', {});
    const cfg = ctx.services.config;
    if (!registryConfigured(cfg)) return { configured: false };
    // thai_gdc shows no GD status when the agency did not consent to harvesting.
    if (!row.allow_harvest) return { configured: true, consent: false };
    const r = await shownRemoteState(cfg, row.id);
    // As thai_gdc: everyone sees "registered"; the states on the way only those who may edit it (and its registration officers).
    const editor = ctx.can('package_update', subject) || (!!row.owner_org && officerOrgs(ctx.actor).includes(row.owner_org));
    const state = editor ? (r.governance_state ?? (r.published ? 'COMPLETED' : null)) : r.published ? 'COMPLETED' : null;
    if (!state) return { configured: true, consent: true, registered: false, state: null };
    return {
      configured: true,
      consent: true,
      registered: !!r.published,
      registered_at: r.published?.metadata_modified ?? null,
      national_url: r.published ? `${cfg.registryUrl}/dataset/gdpublish-${encodeURIComponent(r.published.name)}` : null,
      state,
      state_text: stateText(state, r.revised, ctx.lang),
      validate_time: editor ? r.validate_time : undefined,
    };
  },
});

/** The local datasets an officer registers: those of organisations where they hold the duty (agency duties reach below). */
function officerDatasets(ctx: ActionContext) {
  const orgs = isSysadmin(ctx.actor) ? null : officerOrgs(ctx.actor);
  let q = ctx.db
    .selectFrom('datasets as d')
    .innerJoin('groups as g', 'g.id', 'd.owner_org')
    .where('d.state', '=', 'active')
    .where('d.type', '=', 'dataset')
    .where(visibleDatasets(ctx.actor, 'd'));
  if (orgs) q = q.where('d.owner_org', 'in', orgs.length ? orgs : ['00000000-0000-0000-0000-000000000000']);
  return q;
}

export const registryAgencyList = defineAction({
  name: 'registry_agency_list',
  readOnly: true,
  summary: 'The registration officer\'s datasets with their national state ("ดึงชุดข้อมูล"): filters q (title), data_type, status, access (PUBLIC / PRIVATE), tags.',
  params: {
    q: { type: 'string', description: 'Words of the title' },
    data_type: { type: 'string', description: 'A data type of the standard' },
    status: { type: 'string', description: 'NONE (not registered), WAIT, VALIDATE, …, COMPLETED, …' },
    access: { type: 'string', description: 'PUBLIC or PRIVATE' },
    tags: { type: 'string', description: 'A keyword' },
  },
  async run(ctx, input) {
    ctx.authorize('registry_agency_list', {});
    const one = (k: string) => text(filterParam(input, k, 10_000));
    // An area catalog's references to other catalogs' datasets are registered at their source, never here.
    let q = officerDatasets(ctx).where(notReference);
    if (one('q')) q = q.where('d.title', 'ilike', `%${one('q').replace(/[\\%_]/g, (m) => `\\${m}`)}%`);
    if (one('data_type')) {
      const dt = currentStandard().dataTypeValue(one('data_type'));
      if (!dt) throw ValidationError.field('data_type', M.notInList(one('data_type')));
      q = q.where('d.data_type', '=', dt);
    }
    const access = one('access').toUpperCase();
    if (access && access !== 'PUBLIC' && access !== 'PRIVATE') throw ValidationError.field('access', M.notInList(access));
    if (access === 'PUBLIC') q = q.where('d.private', '=', false);
    if (access === 'PRIVATE') q = q.where('d.private', '=', true);
    if (one('tags')) q = q.where(sql<boolean>`${one('tags')} = ANY(d.tags)`);
    const rows = await q
      .select(['d.id', 'd.name', 'd.title', 'd.data_type', 'd.private', 'd.allow_harvest', 'd.metadata_modified', 'd.tags', 'g.title as org_title', 'g.name as org_name'])
      .orderBy('d.metadata_modified', 'desc')
      .limit(2000)
      .execute();
    const cfg = ctx.services.config;
    const remote = registryConfigured(cfg) ? await siteRegistrations(ctx) : [];
    const byId = new Map(remote.map((r) => [r.remote_id as string, r]));
    const status = one('status').toUpperCase();
    const out = rows.map((d) => {
      const r = byId.get(d.id);
      const state: string | null = r?.state ?? null;
      return {
        id: d.id, name: d.name, title: d.title, owner_unit: d.org_title, organization: d.org_name, source: cfg.siteUrl, data_type: d.data_type,
        access: d.private ? 'PRIVATE' : 'PUBLIC', allow_harvest: d.allow_harvest, tags: d.tags,
        updated_at: new Date(d.metadata_modified).toISOString(), status_changed_at: r?.state_changed ?? null,
        status: state ?? 'NONE', status_text: stateText(state, !!r?.revised, ctx.lang), reject_reason: r?.reject_reason ?? null,
        registration: r ? { id: r.id, number: r.number } : null,
      };
    });
    return { results: status ? out.filter((x) => x.status === status) : out, registry: cfg.registryUrl ?? '' };
  },
});

const REMOTE_PAGE = 1000;
const REMOTE_MAX = 100_000;

/**
 * Every registration of this catalog, page by page: registration_list gives at most 1,000 at once,
 * and an agency with more would see the rest as "not registered".
 */
async function siteRegistrations(ctx: ActionContext): Promise<Array<Record<string, any>>> {
  const cfg = ctx.services.config;
  const out: Array<Record<string, any>> = [];
  for (let offset = 0; offset < REMOTE_MAX; offset += REMOTE_PAGE) {
    const page = await registryCall<{ count: number; results: Array<Record<string, any>> }>(cfg, 'registration_list', { site_url: ownSite(cfg), limit: REMOTE_PAGE, offset }, { lang: ctx.lang });
    out.push(...page.results);
    if (page.results.length < REMOTE_PAGE || out.length >= page.count) break;
  }
  return out;
}

const OPS: Record<string, string> = { register: 'register', revoke: 'request_revoke', request_revoke: 'request_revoke', withdraw: 'withdraw', cancel_revoke: 'cancel_revoke' };

export const registryAgencySubmit = defineAction({
  name: 'registry_agency_submit',
  readOnly: false,
  summary: 'The officer\'s buttons: `op` pull (ask the registry to harvest this catalog now), update (the same, after an edit), register, revoke, withdraw, cancel_revoke for the ticked `ids`.',
  params: { op: { type: 'string', description: 'pull, update, register, revoke, withdraw, cancel_revoke', required: true }, ids: { type: 'array', description: 'Local dataset ids' } },
  async run(ctx, input) {
    ctx.authorize('registry_agency_submit', {});
    const cfg = ctx.services.config;
    const op = text(input.op);
    if (op === 'pull' || op === 'update') {
      return { op, ...(await registryCall<Record<string, unknown>>(cfg, 'registration_pull', { site_url: ownSite(cfg) })) };
    }
    const transition = OPS[op];
    if (!transition) throw ValidationError.field('op', M.notInList(op));
    const ids = (Array.isArray(input.ids) ? input.ids : typeof input.ids === 'string' ? input.ids.split(',') : []).map(text).filter((x) => UUID.test(x));
    if (!ids.length) throw ValidationError.field('ids', { th: 'เลือกชุดข้อมูลอย่างน้อยหนึ่งรายการ', en: 'Tick at least one dataset' });
    const mine = await officerDatasets(ctx).select('d.id').where('d.id', 'in', ids).execute();
    if (mine.length !== new Set(ids).size) throw ValidationError.field('ids', { th: 'มีชุดข้อมูลที่ท่านไม่ได้เป็นเจ้าหน้าที่ลงทะเบียน', en: 'Some datasets are not yours to register' });
    if (transition === 'register') await refuseReferences(ctx, ids);
    const result = await registryCall<unknown[]>(cfg, 'registration_transition', { site_url: ownSite(cfg), packages: ids, transition }, { lang: ctx.lang });
    forgetShownStates(cfg, ids);
    await ctx.audit({ action: `registry_${op}`, object_type: 'dataset', object_id: ids[0]!, detail: { ids, registry: cfg.registryUrl } });
    return { op, results: result };
  },
});

/** SQL: the dataset is not a reference to another catalog's dataset (reference_url_catalog empty). */
const notReference = sql<boolean>`coalesce(d.metadata->>'reference_url_catalog', '') = ''`;

/**
 * A dataset copied from another catalog (reference_url_catalog) is registered by its source catalog:
 * registering it here would put the same dataset in the national directory twice.
 */
export async function refuseReferences(ctx: ActionContext, ids: string[]): Promise<void> {
  const refs = await ctx.db
    .selectFrom('datasets as d')
    .select(['d.title', sql<string>`d.metadata->>'reference_url_catalog'`.as('ref')])
    .where('d.id', 'in', ids)
    .where(sql<boolean>`coalesce(d.metadata->>'reference_url_catalog', '') <> ''`)
    .orderBy('d.title')
    .execute();
  if (!refs.length) return;
  const source = (u: string) => {
    try {
      return new URL(u).host;
    } catch {
      return u;
    }
  };
  throw new ValidationError({
    ids: refs.map((r) => ({
      th: `ลงทะเบียน "${r.title}" ไม่ได้ เพราะเป็นชุดข้อมูลที่อ้างอิงจากบัญชีข้อมูล ${source(r.ref)} (${r.ref}) ซึ่งต้องลงทะเบียนที่บัญชีข้อมูลต้นทาง`,
      en: `"${r.title}" cannot be registered: it references a dataset of the catalog ${source(r.ref)} (${r.ref}), which registers it at its source`,
    })),
  });
}

/**
 * package_delete's hook on an agency site with a registry: a dataset registered or on its way may
 * not be deleted until it is revoked (thai_gdc locks package_delete the same way). An unreachable
 * registry refuses too: the state cannot be known. Asked whatever allow_harvest says now: consent
 * taken back a moment before does not end a registration (only a revocation does).
 */
export async function assertNotRegistered(ctx: ActionContext, row: { id: string }): Promise<void> {
  const cfg = ctx.services.config;
  if (!registryConfigured(cfg) || cfg.siteKind === 'registry') return;
  const r = await remoteState(cfg, row.id);
  const state = r.governance_state ?? (r.published ? 'COMPLETED' : null);
  if (r.published || (state && LOCKING_STATES.has(state))) {
    const th = stateText(state, r.revised, 'th');
    const en = stateText(state, r.revised, 'en');
    throw ValidationError.field('state', {
      th: `ลบชุดข้อมูลนี้ไม่ได้ เพราะสถานะในบัญชีข้อมูลภาครัฐคือ "${th}" (${state}) ต้องเพิกถอนการลงทะเบียนให้เสร็จก่อน`,
      en: `This dataset cannot be deleted: its national registry state is "${en}" (${state}); revoke the registration first`,
    });
  }
}

export const agencyActions: ActionDef[] = [registryStatusShow, registryAgencyList, registryAgencySubmit];
