import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { actorFor, api, datasetInput, makeOrg, makeUser, STORE_KIND, sys, testEnv, type TestEnv } from '../helpers.ts';
import { HIDDEN_CLASHES_PER_WINDOW, resetProbeBudgets } from '../../src/access/probe-budget.ts';
import { sourceKey } from '../../src/registry/identity.ts';
import { decodeUriComponentSafe } from '../../src/util/uri.ts';
import { userId } from '../../src/access/actor.ts';

const SECRET = { private: true, data_category: 'ข้อมูลส่วนบุคคล', data_classification: 'ลับ' };
const SOURCE = 'https://source.example.go.th';

/**
 * package_reference_create as an attacker uses it: the "referenced already" answer may name only an
 * entry the caller may see (others get a neutral, rationed answer, as a name clash does), and a
 * malformed address is a field error, never a 500. No source catalog is needed: both are decided
 * before anything is fetched.
 */
describe(`[${STORE_KIND}] area references: hidden entries and malformed addresses`, () => {
  let env: TestEnv;
  let editor = '';
  let editorId = '';

  before(async () => {
    env = await testEnv({ siteKind: 'area' });
    await makeOrg(env, 'chiangmai', 'จังหวัดเชียงใหม่');
    await makeOrg(env, 'secret-unit', 'หน่วยงานลับ');
    ({ token: editor } = await makeUser(env, 'cm-editor-p', { org: 'chiangmai', role: 'editor' }));
    editorId = userId(await actorFor(env, 'cm-editor-p'))!;
    await sys(env, 'package_create', datasetInput('secret-unit', { name: 'top-secret-name', ...SECRET, reference_url_catalog: `${SOURCE}/dataset/hidden` }));
    await sys(env, 'package_create', datasetInput('chiangmai', { name: 'cm-own-copy', reference_url_catalog: `${SOURCE}/dataset/shown` }));
  });
  after(async () => {
    await env?.close();
  });

  const reference = (url: string) => api(env, 'package_reference_create', { owner_org: 'chiangmai', url }, { token: editor, lang: 'en' });
  const answersCounted = async () => Number((await env.services.store.db.selectFrom('probe_answers').select((eb) => eb.fn.sum<string>('n').as('n')).where('caller', '=', `u:${editorId}`).executeTakeFirst())?.n ?? 0);

  test('a reference held by an entry the caller may not see is answered without its name, and counted against the probe budget', async () => {
    await resetProbeBudgets(env.services.store.db);
    const hidden = await reference(`${SOURCE}/dataset/hidden`);
    assert.equal(hidden.status, 409);
    assert.deepEqual(Object.keys(hidden.json.error).sort(), ['__type', 'url']);
    assert.doesNotMatch(JSON.stringify(hidden.json), /top-secret-name/);
    assert.match(hidden.json.error.url[0], /referenced in this catalog already/);
    assert.equal(await answersCounted(), 1, 'one rationed answer');
    // An entry the caller may see is still named, and costs nothing.
    const shown = await reference(`${SOURCE}/dataset/shown/`);
    assert.equal(shown.status, 409);
    assert.match(shown.json.error.url[0], /referenced already as cm-own-copy/);
    assert.equal(await answersCounted(), 1);
  });

  test('once the budget is spent every reference is refused with the same answer, hidden or not', async () => {
    await resetProbeBudgets(env.services.store.db);
    await env.services.store.db.insertInto('probe_answers').values({ caller: `u:${editorId}`, at: new Date(), n: HIDDEN_CLASHES_PER_WINDOW }).execute();
    const a = await reference(`${SOURCE}/dataset/hidden`);
    const b = await reference(`${SOURCE}/dataset/never-referenced`);
    assert.equal(a.status, 409);
    assert.deepEqual(a.json.error, b.json.error);
    assert.doesNotMatch(JSON.stringify(a.json), /top-secret-name/);
    await resetProbeBudgets(env.services.store.db);
  });

  test('a malformed percent-escape in the address is a field error on url, not a 500', async () => {
    for (const url of [`${SOURCE}/dataset/%E0%A4%A`, `${SOURCE}/dataset/%ZZ`, `${SOURCE}/dataset/%`]) {
      const r = await reference(url);
      assert.equal(r.status, 409, url);
      assert.deepEqual(Object.keys(r.json.error).sort(), ['__type', 'url'], url);
    }
  });

  test('an IPv6 spelling of a loopback or metadata address is refused before any request (SSRF)', async () => {
    for (const url of ['http://[::ffff:127.0.0.1]:9/dataset/x', 'http://[::ffff:a9fe:a9fe]/dataset/x', 'http://[64:ff9b::7f00:1]:9/dataset/x']) {
      const r = await reference(url);
      assert.equal(r.status, 409, url);
      assert.match(r.json.error.url[0], /private or loopback/, url);
    }
  });

  test('addresses from other catalogs with malformed escapes still give a source key (no URIError)', () => {
    assert.equal(decodeUriComponentSafe('%E0%B8%81'), 'ก');
    assert.equal(decodeUriComponentSafe('%E0%A4%A'), undefined);
    const key = sourceKey({ url: `${SOURCE}/`, source_type: 'ckan' }, { name: 'x', reference_url_catalog: `${SOURCE}/dataset/%E0%A4%A` }, 'g');
    assert.equal(key, 'source.example.go.th/dataset/%E0%A4%A');
  });
});
