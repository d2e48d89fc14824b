import crypto from 'node:crypto';
import { sql } from 'kysely';
import type { ActionContext } from '../context.ts';
import { ValidationError } from '../errors.ts';
import { governanceClasses } from '../../workflow/categories.ts';
import type { TransitionResult } from '../../workflow/engine.ts';
import type { CaseRecord } from '../../workflow/types.ts';
import { findDataset } from '../datasets/load.ts';
import { packageDicts } from '../datasets/present.ts';
import { afterDatasetWrite, bumpDataset } from '../datasets/write.ts';
import type { DatasetRow } from '../../store/schema.ts';
import { documentEffects } from './review.ts';

/** Facts P1 reads from the dataset itself, recomputed at each step so a revision counts. */
export async function publicationFacts(ctx: ActionContext, row: DatasetRow): Promise<Record<string, unknown>> {
  const dict = await ctx.db
    .selectFrom('resources')
    .select('id')
    .where('dataset_id', '=', row.id)
    .where('state', '=', 'active')
    .where(sql<boolean>`jsonb_array_length(data_dictionary) > 0`)
    .executeTakeFirst();
  return { has_data_dictionary: !!dict, category: governanceClasses([row]), dataset_name: row.name, dataset_title: row.title };
}

export function datasetOf(c: CaseRecord): string | null {
  return c.subjects.find((s) => s.type === 'dataset')?.id ?? null;
}

/**
 * Effects of a step on the catalog, in the step's transaction: a publication that ends published
 * marks the dataset (external: ready for national registration, which the registry work reads).
 */
export async function applyEffects(ctx: ActionContext, r: TransitionResult): Promise<Record<string, unknown>> {
  const c = r.case;
  if (c.process === 'publication' && (c.state === 'published_internal' || c.state === 'published_external')) {
    const id = datasetOf(c);
    const row = id ? await findDataset(ctx.db, id) : undefined;
    if (!row) return {};
    const before = (await packageDicts(ctx, [row], { unrestricted: true }))[0]!;
    const external = c.state === 'published_external';
    const publication = { state: external ? 'external' : 'internal', case: c.number, approved: ctx.now.toISOString() };
    await ctx.db
      .updateTable('datasets')
      .set({ metadata: sql`metadata || ${JSON.stringify({ publication, ready_for_registration: external })}::jsonb` })
      .where('id', '=', row.id)
      .execute();
    const bumped = await bumpDataset(ctx, row);
    await afterDatasetWrite(ctx, bumped, before, 'changed package');
    return { dataset: { id: row.id, publication, ready_for_registration: external } };
  }
  if (c.process === 'subject_request' && c.state === 'delivered') return { link: await createAnswerLink(ctx, c, String(r.event.inputs.link_expires_on ?? '')) };
  if (c.process === 'annual_review' || c.process === 'data_policy') return documentEffects(ctx, r);
  return {};
}

/** The link lives until the end of the chosen day, Bangkok time, and at most 30 days. */
function linkExpiry(day: string, now: Date): Date {
  const end = new Date(`${day}T23:59:59+07:00`);
  if (Number.isNaN(end.getTime()) || end <= now) {
    throw ValidationError.field('link_expires_on', { th: 'วันหมดอายุของลิงก์ต้องเป็นวันนี้หรือหลังจากนี้', en: 'The link must expire today or later' });
  }
  if (end.getTime() - now.getTime() > 31 * 86400_000) {
    throw ValidationError.field('link_expires_on', { th: 'ลิงก์มีอายุได้ไม่เกิน 30 วัน', en: 'The link may live at most 30 days' });
  }
  return end;
}

/**
 * The one-time link that delivers a data-subject request's answer: for the verified person only
 * (the case's requester, signed in), used once, expiring. Only its hash is stored; the token
 * travels in the requester's own inbox and mail.
 */
async function createAnswerLink(ctx: ActionContext, c: CaseRecord, day: string): Promise<{ expires: string; token: string }> {
  if (!c.created_by) throw ValidationError.field('case', { th: 'เรื่องนี้ไม่มีผู้ขอที่ลงชื่อเข้าใช้', en: 'This case has no signed-in requester' });
  const expires = linkExpiry(day, ctx.now);
  const token = crypto.randomBytes(32).toString('base64url');
  await ctx.db
    .insertInto('case_links')
    .values({ id: crypto.randomUUID(), case_id: c.id, user_id: c.created_by, token_hash: hashToken(token), expires, created: ctx.now, used_at: null })
    .execute();
  return { expires: expires.toISOString(), token };
}

export function hashToken(token: string): string {
  return crypto.createHash('sha256').update(token).digest('hex');
}
