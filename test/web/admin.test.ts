import { before, after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { testEnv, sys, makeOrg, makeUser, datasetInput, type TestEnv } from '../helpers.ts';
import { PageClient, textNear } from './client.ts';
import { upload } from './seed.ts';

const PASSWORD = 'correct horse battery';

/** Administration pages, API tokens and file previews of images and PDFs, over app.inject. */
describe('portal administration', () => {
  let env: TestEnv;
  const secrets = new Map<string, string>();
  let root: PageClient;
  before(async () => {
    env = await testEnv({}, { web: true });
    await makeOrg(env, 'mof', 'กระทรวงการคลัง');
    await makeUser(env, 'root', { sysadmin: true });
    await makeUser(env, 'somsri');
    await makeUser(env, 'editor1', { org: 'mof', role: 'editor' });
    root = new PageClient(env.app);
    await root.signInWith2fa('root', PASSWORD, secrets);
  });
  after(async () => env.close());

  it('a sysadmin creates an organization below another through the form', async () => {
    await root.get('/ckan-admin/organization/new');
    const bad = await root.post('/ckan-admin/organization/new', { title: 'กรมบัญชีกลาง', name: 'ไม่ใช่ slug', parent: 'mof' });
    assert.equal(bad.statusCode, 400);
    assert.match(textNear(bad.body, 'id="err-name"', 200), /\S/);
    const ok = await root.post('/ckan-admin/organization/new', { title: 'กรมบัญชีกลาง', name: 'cgd', description: 'ดูแลการเงินการคลังภาครัฐ', parent: 'mof' });
    assert.equal(ok.statusCode, 303, ok.body.slice(0, 500));
    const page = await root.follow();
    assert.match(page.body, /หน่วยงานแม่: <a href="\/organization\/mof">กระทรวงการคลัง<\/a>/);
  });

  it('a sysadmin creates a user who must change the password at first sign-in', async () => {
    await root.get('/ckan-admin/users');
    const res = await root.post('/ckan-admin/users', { name: 'newcomer', fullname: 'ผู้ใช้ใหม่', email: 'newcomer@mof.go.th', password: 'temporary-pass-123' });
    assert.equal(res.statusCode, 303, res.body.slice(0, 500));
    const c = new PageClient(env.app);
    const first = await c.signIn('newcomer', 'temporary-pass-123');
    assert.equal(first.headers.location, '/user/password');
    await c.get('/user/password');
    const mismatch = await c.post('/user/password', { old_password: 'temporary-pass-123', new_password: 'my-own-password-1', confirm: 'something else' });
    assert.equal(mismatch.statusCode, 400);
    const changed = await c.post('/user/password', { old_password: 'temporary-pass-123', new_password: 'my-own-password-1', confirm: 'my-own-password-1' });
    assert.equal(changed.statusCode, 303);
    const dash = await c.get('/dashboard');
    assert.equal(dash.statusCode, 200);
    assert.match(dash.body, /href="\/user\/newcomer"/, 'signed in as the newcomer');
  });

  it('manages members and roles of an organization', async () => {
    const page = await root.get('/organization/members/mof');
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /editor1/);
    const add = await root.post('/organization/members/mof', { username: 'somsri', role: 'member' });
    assert.equal(add.statusCode, 303);
    let members = await root.follow();
    assert.match(members.body, /somsri/);
    await root.post('/organization/members/mof', { username: 'somsri', role: 'editor' });
    const role = await env.services.store.db.selectFrom('memberships as m').innerJoin('users as u', 'u.id', 'm.user_id').select('m.role').where('u.name', '=', 'somsri').executeTakeFirstOrThrow();
    assert.equal(role.role, 'editor');
    await root.get('/organization/members/mof');
    await root.post('/organization/members/mof/delete', { username: 'somsri' });
    members = await root.follow();
    assert.doesNotMatch(members.body, /href="\/user\/somsri"/);
    const unknown = await root.post('/organization/members/mof', { username: 'nobody-here', role: 'editor' });
    assert.equal(unknown.statusCode, 400);
    assert.match(textNear(unknown.body, 'id="err-username"', 200), /ไม่พบผู้ใช้/);
  });

  it('an editor cannot reach administration pages', async () => {
    const c = new PageClient(env.app);
    await c.signIn('editor1', PASSWORD);
    assert.equal((await c.get('/ckan-admin')).statusCode, 403);
    assert.equal((await c.get('/ckan-admin/users')).statusCode, 403);
    assert.equal((await c.get('/organization/members/mof')).statusCode, 403);
    assert.equal((await c.get('/ckan-admin/organization/new')).statusCode, 403);
  });

  it('a signed-in user creates an API token (shown once, works on the API) and revokes it', async () => {
    const c = new PageClient(env.app);
    await c.signIn('editor1', PASSWORD);
    await c.get('/user/editor1/api-tokens');
    const created = await c.post('/user/editor1/api-tokens', { name: 'สคริปต์นำเข้า', expires_in: '30' });
    assert.equal(created.statusCode, 200);
    const token = /id="new-token" type="text" readonly value="([^"]+)"/.exec(created.body)![1]!;
    const api = await env.app.inject({ url: '/api/3/action/organization_list_for_user', headers: { authorization: token } });
    assert.equal(api.json().success, true);
    assert.match(created.body, /สคริปต์นำเข้า/);
    const again = await c.get('/user/editor1/api-tokens');
    assert.doesNotMatch(again.body, new RegExp(token), 'the token is not shown again');
    const jti = /action="\/user\/editor1\/api-tokens\/([0-9a-f-]{36})\/revoke"/.exec(again.body)![1]!;
    assert.equal((await c.post(`/user/editor1/api-tokens/${jti}/revoke`, {})).statusCode, 303);
    const after = await env.app.inject({ url: '/api/3/action/organization_list_for_user', headers: { authorization: token } });
    assert.equal(after.statusCode, 403);
    const other = await c.get('/user/root/api-tokens');
    assert.equal(other.statusCode, 404, 'not another user\'s tokens: a user who is no colleague is not even named');
  });

  it('previews images inline and PDFs in a frame, from a route only our pages may frame', async () => {
    const ds = await sys(env, 'package_create', datasetInput('mof', { name: 'budget-charts', title: 'แผนภูมิงบประมาณ' }));
    const png = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');
    const img = await sys(env, 'resource_create', { package_id: ds.id, name: 'แผนภูมิ', format: 'PNG', upload: await upload(env, 'chart.png', png) });
    const pdf = await sys(env, 'resource_create', { package_id: ds.id, name: 'รายงาน', format: 'PDF', upload: await upload(env, 'report.pdf', '%PDF-1.4\n%%EOF\n') });
    const c = new PageClient(env.app);
    const imgPage = await c.get(`/dataset/budget-charts/resource/${img.id}`);
    assert.match(imgPage.body, new RegExp(`<img src="/dataset/budget-charts/resource/${img.id}/inline" alt="[^"]+แผนภูมิ">`));
    const bytes = await c.get(`/dataset/budget-charts/resource/${img.id}/inline`);
    assert.equal(bytes.statusCode, 200);
    assert.equal(bytes.headers['content-type'], 'image/png');
    assert.match(String(bytes.headers['content-security-policy']), /frame-ancestors 'self'/);
    const pdfPage = await c.get(`/dataset/budget-charts/resource/${pdf.id}`);
    assert.match(pdfPage.body, /<iframe class="preview-pdf" src="[^"]+\/inline" title="[^"]+">/);
    const pdfBytes = await c.get(`/dataset/budget-charts/resource/${pdf.id}/inline`);
    assert.equal(pdfBytes.headers['content-type'], 'application/pdf');
    assert.equal(pdfBytes.headers['x-frame-options'], 'SAMEORIGIN');
  });

  it('a reader who only reads gets no cookie', async () => {
    const res = await env.app.inject({ url: '/dataset/budget-charts' });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['set-cookie'], undefined);
  });
});
