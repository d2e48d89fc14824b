import { before, after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { testEnv, sys, api, makeOrg, makeUser, datasetInput, type TestEnv } from '../helpers.ts';
import { PageClient, textNear } from './client.ts';
import { PASSWORD } from './seed.ts';

/** Drafts found again, restore, add-dataset links, errors in one pass (issue 12, editors and admins). */
describe('my work: drafts, deleted datasets, restore, adding a dataset, all errors at once', () => {
  let env: TestEnv;
  let editor: PageClient;
  let editorToken: string;
  let outsiderToken: string;
  before(async () => {
    env = await testEnv({}, { web: true });
    await makeOrg(env, 'mots', 'กระทรวงการท่องเที่ยวและกีฬา');
    await makeOrg(env, 'dnp', 'กรมอุทยานแห่งชาติ สัตว์ป่า และพันธุ์พืช');
    editorToken = (await makeUser(env, 'editor1', { org: 'mots', role: 'editor' })).token;
    outsiderToken = (await makeUser(env, 'outsider')).token;
    await makeUser(env, 'member1', { org: 'mots', role: 'member' });
    editor = new PageClient(env.app);
    await editor.signIn('editor1', PASSWORD);
  });
  after(async () => env.close());

  it('package_create reports every field error in one answer when the organisation is missing, and refuses callers with no right anywhere', async () => {
    const body = { name: 'x-1', data_type: 'ข้อมูลสถิติ', title: '', maintainer_email: 'not-an-email' };
    const r = await api(env, 'package_create', body, { token: editorToken });
    assert.equal(r.status, 409);
    const errors = r.json.error as Record<string, unknown>;
    assert.ok(errors.owner_org, 'the organisation is named');
    assert.ok(errors.maintainer_email, 'and the bad e-mail in the same answer');
    assert.ok(Object.keys(errors).length > 5, `all field errors at once: ${Object.keys(errors).join(', ')}`);
    // An unknown organisation too: reported beside the other fields.
    const unknown = await api(env, 'package_create', { ...body, owner_org: 'no-such-org' }, { token: editorToken });
    assert.equal(unknown.status, 409);
    assert.ok(unknown.json.error.owner_org && unknown.json.error.maintainer_email);
    // No right to add anywhere: refused before anything is validated.
    const outsider = await api(env, 'package_create', body, { token: outsiderToken });
    assert.equal(outsider.status, 403);
    const anon = await api(env, 'package_create', body);
    assert.equal(anon.status, 403);
    // A real organisation the caller may not add to stays a refusal.
    const other = await api(env, 'package_create', { ...body, owner_org: 'dnp' }, { token: editorToken });
    assert.equal(other.status, 403);
  });

  it('the dataset form shows the organisation error and every other error on the first submit, with a summary linking each field', async () => {
    await editor.get('/dataset/new?data_type=ข้อมูลสถิติ');
    const res = await editor.post('/dataset/new', { data_type: 'ข้อมูลสถิติ', owner_org: '', title: 'ชุดข้อมูลทดสอบ', name: 'form-one-pass', maintainer_email: 'bad', save: 'next' });
    assert.equal(res.statusCode, 400);
    const summary = textNear(res.body, 'id="error-summary"', 4000);
    assert.match(summary, /กรุณาเลือกหน่วยงาน/);
    const links = [...res.body.matchAll(/<li><a href="#(field-[\w-]+)">/g)].map((m) => m[1]!);
    assert.ok(links.length > 5, `many errors listed: ${links.join(' ')}`);
    for (const id of links) assert.ok(res.body.includes(`id="${id}"`), `summary link ${id} has its field`);
    assert.ok(links.includes('field-owner_org') && links.includes('field-maintainer_email'));
    assert.match(textNear(res.body, 'id="err-maintainer_email"', 200), /อีเมล|e-mail|email/i);
  });

  it('the resource form reports a missing file or link together with the other fields', async () => {
    const d = await sys(env, 'package_create', datasetInput('mots', { name: 'res-form-one-pass' }));
    await editor.get(`/dataset/resources/${d.name}`);
    const res = await editor.postFile(`/dataset/${d.name}/resource/new`, { source: 'upload', name: '', format: '' }, null);
    assert.equal(res.statusCode, 400);
    const summary = textNear(res.body, 'id="error-summary"', 3000);
    assert.match(summary, /กรุณาเลือกไฟล์หรือระบุลิงก์/);
    assert.match(summary, /ชื่อทรัพยากร: กรุณากรอกข้อมูลนี้/, 'the resource name, in the same answer and under its own label');
    assert.ok(res.body.includes('id="field-name"') && res.body.includes('href="#field-name"'));
  });

  it('a saved draft is found again on the dashboard and on the organisation page, by its editors only', async () => {
    await editor.get('/dataset/new?data_type=ข้อมูลสถิติ');
    const saved = await editor.post('/dataset/new', { data_type: 'ข้อมูลสถิติ', owner_org: 'mots', title: 'ร่างสถิตินักท่องเที่ยว', name: 'draft-tourists', save: 'draft' });
    assert.equal(saved.statusCode, 303);
    const dash = await editor.get('/dashboard');
    assert.equal(dash.statusCode, 200);
    assert.match(dash.body, /ร่างสถิตินักท่องเที่ยว/);
    assert.match(textNear(dash.body, 'ร่างสถิตินักท่องเที่ยว', 400), /ฉบับร่าง/);
    assert.match(dash.body, /รอท่านดำเนินการ/);
    assert.match(dash.body, /href="\/dataset\/new"/, 'the dashboard has the add link');
    const org = await editor.get('/organization/mots');
    assert.match(textNear(org.body, 'id="org-drafts"', 2000), /ร่างสถิตินักท่องเที่ยว/);
    // A member (no edit right) and a visitor see no drafts.
    const member = new PageClient(env.app);
    await member.signIn('member1', PASSWORD);
    assert.doesNotMatch((await member.get('/organization/mots')).body, /ร่างสถิตินักท่องเที่ยว/);
    assert.doesNotMatch((await member.get('/dashboard')).body, /ร่างสถิตินักท่องเที่ยว/);
    assert.doesNotMatch((await new PageClient(env.app).get('/organization/mots')).body, /ร่างสถิตินักท่องเที่ยว/);
    // A sysadmin finds it too.
    await makeUser(env, 'root1', { sysadmin: true });
    const root = new PageClient(env.app);
    await root.signInWith2fa('root1', PASSWORD, new Map());
    assert.match((await root.get('/dashboard')).body, /ร่างสถิตินักท่องเที่ยว/);
  });

  it('a deleted dataset shows a badge and a restore button to those who may restore; package_restore brings it back with history and audit', async () => {
    const d = await sys(env, 'package_create', datasetInput('mots', { name: 'to-restore', title: 'ชุดข้อมูลที่จะกู้คืน' }));
    await sys(env, 'package_delete', { id: d.id });
    const dash = await editor.get('/dashboard');
    assert.match(textNear(dash.body, 'ชุดข้อมูลที่จะกู้คืน', 400), /ถูกลบ/);
    const page = await editor.get('/dataset/to-restore');
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /badge-deleted/);
    assert.match(page.body, /action="\/dataset\/restore\/to-restore"/);
    // Not for visitors (404), and the API refuses those without the right.
    assert.equal((await new PageClient(env.app).get('/dataset/to-restore')).statusCode, 404);
    assert.equal((await api(env, 'package_restore', { id: 'to-restore' }, { token: outsiderToken })).status, 404);
    const res = await editor.post('/dataset/restore/to-restore', {});
    assert.equal(res.statusCode, 303);
    const after = await sys(env, 'package_show', { id: d.id });
    assert.equal(after.state, 'active');
    const search = await sys(env, 'package_search', { q: 'name:to-restore' });
    assert.equal(search.count, 1, 'back in search');
    const audit = await env.services.store.db.selectFrom('audit_log').select('action').where('object_id', '=', d.id).orderBy('seq').execute();
    assert.deepEqual(audit.map((a) => a.action), ['package_create', 'package_delete', 'package_restore']);
    const history = await sys(env, 'package_activity_list', { id: d.id });
    assert.equal(history.length, 3);
    // Restoring what is not deleted is a field error, not a write.
    assert.equal((await api(env, 'package_restore', { id: d.id }, { token: editorToken })).status, 409);
    // A deleted draft comes back as a draft.
    const draft = await sys(env, 'package_create', { ...datasetInput('mots', { name: 'draft-restore' }), state: 'draft' });
    await sys(env, 'package_delete', { id: draft.id });
    const back = await api(env, 'package_restore', { id: draft.id }, { token: editorToken });
    assert.equal(back.status, 200);
    assert.equal(back.json.result.state, 'draft');
  });

  it('"add dataset" is on the dataset list and the home page for editors, and the organisation chosen survives the data-type step', async () => {
    assert.match((await editor.get('/dataset')).body, /class="add-dataset"><a class="button" href="\/dataset\/new"/);
    assert.match((await editor.get('/')).body, /class="add-dataset"/);
    assert.doesNotMatch((await new PageClient(env.app).get('/dataset')).body, /class="add-dataset"/);
    const step = await editor.get('/dataset/new?owner_org=mots');
    assert.match(step.body.slice(step.body.indexOf('class="type-chooser"'), step.body.indexOf('class="type-chooser"') + 300), /name="owner_org" value="mots"/);
    const typed = await editor.get('/dataset/new?owner_org=mots&data_type=ข้อมูลสถิติ');
    assert.match(typed.body, /<option value="mots" selected>/);
  });

  it('a fresh sysadmin with no organisation is told to create one first, with the link', async () => {
    const fresh = await testEnv({}, { web: true });
    try {
      await makeUser(fresh, 'admin0', { sysadmin: true });
      const c = new PageClient(fresh.app);
      await c.signInWith2fa('admin0', PASSWORD, new Map());
      const res = await c.get('/dataset/new');
      assert.match(res.body, /ต้องสร้างหน่วยงานก่อน/);
      assert.match(res.body, /href="\/ckan-admin\/organization\/new"/);
      assert.doesNotMatch(res.body, /โปรดติดต่อผู้ดูแลหน่วยงาน/);
      assert.match((await c.get('/dashboard')).body, /href="\/ckan-admin\/organization\/new"/);
    } finally {
      await fresh.close();
    }
  });
});
