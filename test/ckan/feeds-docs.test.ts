import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SaxesParser } from 'saxes';
import { api, datasetInput, makeOrg, makeUser, sys, testEnv, type TestEnv } from '../helpers.ts';
import { allActions } from '../../src/actions/registry.ts';

/** Parses XML with a conforming parser: throws on anything not well-formed; returns element names and texts. */
function parseXml(xml: string): { names: string[]; texts: string[]; attrs: Array<Record<string, string>> } {
  const p = new SaxesParser({ xmlns: true });
  const names: string[] = [];
  const texts: string[] = [];
  const attrs: Array<Record<string, string>> = [];
  let error: Error | null = null;
  p.on('error', (e) => {
    error ??= e;
  });
  p.on('opentag', (t) => {
    names.push(t.local);
    attrs.push(Object.fromEntries(Object.values(t.attributes).map((a: any) => [a.local, a.value])));
  });
  p.on('text', (t) => texts.push(t));
  p.write(xml).close();
  if (error) throw error;
  return { names, texts, attrs };
}

describe('feeds, sitemap, robots and the API page', () => {
  let env: TestEnv;
  let token: string;
  before(async () => {
    env = await testEnv({}, { web: true });
    await makeOrg(env, 'nso', 'สำนักงานสถิติแห่งชาติ');
    await sys(env, 'group_create', { name: 'labour', title: 'แรงงาน & สวัสดิการ' });
    ({ token } = await makeUser(env, 'ed', { org: 'nso', role: 'editor' }));
    await api(env, 'package_create', datasetInput('nso', { name: 'open-one', title: 'สถิติ <แรงงาน> & "ค่าจ้าง"', tags: ['แรงงาน', 'a&b'], groups: [{ name: 'labour' }] }), { token });
    await api(env, 'package_create', datasetInput('nso', { name: 'internal-one', title: 'ข้อมูลภายใน ลับเฉพาะ', data_category: 'ข้อมูลใช้ภายใน', data_classification: 'ชั้นเผยแพร่ภายในองค์กร', private: true, tags: ['แรงงาน'], groups: [{ name: 'labour' }] }), { token });
    await api(env, 'package_create', datasetInput('nso', { name: 'draft-one', title: 'ฉบับร่าง', state: 'draft', tags: ['แรงงาน'] }), { token });
  });
  after(() => env.close());

  const cookieFor = async () => {
    // A signed-in editor asking for a feed still gets the anonymous view.
    return { authorization: token };
  };

  for (const path of ['/feeds/dataset.atom', '/feeds/organization/nso.atom', '/feeds/group/labour.atom', `/feeds/tag/${encodeURIComponent('แรงงาน')}.atom`]) {
    test(`${path}: well-formed Atom of what anonymous visitors may see`, async () => {
      const res = await env.app.inject({ url: path, headers: await cookieFor() });
      assert.equal(res.statusCode, 200, res.body);
      assert.match(String(res.headers['content-type']), /^application\/atom\+xml/);
      const xml = parseXml(res.body);
      assert.equal(xml.names[0], 'feed');
      assert.equal(xml.names.filter((n) => n === 'entry').length, 1, res.body);
      assert.ok(res.body.includes('/dataset/open-one'));
      assert.ok(!res.body.includes('internal-one') && !res.body.includes('draft-one'));
      assert.ok(xml.texts.includes('สถิติ <แรงงาน> & "ค่าจ้าง"'), 'titles are escaped, not lost');
    });
  }

  test('unknown organisation, group: 404', async () => {
    assert.equal((await env.app.inject({ url: '/feeds/organization/nope.atom' })).statusCode, 404);
    assert.equal((await env.app.inject({ url: '/feeds/group/nope.atom' })).statusCode, 404);
    const empty = await env.app.inject({ url: '/feeds/tag/nothing-here.atom' });
    assert.equal(empty.statusCode, 200);
    assert.deepEqual(parseXml(empty.body).names.filter((n) => n === 'entry'), []);
  });

  test('sitemap.xml lists public pages only; robots.txt points to it', async () => {
    const res = await env.app.inject({ url: '/sitemap.xml', headers: await cookieFor() });
    assert.equal(res.statusCode, 200);
    const xml = parseXml(res.body);
    assert.equal(xml.names[0], 'urlset');
    const locs = xml.texts.filter((t) => t.startsWith('http'));
    assert.ok(locs.includes('http://127.0.0.1:5000/dataset/open-one'));
    assert.ok(locs.includes('http://127.0.0.1:5000/organization/nso'));
    assert.ok(locs.includes('http://127.0.0.1:5000/group/labour'));
    assert.ok(!locs.some((l) => /internal-one|draft-one/.test(l)));
    const robots = await env.app.inject({ url: '/robots.txt' });
    assert.equal(robots.statusCode, 200);
    assert.match(robots.body, /^Sitemap: http:\/\/127\.0\.0\.1:5000\/sitemap\.xml$/m);
    assert.match(robots.body, /^Disallow: \/api\/$/m);
  });

  test('/api/3: JSON for clients, the grouped action list for browsers', async () => {
    for (const accept of [undefined, 'application/json', '*/*', 'application/json, text/html']) {
      const r = await env.app.inject({ url: '/api/3', headers: accept ? { accept } : {} });
      assert.deepEqual(r.json(), { version: 3 }, String(accept));
    }
    const page = await env.app.inject({ url: '/api/3', headers: { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' } });
    assert.equal(page.statusCode, 200);
    assert.match(String(page.headers['content-type']), /^text\/html/);
    assert.ok(page.headers['content-security-policy']);
    for (const def of allActions()) assert.ok(page.body.includes(`id="${def.name}"`), def.name);
    assert.ok(page.body.includes('id="datasets"') && page.body.includes('id="resources"') && page.body.includes('id="activity"'));
    // Parameters come from the same definitions as help_show.
    const help = (await api(env, 'help_show', undefined, { query: { name: 'resource_search' } })).json.result;
    assert.match(help, /field:term/);
    assert.ok(page.body.includes('field:term'));
    assert.match(page.body.replaceAll('&#39;', "'").replaceAll('&#x27;', "'"), /curl -s -G http:\/\/127\.0\.0\.1:5000\/api\/3\/action\/package_show --data-urlencode 'id=my-dataset'/, 'a runnable example');
    const home = await env.app.inject({ url: '/' });
    assert.ok(home.body.includes('href="/api/3"'), 'the footer links to it');
  });
});
