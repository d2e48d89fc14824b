import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { testEnv, STORE_KIND, type TestEnv } from '../helpers.ts';
import { PageClient } from '../web/client.ts';
import { governanceWorld, requestForm, type Gov } from './cases-fixture.ts';

const PASSWORD = 'correct horse battery';

/** The /governance pages without JavaScript: forms, field errors, diagram, timeline, print form, inbox, duties. */
describe(`[${STORE_KIND}] governance pages`, () => {
  let env: TestEnv;
  let g: Gov;
  before(async () => {
    env = await testEnv({}, { web: true });
    g = await governanceWorld(env);
  });
  after(() => env.close());

  async function client(name: string) {
    const c = new PageClient(env.app);
    const r = await c.signIn(name, PASSWORD);
    assert.equal(r.statusCode, 303, `${name} signs in`);
    return c;
  }

  it('a requester files P2 from the form (field errors first), IT takes a step from the case page, the header counts the inbox', async () => {
    const req = await client('requester');
    const form = await req.get('/governance/new/information_request');
    assert.equal(form.statusCode, 200);
    assert.match(form.body, /ส่วนที่ 1/);
    const bad = await req.post('/governance/new/information_request', { organization: 'dopa', requester_name: 'สมหญิง' });
    assert.equal(bad.statusCode, 400);
    assert.match(bad.body, /class="field-error"/);
    assert.match(bad.body, /aria-invalid="true"/);
    const f = requestForm();
    const fields: Record<string, string> = { organization: 'dopa' };
    for (const [k, v] of Object.entries(f)) fields[k] = Array.isArray(v) ? v.join('\n') : String(v);
    await req.get('/governance/new/information_request');
    const ok = await req.post('/governance/new/information_request', fields);
    assert.equal(ok.statusCode, 303, ok.body.slice(0, 500));
    const page = await req.follow();
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /<svg[^>]+class="process-diagram"/);
    assert.match(page.body, /class="state current[^"]*" data-state="it_check"/);
    assert.match(page.body, /REQ-25\d\d-\d{6}/);
    const caseUrl = ok.headers.location as string;

    const it = await client('it');
    const home = await it.get('/');
    assert.match(home.body, /href="\/governance\/inbox">แจ้งเตือน <span class="badge"[^>]*>1</);
    assert.match(home.body, /href="\/governance"/);
    const list = await it.get('/governance');
    assert.match(list.body, new RegExp(caseUrl));
    const cp = await it.get(caseUrl);
    assert.match(cp.body, /name="transition" value="approve"/);
    // A rejection without a reason: the error beside the field, status 400, nothing written.
    const noReason = await it.post(`${caseUrl}/step`, { transition: 'reject', version: '1', reason: '' });
    assert.equal(noReason.statusCode, 400);
    assert.match(noReason.body, /ต้องระบุเหตุผล/);
    await it.get(caseUrl);
    const step = await it.post(`${caseUrl}/step`, { transition: 'approve', version: '1', receipt_note: 'ครบ' });
    assert.equal(step.statusCode, 303);
    const after = await it.follow();
    assert.match(after.body, /class="state current[^"]*" data-state="owner_analysis"/);
    assert.match(after.body, /class="edge taken"/);
    // A second post from the old page (version 1) is refused with what is allowed now.
    await it.get(caseUrl);
    const stale = await it.post(`${caseUrl}/step`, { transition: 'approve', version: '1' });
    assert.equal(stale.statusCode, 400);

    const printed = await req.get(`${caseUrl}/form`);
    assert.equal(printed.statusCode, 200);
    for (const part of ['ส่วนที่ 1', 'ส่วนที่ 2', 'ส่วนที่ 3', 'ส่วนที่ 4', 'ISMS-FRM-ITD-040']) assert.ok(printed.body.includes(part), part);
    // The data period in the Buddhist era on the printed form and the case page, never as 2026-01-01.
    assert.match(printed.body, /1 มกราคม 2569/);
    assert.match(printed.body, /31 ธันวาคม 2569/);
    assert.doesNotMatch(printed.body, /2026-01-01|2026-12-31/);
    const details = (await req.get(caseUrl)).body;
    assert.match(details, /1 มกราคม 2569/);
    assert.doesNotMatch(details, /2026-01-01|2026-12-31/);
    const css = await req.get('/governance/governance.css');
    assert.match(css.body, /@media print/);
    // Another requester gets the 404 page.
    const stranger = await client('stranger');
    assert.equal((await stranger.get(caseUrl)).statusCode, 404);
    const inbox = await req.get('/governance/inbox');
    assert.match(inbox.body, /ความคืบหน้า|รอการดำเนินการ/);
    const read = await req.post('/governance/inbox/read', { all: 'true' });
    assert.equal(read.statusCode, 303);
    assert.doesNotMatch((await req.get('/')).body, /class="badge"/);
  });

  it('an admin gives and removes duties from the page, with Thai and English role names', async () => {
    const admin = new PageClient(env.app);
    const { makeUser } = await import('../helpers.ts');
    await makeUser(env, 'dopaboss', { org: 'dopa', role: 'admin' });
    // Admins sign in with a second factor.
    await admin.signInWith2fa('dopaboss', PASSWORD, new Map());
    const p = await admin.get('/governance/duties/dopa');
    assert.equal(p.statusCode, 200);
    assert.match(p.body, /เจ้าของข้อมูล \/ Data owner/);
    assert.match(p.body, /ผู้บริหารข้อมูลระดับสูง \(CDO\)/);
    const bad = await admin.post('/governance/duties/dopa/add', { username: 'stranger', role: 'cdo' });
    assert.equal(bad.statusCode, 403);
    await admin.get('/governance/duties/dopa');
    const add = await admin.post('/governance/duties/dopa/add', { username: 'stranger', role: 'data_steward' });
    assert.equal(add.statusCode, 303);
    const shown = await admin.follow();
    assert.match(shown.body, /stranger/);
    const rm = await admin.post('/governance/duties/dopa/remove', { username: 'stranger', role: 'data_steward' });
    assert.equal(rm.statusCode, 303);
    const rows = await env.services.store.db.selectFrom('duties').select('role').where('user_id', '=', (g.actors.stranger as any).user.id).execute();
    assert.equal(rows.length, 0);
  });
});
