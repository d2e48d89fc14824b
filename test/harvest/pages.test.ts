import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { testEnv, sys, makeOrg, makeUser, type TestEnv } from '../helpers.ts';
import { PageClient } from '../web/client.ts';

const PASSWORD = 'correct horse battery';

/** The harvest pages: organisation admins see their sources and runs and start one; others are refused. */
describe('harvest pages', () => {
  let env: TestEnv;
  const secrets = new Map<string, string>();
  before(async () => {
    env = await testEnv({}, { web: true });
    await makeOrg(env, 'nso', 'สำนักงานสถิติแห่งชาติ');
    await makeOrg(env, 'other', 'หน่วยงานอื่น');
    await makeUser(env, 'nso-admin', { org: 'nso', role: 'admin' });
    await makeUser(env, 'other-admin', { org: 'other', role: 'admin' });
    await makeUser(env, 'editor1', { org: 'nso', role: 'editor' });
    await sys(env, 'harvest_source_create', { name: 'agency-a', title: 'บัญชีข้อมูลกรม ก', url: 'http://127.0.0.1:9/', source_type: 'ckan', owner_org: 'nso' });
  });
  after(async () => env.close());

  it('an organisation admin sees the source, its runs and starts one', async () => {
    const admin = new PageClient(env.app);
    await admin.signInWith2fa('nso-admin', PASSWORD, secrets);
    const list = await admin.get('/harvest');
    assert.equal(list.statusCode, 200);
    assert.match(list.body, /บัญชีข้อมูลกรม ก/);
    const page = await admin.get('/harvest/agency-a');
    assert.equal(page.statusCode, 200);
    const run = await admin.post('/harvest/agency-a/run', {});
    assert.equal(run.statusCode, 303, run.body.slice(0, 300));
    const after = await admin.get('/harvest/agency-a');
    assert.match(after.body, /รอเริ่ม/);
    assert.match(after.body, /<progress/);
    assert.ok(!after.body.includes('เริ่มเก็บเกี่ยว</button>'), 'no second start while a run is open');
  });

  it('an admin of another organisation, an editor and a visitor are refused', async () => {
    const other = new PageClient(env.app);
    await other.signInWith2fa('other-admin', PASSWORD, secrets);
    assert.doesNotMatch((await other.get('/harvest')).body, /บัญชีข้อมูลกรม ก/);
    assert.equal((await other.get('/harvest/agency-a')).statusCode, 404);
    const editor = new PageClient(env.app);
    await editor.signIn('editor1', PASSWORD);
    assert.equal((await editor.get('/harvest')).statusCode, 403);
    assert.equal((await new PageClient(env.app).get('/harvest')).statusCode, 403);
  });
});
