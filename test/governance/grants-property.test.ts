import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { as, STORE_KIND } from '../helpers.ts';
import { grantFor, grantUsable, grantHeldBy } from '../../src/access/grants.ts';
import { fixture, agreementInput, type Fixture } from './agreements-fixture.ts';

/**
 * Property: whatever the order of events (create, submit, approve, activate, terminate, cancel,
 * clock moves, window edges), no grant is usable outside its agreement's window, before it is in
 * force, or after it ended. The model is four lines; the system must agree with it at every step,
 * through grantFor() and through the SQL the catalog's visibility uses.
 */
let f: Fixture;
before(async () => { f = await fixture(); });
after(() => f.env.close());

function rng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

interface Model { id: string; state: string; from: number; to: number }

const SEED = Number(process.env.GRANT_PROPERTY_SEED ?? 20261201);

test(`[${STORE_KIND}] property: no grant is usable outside its agreement's window or after it ended (seed ${SEED})`, async () => {
  const rand = rng(SEED);
  const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const base = Date.now();
  const H = 3600_000;
  const models: Model[] = [];
  let now = base;
  const expectUsable = (m: Model, t: number) => m.state === 'active' && m.from <= t && t < m.to;
  const check = async (label: string) => {
    const at = new Date(now);
    const g = await grantFor(f.env.services.store.db, f.people.partner, f.dataset, at);
    const got = new Set((g?.grants ?? []).map((x) => x.agreement_id));
    for (const m of models) assert.equal(got.has(m.id), expectUsable(m, now), `${label}: agreement ${m.id.slice(0, 8)} state ${m.state} window [${(m.from - base) / H}h, ${(m.to - base) / H}h) at ${(now - base) / H}h`);
    // The same answer from the SQL condition the catalog's visibility and downloads use.
    const rows = await f.env.services.store.db.selectFrom('dataset_grants as gr').select('gr.agreement_id').where('gr.agreement_id', 'is not', null).where(grantHeldBy(f.people.partner)).where(grantUsable('gr', at)).execute();
    assert.deepEqual(new Set(rows.map((r) => r.agreement_id)), got, `${label}: grantUsable and grantFor agree`);
  };
  const steps = 80;
  for (let i = 0; i < steps; i++) {
    const kind = pick(['create', 'advance', 'advance', 'advance', 'advance', 'terminate', 'clock', 'edge', 'edge']);
    const open = models.filter((x) => !['terminated', 'expired'].includes(x.state));
    const m = kind === 'advance' && open.length ? pick(open) : models.length ? pick(models) : null;
    if ((kind === 'create' && open.length < 4) || !m) {
      // Windows start up to a day back and end 1–72 h ahead, so the real clock stays inside while steps are taken.
      const from = base - Math.floor(rand() * 24) * H;
      const to = base + (1 + Math.floor(rand() * 72)) * H;
      const a = await as(f.env, pick([f.people.owner, f.people.it]), 'agreement_create', agreementInput(f, { kind: pick(['agreement', 'mou']), access_from: new Date(from).toISOString(), access_to: new Date(to).toISOString() }));
      models.push({ id: a.id, state: 'draft', from, to });
    } else if (kind === 'advance') {
      const next: Record<string, [string, any][]> = {
        draft: [['submit', f.people.owner]], legal_review: [['approve', f.people.legal], ['approve', f.people.legal], ['reject', f.people.legal]],
        approval: [['approve', f.people.committee], ['approve', f.people.committee], ['reject', f.people.committee]], approved: [['activate', f.people.it]],
      };
      const options = next[m.state];
      if (options) {
        const [t, who] = pick(options);
        const r = await as(f.env, who, 'agreement_transition', { id: m.id, transition: t, reason: t === 'reject' ? 'แก้ไข' : '' });
        m.state = r.state;
      }
    } else if (kind === 'terminate') {
      if (['draft', 'approved', 'active'].includes(m.state)) {
        await as(f.env, f.people.owner, 'agreement_terminate', { id: m.id, ground: pick(['breach_of_law', 'no_longer_needed', 'provider_withdraws']), reason: 'ทดสอบ' });
        m.state = 'terminated';
      }
    } else if (kind === 'clock') {
      now = base + Math.floor((rand() * 120 - 36) * H);
    } else {
      // Window edges: exactly the start, a millisecond before it, exactly the end, a millisecond before it.
      now = pick([m.from, m.from - 1, m.to, m.to - 1]);
    }
    await check(`step ${i} (${kind})`);
  }
  assert.ok(models.some((m) => m.state === 'active'), 'the sequence reached active agreements');
  assert.ok(models.some((m) => m.state === 'terminated'), 'and terminated ones');
});

test(`[${STORE_KIND}] a grant edited in the database to outlive its agreement is still bounded by the agreement`, async () => {
  const a = await as(f.env, f.people.owner, 'agreement_create', agreementInput(f));
  await as(f.env, f.people.owner, 'agreement_transition', { id: a.id, transition: 'submit' });
  await as(f.env, f.people.committee, 'agreement_transition', { id: a.id, transition: 'approve' });
  await as(f.env, f.people.owner, 'agreement_transition', { id: a.id, transition: 'activate' });
  await sql`UPDATE dataset_grants SET expires_at = NULL, starts_at = NULL WHERE agreement_id = ${a.id}`.execute(f.env.services.store.db);
  const after = new Date(Date.now() + 40 * 86400_000);
  const g = await grantFor(f.env.services.store.db, f.people.partner, f.dataset, after);
  assert.ok(!g?.grants.some((x) => x.agreement_id === a.id));
  // and the case moving on its own (e.g. a generic case_transition) ends the grant too
  await sql`UPDATE cases SET state = 'expired' WHERE id = ${a.lifecycle_case_id}`.execute(f.env.services.store.db);
  const g2 = await grantFor(f.env.services.store.db, f.people.partner, f.dataset, new Date());
  assert.ok(!g2?.grants.some((x) => x.agreement_id === a.id));
});
