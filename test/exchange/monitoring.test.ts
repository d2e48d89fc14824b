import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { as, STORE_KIND, type TestEnv } from '../helpers.ts';
import { fixture, agreementInput, fails, type Fixture } from '../governance/agreements-fixture.ts';
import { recordDelivery } from '../../src/exchange/monitoring/deliveries.ts';
import { itemState } from '../../src/exchange/monitoring/state.ts';
import { scheduleMonitor, MONITOR_QUEUE } from '../../src/exchange/monitoring/job.ts';
import { handlers } from '../../src/jobs/worker.ts';
import { claim, complete } from '../../src/jobs/queue.ts';
import { MAIL_QUEUE } from '../../src/mail/outbox.ts';
import { runLoads } from '../datastore/helpers.ts';
import { PageClient } from '../web/client.ts';

let f: Fixture;
let smtp: SMTPServer;
const mails: { to: string[]; raw: string }[] = [];
const L: Record<string, string> = {};
const H = 3600_000;

/** Runs what the worker would: every ready job of a queue through its real handler. */
async function runQueue(env: TestEnv, queue: string): Promise<number> {
  let n = 0;
  for (let job = await claim(env.services.store.db, [queue]); job; job = await claim(env.services.store.db, [queue])) {
    await handlers[queue]!(env.services, job.payload);
    await complete(env.services.store.db, job.id);
    n++;
  }
  return n;
}

before(async () => {
  smtp = new SMTPServer({
    hideSTARTTLS: true, authOptional: true, logger: false,
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => { mails.push({ to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks).toString('utf8') }); cb(); });
    },
  });
  await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', r));
  f = await fixture({ web: true });
  f.env.services.config.smtpUrl = `smtp://127.0.0.1:${(smtp.server.address() as AddressInfo).port}`;
  const a = await as(f.env, f.people.owner, 'agreement_create', agreementInput(f));
  await as(f.env, f.people.owner, 'agreement_transition', { id: a.id, transition: 'submit' });
  await as(f.env, f.people.committee, 'agreement_transition', { id: a.id, transition: 'approve' });
  await as(f.env, f.people.owner, 'agreement_transition', { id: a.id, transition: 'activate' });
  const linkage = async (key: string, over: Record<string, unknown>, activate: boolean) => {
    const l = await as(f.env, f.people.it, 'linkage_create', { organization: 'nha', direction: 'inbound', partner: 'dopa', method: 'REST', ...over });
    if (activate) {
      await as(f.env, f.people.committee, 'linkage_transition', { id: l.id, transition: 'approve' });
      await as(f.env, f.people.it, 'linkage_transition', { id: l.id, transition: 'activate' });
    }
    L[key] = l.id;
  };
  await linkage('daily', { datasets: ['tenants'], frequency: 'daily', agreement_id: a.id }, true);
  await linkage('realtime', { frequency: 'real_time' }, true);
  await linkage('proposed', { datasets: ['tenants'], frequency: '1_6_hours' }, false);
  // Registered two days ago; the last delivery of the dataset three days ago: the daily item is late.
  await f.env.services.store.db.updateTable('linkages').set({ created: new Date(Date.now() - 48 * H) }).where('id', '=', L.daily!).execute();
  await recordDelivery(f.env.services.store.db, { kind: 'harvest', datasetId: f.dataset, at: new Date(Date.now() - 72 * H), ref: 'old' });
  await recordDelivery(f.env.services.store.db, { kind: 'gateway', linkageId: L.realtime, rows: 12 });
});
after(async () => {
  await f.env.close();
  await new Promise<void>((r) => smtp.close(() => r()));
});

test('state from frequency and the last delivery: delivered, waiting, late; "other" is never late', () => {
  const now = new Date('2026-12-02T12:00:00Z');
  const ago = (h: number) => new Date(now.getTime() - h * H);
  assert.equal(itemState('daily', true, ago(20), ago(100), now).state, 'delivered');
  assert.equal(itemState('daily', true, ago(31), ago(100), now).state, 'late');
  assert.equal(itemState('daily', true, ago(29), ago(100), now).state, 'delivered', 'inside the grace');
  assert.equal(itemState('daily', true, null, ago(10), now).state, 'waiting', 'nothing yet, not due');
  assert.equal(itemState('daily', true, null, ago(40), now).state, 'late');
  assert.equal(itemState('daily', false, null, ago(400), now).state, 'waiting', 'a linkage not active is not late');
  assert.equal(itemState('daily', false, ago(1), ago(400), now).state, 'waiting', 'nor delivered');
  assert.equal(itemState('other', true, null, ago(9000), now).state, 'waiting');
  assert.equal(itemState('other', true, ago(9000), ago(9000), now).state, 'delivered');
  assert.equal(itemState('real_time', true, ago(0.05), ago(1), now).state, 'delivered');
  assert.equal(itemState('real_time', true, ago(0.5), ago(1), now).state, 'late');
});

test(`[${STORE_KIND}] the dashboard counts items by state, partner and frequency, with the known-limit flags`, async () => {
  const d = await as(f.env, f.people.it, 'monitor_dashboard', {});
  assert.deepEqual([d.total, d.delivered, d.waiting, d.late], [3, 1, 1, 1]);
  assert.deepEqual(d.by_partner.map((x: any) => [x.partner, x.delivered, x.waiting, x.late]), [['กรมการปกครอง', 1, 1, 1]]);
  const freq = Object.fromEntries(d.by_frequency.map((x: any) => [x.frequency, [x.delivered, x.waiting, x.late]]));
  assert.deepEqual([freq.daily, freq.real_time, freq['1_6_hours'], freq.other], [[0, 0, 1], [1, 0, 0], [0, 1, 0], [0, 0, 0]]);
  assert.equal(d.flags.find((x: any) => x.flag === 'not_linked').count, 1);
  const late = d.items.find((i: any) => i.state === 'late');
  assert.equal(late.linkage_id, L.daily);
  // The item list is a page of what is counted: offset and limit page it, the counts stay whole.
  const ids = d.items.map((i: any) => `${i.linkage_id}/${i.dataset_id}`);
  assert.equal(ids.length, 3);
  for (const [offset, limit] of [[0, 2], [2, 2], [1, 1], [3, 5]]) {
    const pg = await as(f.env, f.people.it, 'monitor_dashboard', { offset, limit });
    assert.deepEqual([pg.total, pg.items_offset, pg.items.map((i: any) => `${i.linkage_id}/${i.dataset_id}`)], [3, offset, ids.slice(offset, offset + limit)]);
  }
  assert.ok((await fails(as(f.env, f.people.it, 'monitor_dashboard', { offset: -1 }))).errors.offset);

  await as(f.env, f.people.it, 'monitor_flag_set', { linkage_id: L.daily, dataset_id: f.dataset, flags: ['format_differs', 'availability_incomplete'], note: 'CSV ต่างรูปแบบ' });
  const flagged = await as(f.env, f.people.it, 'monitor_dashboard', { flag: 'format_differs' });
  assert.deepEqual([flagged.total, flagged.items[0].linkage_id], [1, L.daily]);
  assert.deepEqual(flagged.items[0].flags, ['format_differs', 'availability_incomplete']);
  const bad = await fails(as(f.env, f.people.it, 'monitor_flag_set', { linkage_id: L.daily, flags: ['not_linked', 'bogus'] }));
  assert.ok(bad.errors.flags.length === 2);
  assert.ok((await fails(as(f.env, f.people.it, 'monitor_dashboard', { state: 'lost' }))).errors.state);
  assert.equal((await fails(as(f.env, f.people.partner, 'monitor_flag_set', { linkage_id: L.daily, flags: [] }))).name, 'AuthorizationError');
  // The partner's members see the items they are partner to; others see none.
  assert.equal((await as(f.env, f.people.partner, 'monitor_dashboard', {})).total, 3);
  assert.equal((await as(f.env, f.people.outsider, 'monitor_dashboard', {})).total, 0);
  assert.equal((await fails(as(f.env, f.people.outsider, 'delivery_list', { linkage_id: L.daily }))).name, 'NotFoundError');
  const hist = await as(f.env, f.people.it, 'delivery_list', { linkage_id: L.daily });
  assert.deepEqual(hist.map((h: any) => h.kind), ['harvest']);
});

test(`[${STORE_KIND}] a late item notifies the owner and IT by e-mail once per lateness, through the durable job`, async () => {
  await scheduleMonitor(f.env.services, 0);
  await scheduleMonitor(f.env.services, 0); // a second process asking too: still one job
  assert.equal(await runQueue(f.env, MONITOR_QUEUE), 1);
  const db = f.env.services.store.db;
  const inbox = await db.selectFrom('notifications as n').innerJoin('users as u', 'u.id', 'n.user_id').select(['u.name', 'n.title_th', 'n.kind']).where('n.kind', '=', 'delivery_late').execute();
  assert.deepEqual(inbox.map((n) => n.name).sort(), ['it', 'owner']);
  assert.match(inbox[0]!.title_th, /ส่งข้อมูลล่าช้า: ทะเบียนผู้เช่า \(กรมการปกครอง\)/);
  await runQueue(f.env, MAIL_QUEUE);
  const sent = await db.selectFrom('mail_outbox').select(['to_address', 'state', 'subject', 'message_id']).where('template', '=', 'delivery_late').execute();
  assert.deepEqual(sent.map((m) => [m.to_address, m.state]).sort(), [['it@example.go.th', 'sent'], ['owner@example.go.th', 'sent']]);
  assert.match(sent[0]!.subject, /^\[LNK-.+\] ส่งข้อมูลล่าช้า: ทะเบียนผู้เช่า/);
  // Dates in the mail as a Thai office writes them (Buddhist era, Bangkok time), not ISO in UTC.
  const body = (await db.selectFrom('mail_outbox').select('body').where('template', '=', 'delivery_late').executeTakeFirstOrThrow()).body;
  assert.doesNotMatch(body, /\d{4}-\d\d-\d\dT/, body);
  assert.match(body, /ส่งครั้งล่าสุด: \d{1,2} [ก-๙]+ 25\d\d เวลา \d\d\.\d\d น\./, body);
  assert.match(body, /ครบกำหนด: \d{1,2} [ก-๙]+ 25\d\d เวลา \d\d\.\d\d น\./, body);
  for (const m of sent) assert.ok(mails.some((x) => x.raw.includes(m.message_id!.replace(/[<>]/g, '')) && x.to.includes(m.to_address)), 'the SMTP server received it');

  // Again: the same lateness is not told twice.
  await scheduleMonitor(f.env.services, 0);
  await runQueue(f.env, MONITOR_QUEUE);
  assert.equal((await db.selectFrom('notifications').select('id').where('kind', '=', 'delivery_late').execute()).length, 2);
  // A delivery that came but is itself overdue now is a new lateness: told again.
  await recordDelivery(db, { kind: 'harvest', datasetId: f.dataset, at: new Date(Date.now() - 40 * H) });
  await scheduleMonitor(f.env.services, 0);
  await runQueue(f.env, MONITOR_QUEUE);
  assert.equal((await db.selectFrom('notifications').select('id').where('kind', '=', 'delivery_late').execute()).length, 4);
  assert.equal((await db.selectFrom('monitor_late_notices').select('item_key').execute()).length, 2);
  const audit = await db.selectFrom('audit_log').select('action').where('action', '=', 'delivery_late_notice').execute();
  assert.equal(audit.length, 2);
});

test(`[${STORE_KIND}] a DataStore load is recorded as a delivery and the item turns delivered`, async () => {
  await runLoads(f.env);
  const rows = await f.env.services.store.db.selectFrom('exchange_deliveries').selectAll().where('kind', '=', 'datastore_load').execute();
  assert.equal(rows.length, 1);
  assert.deepEqual([rows[0]!.dataset_id, rows[0]!.ok, Number(rows[0]!.row_count)], [f.dataset, true, 1]);
  const d = await as(f.env, f.people.it, 'monitor_dashboard', {});
  assert.equal(d.items.find((i: any) => i.linkage_id === L.daily).state, 'delivered');
  assert.equal(d.items.find((i: any) => i.linkage_id === L.proposed).state, 'waiting', 'a proposed linkage stays waiting (not linked) whatever arrives');
});

test(`[${STORE_KIND}] setting flags on a linkage one may not see answers as for no linkage at all; a party who may see it but not set flags is refused as such`, async () => {
  const unknown = await fails(as(f.env, f.people.outsider, 'monitor_flag_set', { linkage_id: '00000000-0000-4000-8000-000000000000', flags: ['format_differs'] }));
  const foreign = await fails(as(f.env, f.people.outsider, 'monitor_flag_set', { linkage_id: L.daily, flags: ['format_differs'] }));
  assert.equal(unknown.name, 'NotFoundError');
  assert.equal(foreign.name, 'NotFoundError', 'an outsider learns that the linkage exists');
  assert.equal(foreign.message, unknown.message);
  // The partner sees the linkage (its monitoring), so its refusal to set the owner's flags is a 403.
  assert.equal((await fails(as(f.env, f.people.partner, 'monitor_flag_set', { linkage_id: L.daily, flags: ['format_differs'] }))).name, 'AuthorizationError');
});

test(`[${STORE_KIND}] the monitoring page: last deliveries in Buddhist-era Bangkok time, and its count tables agree with the item rows`, async () => {
  const it = new PageClient(f.env.app);
  await it.signIn('it', 'correct horse battery');
  const page = await it.get('/exchange/monitoring');
  assert.equal(page.statusCode, 200);
  const items = /<h2>รายการเชื่อมโยง<\/h2>\s*<table>([\s\S]*?)<\/table>/.exec(page.body)![1]!;
  assert.doesNotMatch(items, />[^<]*\d{4}-\d\d-\d\dT[^<]*</, 'no ISO timestamps in the item rows');
  assert.match(items, /<time datetime="[^"]+">\d{1,2} [ก-๙.]+ 25\d\d/);
  const rows = [...items.matchAll(/<tr><td><a href="\/governance\/linkages\//g)].length;
  const total = Number(/<strong>(\d+)<\/strong> รายการ/.exec(page.body)![1]);
  assert.equal(rows, total, 'one row per counted item');
});
