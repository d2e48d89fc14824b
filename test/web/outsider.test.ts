import { before, after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { testEnv, makeOrg, makeUser, as, datasetInput, type TestEnv } from '../helpers.ts';
import { PageClient } from './client.ts';

/** Pages as a visitor who may not do what they offer: a form is only shown to someone its action would accept. */
describe('portal forms for those who may not use them', () => {
  let env: TestEnv;
  before(async () => {
    env = await testEnv({}, { web: true });
    await makeOrg(env, 'moph', 'MOPH');
    await makeOrg(env, 'other', 'อื่น');
    const ed = await makeUser(env, 'editor1', { org: 'moph', role: 'editor' });
    await makeUser(env, 'outsider', { org: 'other', role: 'editor' });
    await as(env, ed.actor, 'package_create', datasetInput('moph', { name: 'pub', title: 'pub' }));
  });
  after(async () => env.close());

  it('the delete confirmation is refused (403, no form) to visitors and other organisations, shown to the editor', async () => {
    const anon = new PageClient(env.app);
    const outsider = new PageClient(env.app);
    await outsider.signIn('outsider', 'correct horse battery');
    for (const c of [anon, outsider]) {
      const res = await c.get('/dataset/delete/pub');
      assert.equal(res.statusCode, 403);
      assert.doesNotMatch(res.body, /action="\/dataset\/delete\/pub"/);
    }
    const editor = new PageClient(env.app);
    await editor.signIn('editor1', 'correct horse battery');
    const res = await editor.get('/dataset/delete/pub');
    assert.equal(res.statusCode, 200);
    assert.match(res.body, /action="\/dataset\/delete\/pub"/);
  });

  it('governance "new" forms are not offered to visitors who are not signed in', async () => {
    const anon = new PageClient(env.app);
    for (const path of ['/governance/agreements/new', '/governance/linkages/new', '/governance/partners/new']) {
      const res = await anon.get(path);
      assert.equal(res.statusCode, 403, path);
      assert.doesNotMatch(res.body, new RegExp(`action="${path}"`), path);
    }
  });

  it('a flash cookie names only a confirmation of the catalogs: any other value is ignored, never a 500', async () => {
    for (const value of ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'nope.key', 'error.csrf']) {
      const res = await new PageClient(env.app).get('/', { cookie: `banchi_flash=${value}` });
      assert.equal(res.statusCode, 200, value);
      assert.doesNotMatch(res.body, /class="flash"/, value);
    }
    const ok = await new PageClient(env.app).get('/', { cookie: 'banchi_flash=flash.deleted' });
    assert.match(ok.body, /<div class="flash" role="status">[^<]+<\/div>/);
  });

  it('a feed of an organisation, group or tag whose name the actions refuse (NUL, control characters) is a 400, not a 500', async () => {
    for (const kind of ['organization', 'group', 'tag']) for (const bad of ['%00', 'a%01b', '%ED%A0%80']) {
      const res = await new PageClient(env.app).get(`/feeds/${kind}/${bad}.atom`);
      assert.equal(res.statusCode, 400, `${kind} ${bad}`);
    }
    assert.equal((await new PageClient(env.app).get('/feeds/organization/nope.atom')).statusCode, 404);
  });
});
