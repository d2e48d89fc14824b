import { periodOf } from '../gateway/quota.ts';
import crypto from 'node:crypto';
import { sql } from 'kysely';
import { defineAction, runAction, type Caller } from '../../actions/registry.ts';
import type { ActionContext, Services } from '../../actions/context.ts';
import { AuthorizationError, ErrorBag, type Msg } from '../../actions/errors.ts';
import { checkCode, type Code } from '../../actions/governance/agreements-shared.ts';
import { openSecret } from '../../harvest/secrets.ts';
import { citizenRef, readCitizenId } from './citizen-ref.ts';
import { restConnector, type Answer, type ConnectorSpec } from './connector.ts';
import { coveredSources } from './sources.ts';
import data from './purposes.json' with { type: 'json' };

/**
 * P9, the citizen-centred look-up. Three steps, so no database connection waits on a slow source:
 * `lookup_start` (one short transaction: checks the ID, purpose and legal basis, the agreements
 * that cover each source, the official's rate in PostgreSQL, and writes the audit row with a keyed
 * hash of the ID), then every source is asked in parallel, each with its own time-out, then
 * `lookup_finish` audits which sources answered. Answers live only in this request.
 */
export const PURPOSES = data.purposes as Code[];
export const LEGAL_BASES = data.legal_bases as Code[];

export class LookupRateLimited extends Error {
  override name = 'LookupRateLimited';
  readonly retryAfter: number;
  readonly msg: Msg;
  constructor(retryAfter: number, msg: Msg) {
    super(msg.en);
    this.retryAfter = retryAfter;
    this.msg = msg;
  }
}

interface Limits { per_minute: number; per_day: number }

async function limits(ctx: ActionContext): Promise<Limits> {
  const row = await ctx.db.selectFrom('settings').select('value').where('key', '=', 'exchange.lookup_rate').executeTakeFirst();
  const v = (row?.value ?? {}) as Partial<Limits>;
  const n = (x: unknown, d: number) => (Number.isInteger(x) && (x as number) > 0 ? (x as number) : d);
  return { per_minute: n(v.per_minute, data.rate.per_minute), per_day: n(v.per_day, data.rate.per_day) };
}

/**
 * Counts this look-up in the official's minute and day windows. The upsert's row lock orders
 * concurrent look-ups of one official across every server process; a refused one rolls back and
 * so does not count.
 */
async function countRate(ctx: ActionContext, userId: string): Promise<void> {
  const lim = await limits(ctx);
  const t = ctx.now.getTime();
  // The day is Thailand's, as the gateway's quota days are: a limit "per day" resets at Bangkok midnight.
  const day = periodOf('calls_per_day', ctx.now);
  const windows = [
    { kind: 'minute', start: new Date(t - (t % 60_000)), limit: lim.per_minute, ends: t - (t % 60_000) + 60_000 },
    { kind: 'day', start: day.start, limit: lim.per_day, ends: day.end.getTime() },
  ];
  for (const w of windows) {
    const r = await sql<{ count: number }>`
      INSERT INTO lookup_rate (user_id, window_kind, window_start, count) VALUES (${userId}, ${w.kind}, ${w.start.toISOString()}::timestamptz, 1)
      ON CONFLICT (user_id, window_kind, window_start) DO UPDATE SET count = lookup_rate.count + 1 RETURNING count`.execute(ctx.db);
    if (Number(r.rows[0]!.count) > w.limit) {
      const retry = Math.max(1, Math.ceil((w.ends - t) / 1000));
      throw new LookupRateLimited(retry, w.kind === 'minute'
        ? { th: `ค้นหาได้ไม่เกิน ${w.limit} ครั้งต่อนาที กรุณารอ ${retry} วินาที`, en: `At most ${w.limit} look-ups a minute; wait ${retry} s` }
        : { th: `ค้นหาได้ไม่เกิน ${w.limit} ครั้งต่อวัน`, en: `At most ${w.limit} look-ups a day` });
    }
  }
  // Old windows are of no use: drop them now and then (cheap, by the primary key's order).
  if (Math.random() < 0.05) await sql`DELETE FROM lookup_rate WHERE user_id = ${userId} AND window_start < ${new Date(t - 2 * 86_400_000).toISOString()}::timestamptz`.execute(ctx.db);
}

export interface PlannedSource {
  id: string;
  name: string;
  title_th: string;
  title_en: string;
  organization: string;
  connector: ConnectorSpec;
  secret: string | null;
}

export const lookupStart = defineAction({
  name: 'lookup_start',
  readOnly: false,
  internal: true,
  summary: 'Begin a citizen look-up: check the ID (mod 11), purpose and legal basis, the agreements covering each source and the official\'s rate; audit it with a keyed hash of the ID.',
  async run(ctx, input) {
    ctx.authorize('lookup_start');
    const bag = new ErrorBag();
    const cid = readCitizenId(input.citizen_id);
    if (!cid) bag.add('citizen_id', { th: 'เลขประจำตัวประชาชนต้องมี 13 หลักและเลขตรวจสอบถูกต้อง', en: 'The citizen ID is 13 digits with a valid check digit' });
    const purpose = checkCode(bag, 'purpose', PURPOSES, input.purpose);
    const legal = checkCode(bag, 'legal_basis', LEGAL_BASES, input.legal_basis);
    bag.throwIfAny();
    const sources = await coveredSources(ctx.db, ctx.actor, ctx.now);
    if (!sources.length) throw new AuthorizationError({ th: 'ไม่มีข้อตกลงที่ใช้งานได้ครอบคลุมแหล่งข้อมูลใด', en: 'No active agreement of yours covers any look-up source' });
    await countRate(ctx, (ctx.actor as Extract<typeof ctx.actor, { kind: 'user' }>).user.id);
    const id = crypto.randomUUID();
    await ctx.audit({ action: 'citizen_lookup', object_type: 'citizen', object_id: null, detail: { lookup_id: id, subject: citizenRef(ctx.services.config, cid!), purpose, legal_basis: legal, sources: sources.map((s) => s.name) } });
    const planned: PlannedSource[] = sources.map((s) => ({ id: s.id, name: s.name, title_th: s.title_th, title_en: s.title_en, organization: s.org_title, connector: s.connector as unknown as ConnectorSpec, secret: openSecret(ctx.services.config, s.secret) }));
    return { lookup_id: id, sources: planned };
  },
});

export const lookupFinish = defineAction({
  name: 'lookup_finish',
  readOnly: false,
  internal: true,
  summary: 'Audit which sources of a look-up answered or were unavailable (not what they answered).',
  async run(ctx, input) {
    ctx.authorize('lookup_finish');
    const outcomes = Array.isArray(input.outcomes) ? input.outcomes.slice(0, 200) : [];
    await ctx.audit({ action: 'citizen_lookup_result', object_type: 'citizen', object_id: null, detail: { lookup_id: String(input.lookup_id ?? ''), outcomes } });
    return { ok: true };
  },
});

export interface SourceResult {
  source: string;
  title_th: string;
  title_en: string;
  organization: string;
  answer: Answer;
}

/**
 * The whole look-up, as pages and the API run it: start, ask every source at once (each with its
 * own time-out), call `onAnswer` as each one comes back, finish. Results come back in source order.
 */
export interface LookupHooks {
  /** After the checks passed and the audit row is committed, before any source is asked. */
  onStart?: (sources: PlannedSource[]) => void;
  onAnswer?: (r: SourceResult) => void | Promise<void>;
}

export async function runLookup(services: Services, caller: Caller, input: Record<string, unknown>, hooks: LookupHooks = {}): Promise<{ lookup_id: string; results: SourceResult[] }> {
  const started = await runAction<{ lookup_id: string; sources: PlannedSource[] }>(services, 'lookup_start', input, caller);
  hooks.onStart?.(started.sources);
  const cid = readCitizenId(input.citizen_id)!;
  const results = await Promise.all(started.sources.map(async (s) => {
    const signal = AbortSignal.timeout(s.connector.timeout_ms);
    let answer: Answer;
    try {
      answer = await restConnector(s.connector, s.secret, services.config.sourceHosts).ask(cid, signal);
    } catch {
      answer = { status: 'unavailable', reason: 'network' };
    }
    const r: SourceResult = { source: s.name, title_th: s.title_th, title_en: s.title_en, organization: s.organization, answer };
    await hooks.onAnswer?.(r);
    return r;
  }));
  await runAction(services, 'lookup_finish', { lookup_id: started.lookup_id, outcomes: results.map((r) => ({ source: r.source, answered: r.answer.status !== 'unavailable', ...(r.answer.reason ? { reason: r.answer.reason } : {}) })) }, caller);
  return { lookup_id: started.lookup_id, results };
}
