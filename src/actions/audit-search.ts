import { sql } from 'kysely';
import { defineAction } from './registry.ts';
import { ErrorBag, type Msg } from './errors.ts';
import { filterParam, naturalNumber } from './params.ts';
import { UUID } from './datasets/load.ts';
import { ckanTime } from '../util/time.ts';
import type { ActionContext } from './context.ts';
import { csvCell } from '../util/csv-cell.ts';

/**
 * Reading the audit log (issue 12): filters and paging over `audit_log`, newest first. It only
 * reads; the rows, their leaves and the checkpoints are audit.ts / audit-seal.ts's, and whether
 * they are intact is audit_verify's answer.
 */
export const AUDIT_PAGE_MAX = 1000;

const BadDate = (): Msg => ({ th: 'วันที่ต้องอยู่ในรูปแบบ ปปปป-ดด-วว (ค.ศ.) หรือเวลาแบบ ISO 8601', en: 'Use a date as YYYY-MM-DD or an ISO 8601 time' });

/** A date or time; a bare date as the end of a range means the whole of that day (Bangkok time). */
function readTime(v: unknown, key: string, bag: ErrorBag, end: boolean): Date | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  const s = typeof v === 'string' ? v.trim() : '';
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(s);
  const d = dateOnly ? new Date(`${s}T00:00:00+07:00`) : /^\d{4}-\d{2}-\d{2}T[\d:.]+(Z|[+-]\d{2}:?\d{2})?$/.test(s) ? new Date(s) : new Date(NaN);
  // Date reads 2026-02-30 as 2 March: a day the calendar does not have is refused, not moved.
  const day = new Date(`${s.slice(0, 10)}T00:00:00Z`);
  if (Number.isNaN(d.getTime()) || Number.isNaN(day.getTime()) || day.toISOString().slice(0, 10) !== s.slice(0, 10)) {
    bag.add(key, BadDate());
    return undefined;
  }
  return dateOnly && end ? new Date(d.getTime() + 86400_000) : d;
}

function text(v: unknown, max = 200): string {
  return typeof v === 'string' ? v.trim().slice(0, max).replace(/\u0000/g, '') : '';
}

export interface AuditEntry {
  seq: string;
  at: string | null;
  actor_id: string | null;
  actor_name: string;
  action: string;
  object_type: string;
  object_id: string | null;
  ip: string;
  detail: Record<string, unknown>;
}

/** The filters shared by the search and the CSV export, checked field by field. */
export function filtered(ctx: Pick<ActionContext, 'db'>, input: Record<string, unknown>) {
  const bag = new ErrorBag();
  const from = readTime(input.from, 'from', bag, false);
  const to = readTime(input.to, 'to', bag, true);
  // Each filter one value: a list (?actor=a&actor=b) is refused, never dropped to an unfiltered search.
  const one = (k: string, max = 200) => text(filterParam(input, k, 100_000), max);
  const objectId = one('object_id', 100);
  if (objectId && !UUID.test(objectId)) bag.add('object_id', { th: 'รหัสวัตถุต้องเป็น UUID', en: 'object_id must be a UUID' });
  bag.throwIfAny();
  const actor = one('actor', 100);
  const action = one('action', 100);
  const objectType = one('object_type', 100);
  const q = one('q');
  const like = (s: string) => `%${s.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  let base = ctx.db.selectFrom('audit_log');
  if (actor) base = UUID.test(actor) ? base.where('actor_id', '=', actor.toLowerCase()) : base.where('actor_name', '=', actor);
  if (action) base = action.endsWith('*') ? base.where('action', 'like', `${action.slice(0, -1).replace(/[\\%_]/g, (c) => `\\${c}`)}%`) : base.where('action', '=', action);
  if (objectType) base = base.where('object_type', '=', objectType);
  if (objectId) base = base.where('object_id', '=', objectId.toLowerCase());
  if (from) base = base.where('at', '>=', from);
  if (to) base = base.where('at', '<', to);
  if (q) base = base.where((eb) => eb.or([eb(sql<string>`detail::text`, 'ilike', like(q)), eb('actor_name', 'ilike', like(q)), eb('ip', 'ilike', like(q)), eb('action', 'ilike', like(q))]));
  return base;
}

export const auditSearch = defineAction<{ count: number; results: AuditEntry[]; export_parts?: Array<string | null> }>({
  name: 'audit_search',
  readOnly: true,
  summary: 'Search the audit log (sysadmins): by actor, action, object type and id, time range and text; newest first, paged.',
  params: {
    actor: { type: 'string', description: 'User name or id of who acted ("system" for the CLI and jobs)' },
    action: { type: 'string', description: 'Action name, e.g. user_login_failed; a trailing * matches a prefix (user_*)' },
    object_type: { type: 'string', description: 'dataset, resource, organization, user, …' },
    object_id: { type: 'string', description: 'The object\'s id' },
    from: { type: 'string', description: 'From this date (YYYY-MM-DD, Bangkok) or time (ISO 8601)' },
    to: { type: 'string', description: 'Until this date (whole day) or time' },
    q: { type: 'string', description: 'Text anywhere in the details, the actor name or the address' },
    limit: { type: 'integer', description: `Rows per page (default 50, at most ${AUDIT_PAGE_MAX})` },
    offset: { type: 'integer', description: 'Rows to skip' },
    export_parts: { type: 'boolean', description: 'With more than 50,000 matches (one CSV file): where each part of the export starts (audit_export before_seq)' },
  },
  async run(ctx, input) {
    ctx.authorize('audit_search');
    const base = filtered(ctx, input);
    const limit = Math.min(naturalNumber(input, 'limit', AUDIT_PAGE_MAX) ?? 50, AUDIT_PAGE_MAX);
    const offset = naturalNumber(input, 'offset') ?? 0;
    const total = await base.select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    const rows = await base
      .select(['seq', 'at', 'actor_id', 'actor_name', 'action', 'object_type', 'object_id', 'ip', 'detail'])
      .orderBy('seq', 'desc')
      .limit(limit)
      .offset(offset)
      .execute();
    const count = Number(total.n);
    return {
      count,
      results: rows.map((r) => ({ seq: String(r.seq), at: ckanTime(r.at), actor_id: r.actor_id, actor_name: r.actor_name, action: r.action, object_type: r.object_type, object_id: r.object_id, ip: r.ip, detail: r.detail ?? {} })),
      // More than one CSV file holds: where each part starts (audit_export's before_seq).
      // Asked for (export_parts=true; the audit page's first page), since it numbers every matching row.
      ...(count > AUDIT_EXPORT_MAX && (input.export_parts === true || input.export_parts === 'true') ? { export_parts: await exportParts(ctx, base) } : {}),
    };
  },
});

export const AUDIT_EXPORT_MAX = 50_000;

/** `before_seq`: only rows older than this one (the next part of an export too large for one file). */
function beforeSeq(input: Record<string, unknown>, bag: ErrorBag): string | null {
  const v = input.before_seq;
  if (v === undefined || v === null || v === '') return null;
  const s = typeof v === 'number' ? String(v) : typeof v === 'string' ? v.trim() : '';
  if (!/^[1-9]\d{0,18}$/.test(s)) bag.add('before_seq', { th: 'ต้องเป็นเลขลำดับรายการ (จำนวนเต็มบวก)', en: 'Must be an entry number (a positive integer)' });
  return s;
}

/**
 * The audit log as CSV (sysadmins), same filters as audit_search, newest first, in parts of at most
 * AUDIT_EXPORT_MAX rows: `truncated` and `next_before_seq` say where the next part starts (never a
 * silent cut). Each row carries its leaf hash (`leaf_v` 2: sha256 over the database's rendering,
 * audit-leaf.ts), so a recipient can compare rows with the log, which audit_verify checks against
 * its signed checkpoints. The export itself is one audit row.
 */
export const auditExport = defineAction<{ count: number; total: number; truncated: boolean; next_before_seq: string | null; csv: string }>({
  name: 'audit_export',
  readOnly: true,
  summary: `The audit log as CSV with audit_search's filters, newest first, in parts of at most ${AUDIT_EXPORT_MAX} rows (next_before_seq starts the next); each row with its leaf hash; the export is itself audited.`,
  params: {
    actor: { type: 'string', description: 'As audit_search' }, action: { type: 'string', description: 'As audit_search' }, object_type: { type: 'string', description: 'As audit_search' },
    object_id: { type: 'string', description: 'As audit_search' }, from: { type: 'string', description: 'As audit_search' }, to: { type: 'string', description: 'As audit_search' }, q: { type: 'string', description: 'As audit_search' },
    before_seq: { type: 'string', description: 'Only entries older than this one: the next part of a large export' },
    limit: { type: 'integer', description: `Rows in this part (default and at most ${AUDIT_EXPORT_MAX})` },
  },
  async run(ctx, input) {
    ctx.authorize('audit_export');
    const bag = new ErrorBag();
    const before = beforeSeq(input, bag);
    const limit = naturalNumber(input, 'limit', AUDIT_EXPORT_MAX) || AUDIT_EXPORT_MAX;
    bag.throwIfAny();
    const base = filtered(ctx, input);
    const total = Number((await base.select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n);
    const part = before ? base.where('seq', '<', before) : base;
    const rows = await part
      .select(['seq', 'at', 'actor_id', 'actor_name', 'action', 'object_type', 'object_id', 'ip', 'detail', 'leaf_v', 'leaf'])
      .orderBy('seq', 'desc')
      .limit(limit + 1)
      .execute();
    const truncated = rows.length > limit;
    const kept = rows.slice(0, limit);
    const lines = ['seq,at,actor_id,actor_name,action,object_type,object_id,ip,detail,leaf_v,leaf'];
    for (const r of kept) lines.push([String(r.seq), ckanTime(r.at), r.actor_id, r.actor_name, r.action, r.object_type, r.object_id, r.ip, r.detail ?? {}, String(r.leaf_v), r.leaf].map((v) => csvCell(v)).join(','));
    const filters = Object.fromEntries(['actor', 'action', 'object_type', 'object_id', 'from', 'to', 'q'].filter((k) => typeof input[k] === 'string' && input[k]).map((k) => [k, input[k]]));
    ctx.disclosed({ kind: 'export', object_type: 'audit_log', object_id: null, detail: { format: 'csv', rows: kept.length, total, ...(before ? { before_seq: before } : {}), filters } });
    const next = truncated ? String(kept[kept.length - 1]!.seq) : null;
    return { count: kept.length, total, truncated, next_before_seq: next, csv: `\uFEFF${lines.join('\r\n')}\r\n` };
  },
});

/** Where each part of a large export starts (before_seq; null for the first), at most `max` parts of `size` rows. */
export async function exportParts(ctx: Pick<ActionContext, 'db'>, base: ReturnType<typeof filtered>, size = AUDIT_EXPORT_MAX, max = 40): Promise<Array<string | null>> {
  const seqs = await ctx.db
    .selectFrom(base.select(sql<string>`seq`.as('seq')).select(sql<number>`row_number() OVER (ORDER BY seq DESC)`.as('n')).as('x'))
    .select('seq')
    .where(sql<boolean>`n % ${size} = 0`)
    .orderBy('seq', 'desc')
    .limit(max - 1)
    .execute();
  return [null, ...seqs.map((r) => String(r.seq))];
}
