import crypto from 'node:crypto';
import { sql } from 'kysely';
import { defineAction } from '../../actions/registry.ts';
import type { ActionContext } from '../../actions/context.ts';
import { ErrorBag, NotFoundError, ValidationError } from '../../actions/errors.ts';
import { isSysadmin, type Actor } from '../../access/actor.ts';
import { orgsWithDuty } from '../../access/duties.ts';
import { grantHeldBy, grantUsable } from '../../access/grants.ts';
import { checkText, findOrg } from '../../actions/governance/agreements-shared.ts';
import { sealSecret } from '../../harvest/secrets.ts';
import type { Tx } from '../../store/db.ts';
import { readConnector, toRest, type ConnectorSpec } from './connector.ts';
import { refusedSourceHost, sourceHostMessage } from '../../util/source-hosts.ts';

/**
 * The look-up source registry: which agency answers for which entitlement, through which
 * connector, and which dataset an agreement must cover for an official to ask it. Kept by the
 * providing organisation's IT officers (or sysadmins); credentials are sealed, never shown.
 */
const NAME = /^[a-z0-9][a-z0-9_-]{1,62}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function present(r: { id: string; name: string; title_th: string; title_en: string; org_id: string; dataset_id: string; connector: unknown; secret: string | null; active: boolean; modified: Date | string }) {
  return { id: r.id, name: r.name, title_th: r.title_th, title_en: r.title_en, org_id: r.org_id, dataset_id: r.dataset_id, connector: r.connector, has_secret: !!r.secret, active: r.active, modified: new Date(r.modified).toISOString() };
}

/** `orgId`: the providing organisation; the dataset an agreement must cover is one of its own (another's reads as none). */
async function readSource(ctx: ActionContext, input: Record<string, unknown>, partial: boolean, orgId: string | null) {
  const bag = new ErrorBag();
  const has = (k: string) => !partial || input[k] !== undefined;
  const out: { title_th?: string; title_en?: string; dataset_id?: string; connector?: ConnectorSpec; active?: boolean } = {};
  if (has('title_th')) out.title_th = checkText(bag, 'title_th', input.title_th, { required: true, max: 300 });
  if (has('title_en')) out.title_en = checkText(bag, 'title_en', input.title_en, { required: true, max: 300 });
  if (has('dataset')) {
    const ref = input.dataset;
    const q = ctx.db.selectFrom('datasets').select(['id', 'state', 'owner_org']);
    const d = typeof ref === 'string' && ref ? await (UUID.test(ref) ? q.where('id', '=', ref.toLowerCase()) : q.where('name', '=', ref)).executeTakeFirst() : undefined;
    if (!d || d.state !== 'active' || !orgId || d.owner_org !== orgId) bag.add('dataset', { th: 'ไม่พบชุดข้อมูลของหน่วยงานผู้ให้ข้อมูลที่ข้อตกลงต้องครอบคลุม', en: 'No such dataset of the providing organisation (the one agreements must cover)' });
    else out.dataset_id = d.id;
  }
  if (has('connector')) out.connector = readConnector(bag, input.connector) ?? undefined;
  if (out.connector) {
    // Its address is an IT officer's: a private one only where the sysadmin allowed it (checked again at each ask).
    const field = out.connector.preset === 'rest' ? 'connector.url' : 'connector.base_url';
    let host = '';
    try { host = new URL(toRest(out.connector).url.replace(/\{citizen_id\}/g, '0')).hostname; } catch { /* readConnector said so */ }
    const refused = host ? await refusedSourceHost(host, ctx.services.config.sourceHosts, { unresolved: 'allow' }) : null;
    if (refused) bag.add(field, sourceHostMessage(refused));
  }
  if (input.active !== undefined) out.active = input.active === true || input.active === 'true';
  bag.throwIfAny();
  return out;
}

export const sourceCreate = defineAction({
  name: 'lookup_source_create',
  readOnly: false,
  summary: 'Register a citizen look-up source: name, Thai/English title (the entitlement it answers for), the providing organisation, the dataset an agreement must cover, the connector (REST mapping or banchi_datastore preset) and an optional credential (sealed).',
  async run(ctx, input) {
    const bag = new ErrorBag();
    const org = await findOrg(ctx.db, bag, 'organization', input.organization);
    ctx.authorize('lookup_source_create', { org_id: org?.id ?? null });
    const name = typeof input.name === 'string' ? input.name.trim() : '';
    if (!NAME.test(name)) bag.add('name', { th: 'ชื่อเป็น a-z 0-9 _ - 2–63 ตัว', en: 'The name is 2–63 of a-z, 0-9, _ and -' });
    else if (await ctx.db.selectFrom('lookup_sources').select('id').where('name', '=', name).executeTakeFirst()) bag.add('name', { th: 'มีแหล่งข้อมูลชื่อนี้แล้ว', en: 'A source of this name exists' });
    let v: Awaited<ReturnType<typeof readSource>> = {};
    try {
      v = await readSource(ctx, input, false, org?.id ?? null);
    } catch (e) {
      if (!(e instanceof ValidationError)) throw e;
      for (const [k, ms] of Object.entries(e.errors)) for (const x of ms) bag.add(k, x);
    }
    bag.throwIfAny();
    const secret = typeof input.secret === 'string' && input.secret ? sealSecret(ctx.services.config, input.secret.slice(0, 2000)) : null;
    // The check above answers the usual case; the insert itself decides between requests at once (no unique-violation 500).
    const row = await ctx.db.insertInto('lookup_sources').values({ id: crypto.randomUUID(), name, title_th: v.title_th!, title_en: v.title_en!, org_id: org!.id, dataset_id: v.dataset_id!, connector: JSON.stringify(v.connector), secret, active: v.active ?? true, created: ctx.now, modified: ctx.now })
      .onConflict((oc) => oc.column('name').doNothing()).returningAll().executeTakeFirst();
    if (!row) throw ValidationError.field('name', { th: 'มีแหล่งข้อมูลชื่อนี้แล้ว', en: 'A source of this name exists' });
    await ctx.audit({ action: 'lookup_source_create', object_type: 'lookup_source', object_id: row.id, detail: { name, org: org!.id, dataset: v.dataset_id, preset: v.connector?.preset } });
    return present(row);
  },
});

async function loadSource(ctx: ActionContext, ref: unknown, rule: string, lock = false) {
  const key = typeof ref === 'string' ? ref.trim() : '';
  let q = ctx.db.selectFrom('lookup_sources').selectAll();
  q = UUID.test(key) ? q.where('id', '=', key.toLowerCase()) : q.where('name', '=', key);
  const row = key ? await (lock ? q.forUpdate() : q).executeTakeFirst() : undefined;
  if (!row || !ctx.can(rule, { org_id: row.org_id })) {
    try { ctx.authorize(rule, { org_id: null }); } catch { /* 404 either way */ }
    throw new NotFoundError({ th: 'ไม่พบแหล่งข้อมูล', en: 'No such look-up source' });
  }
  ctx.authorize(rule, { org_id: row.org_id });
  return row;
}

export const sourceUpdate = defineAction({
  name: 'lookup_source_update',
  readOnly: false,
  summary: 'Change a look-up source (titles, dataset, connector, active; `secret` replaces the credential, an empty `secret` with clear_secret removes it).',
  async run(ctx, input) {
    const row = await loadSource(ctx, input.id, 'lookup_source_update', true);
    const v = await readSource(ctx, input, true, row.org_id);
    const set: Record<string, unknown> = { modified: ctx.now };
    if (v.title_th !== undefined) set.title_th = v.title_th;
    if (v.title_en !== undefined) set.title_en = v.title_en;
    if (v.dataset_id) set.dataset_id = v.dataset_id;
    if (v.connector) set.connector = JSON.stringify(v.connector);
    if (v.active !== undefined) set.active = v.active;
    if (typeof input.secret === 'string' && input.secret) set.secret = sealSecret(ctx.services.config, input.secret.slice(0, 2000));
    else if (input.clear_secret === true || input.clear_secret === 'true') set.secret = null;
    const next = await ctx.db.updateTable('lookup_sources').set(set).where('id', '=', row.id).returningAll().executeTakeFirstOrThrow();
    await ctx.audit({ action: 'lookup_source_update', object_type: 'lookup_source', object_id: row.id, detail: { name: row.name, fields: Object.keys(set).filter((k) => k !== 'modified') } });
    return present(next);
  },
});

export const sourceList = defineAction({
  name: 'lookup_source_list',
  readOnly: true,
  summary: 'Look-up sources the caller keeps (IT officers of the providing organisation; sysadmins see all).',
  async run(ctx) {
    ctx.authorize('lookup_source_list');
    let q = ctx.db.selectFrom('lookup_sources').selectAll();
    if (!isSysadmin(ctx.actor)) {
      const orgs = orgsWithDuty(ctx.actor, 'it_officer');
      q = q.where('org_id', 'in', orgs.length ? orgs : ['00000000-0000-0000-0000-000000000000']);
    }
    return (await q.orderBy('name').execute()).map(present);
  },
});

/**
 * The sources an official may ask now: active, their dataset active, and a usable grant owned by
 * an agreement (to the official or to their organisation) on that dataset. Asked at the moment
 * of each look-up, so an agreement that ends stops the look-up at once.
 */
export async function coveredSources(db: Tx, actor: Actor, now: Date) {
  return db.selectFrom('lookup_sources as s')
    .innerJoin('datasets as d', 'd.id', 's.dataset_id')
    .innerJoin('groups as g', 'g.id', 's.org_id')
    .select(['s.id', 's.name', 's.title_th', 's.title_en', 's.connector', 's.secret', 'g.title as org_title'])
    .where('s.active', '=', true)
    .where('d.state', '=', 'active')
    .where((eb) => eb.exists(eb.selectFrom('dataset_grants as gr').select(sql`1`.as('x'))
      .whereRef('gr.dataset_id', '=', 's.dataset_id')
      .where('gr.agreement_id', 'is not', null)
      .where(grantHeldBy(actor, 'gr'))
      .where(grantUsable('gr', now))))
    .orderBy('s.name')
    .execute();
}

export const sourcesAvailable = defineAction({
  name: 'lookup_sources_available',
  readOnly: true,
  summary: 'The look-up sources the caller\'s agreements cover now (what a citizen look-up would ask), with the purposes and legal bases to choose from.',
  async run(ctx) {
    ctx.authorize('lookup_sources_available');
    const rows = await coveredSources(ctx.db, ctx.actor, ctx.now);
    return rows.map((r) => ({ id: r.id, name: r.name, title_th: r.title_th, title_en: r.title_en, organization: r.org_title }));
  },
});
