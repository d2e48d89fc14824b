import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { testEnv, sys, as, makeOrg, makeUser, actorFor, datasetInput, type TestEnv } from '../helpers.ts';
import { PageClient } from '../web/client.ts';
import { runHarvest } from '../../src/harvest/run.ts';

const PASSWORD = 'correct horse battery';

/**
 * An agency banchi and a registry banchi on loopback, through their pages and the agency's
 * registry client: pull, register, the state on the dataset page, the delete refusal, revoke.
 */
describe('an agency catalog registering with a registry over HTTP', () => {
  let reg: TestEnv;
  let ag: TestEnv;
  let regUrl = '';
  let agUrl = '';
  const secrets = new Map<string, string>();

  before(async () => {
    reg = await testEnv({ siteKind: 'registry' }, { web: true });
    regUrl = await reg.app.listen({ port: 0, host: '127.0.0.1' });
    reg.config.siteUrl = regUrl;
    await makeOrg(reg, 'nso', 'สำนักงานสถิติแห่งชาติ');
    await makeOrg(reg, 'dopa-catalog', 'กรมการปกครอง');
    const { token } = await makeUser(reg, 'dopa-officer');
    await sys(reg, 'duty_create', { id: 'dopa-catalog', username: 'dopa-officer', role: 'registration_officer' });
    for (const [u, role] of [['reviewer', 'catalog_reviewer'], ['registrar', 'registrar']]) {
      await makeUser(reg, u);
      await sys(reg, 'duty_create', { id: 'nso', username: u, role });
    }
    // The registry's own steps (review, approval) show on the agency's page at once only without the
    // page's short memory of the state (test/registry/shown-state.test.ts covers that memory).
    ag = await testEnv({ registryUrl: regUrl, registryToken: token, registryStateTtlSeconds: 0 }, { web: true });
    agUrl = await ag.app.listen({ port: 0, host: '127.0.0.1' });
    ag.config.siteUrl = agUrl;
    await makeOrg(ag, 'dopa', 'กรมการปกครอง');
    await makeOrg(ag, 'registry-unit', 'กลุ่มงานทะเบียน', 'dopa');
    await makeUser(ag, 'officer', { org: 'dopa', role: 'editor' });
    await sys(ag, 'duty_create', { id: 'dopa', username: 'officer', role: 'registration_officer' });
    await sys(ag, 'package_create', datasetInput('registry-unit', { name: 'population', title: 'จำนวนประชากร รายจังหวัด', tags: ['ประชากร'] }));
    await sys(ag, 'package_create', datasetInput('dopa', { name: 'internal', data_category: 'ข้อมูลใช้ภายใน', data_classification: 'ชั้นเผยแพร่ภายในองค์กร' }));
    await makeUser(reg, 'dopa-admin', { org: 'dopa-catalog', role: 'admin' });
  });
  after(async () => {
    await ag.close();
    await reg.close();
  });

  const regStep = async (user: string, transition: string) => {
    const list = await as(reg, await actorFor(reg, user), 'registration_list', { queue: 'review' });
    return as(reg, await actorFor(reg, user), 'registration_transition', { ids: list.results.map((r: any) => r.id), transition });
  };

  test('the agency catalog is registered on the registry from its page', async () => {
    const admin = new PageClient(reg.app);
    await admin.signInWith2fa('dopa-admin', PASSWORD, secrets);
    const created = await admin.post('/registry/catalogs', { name: 'dopa', title: 'บัญชีข้อมูลกรมการปกครอง', url: agUrl, source_type: 'ckan', frequency: 'DAILY', owner_org: 'dopa-catalog', catalog_kind: 'data_center' });
    assert.equal(created.statusCode, 303, created.body.slice(0, 500));
    assert.match((await admin.get('/registry/catalogs')).body, /บัญชีข้อมูลกรมการปกครอง/);
    assert.match((await admin.get('/registry/catalogs')).body, /บัญชีข้อมูลกรมการปกครอง<\/a><\/td><td>[^<]*<\/td><td>[^<]*<\/td><td>บัญชีข้อมูลของศูนย์ข้อมูล</, 'the catalog kind chosen in the form');
  });

  test('the officer pulls, filters, ticks and registers from the agency page; the dataset page shows the state; delete is refused until revoked', async () => {
    const officer = new PageClient(ag.app);
    await officer.signIn('officer', PASSWORD);
    let pageRes = await officer.get('/registry/agency');
    assert.equal(pageRes.statusCode, 200, pageRes.body.slice(0, 500));
    assert.match(pageRes.body, /จำนวนประชากร รายจังหวัด/);
    assert.match(pageRes.body, /ยังไม่ได้ลงทะเบียน/);
    assert.match(pageRes.body, /กลุ่มงานทะเบียน/);
    // "ดึงชุดข้อมูล": the registry starts a harvest of this catalog.
    const pull = await officer.post('/registry/agency', { op: 'pull' });
    assert.equal(pull.statusCode, 303, pull.body.slice(0, 500));
    await runHarvest(reg.services, 'dopa');
    pageRes = await officer.get('/registry/agency?status=WAIT');
    assert.match(pageRes.body, /พร้อมลงทะเบียน/);
    assert.doesNotMatch((await officer.get('/registry/agency?access=PRIVATE')).body, /จำนวนประชากร/);
    assert.match((await officer.get('/registry/agency?access=PUBLIC&tags=' + encodeURIComponent('ประชากร'))).body, /จำนวนประชากร/);
    const id = (await sys(ag, 'package_show', { id: 'population' })).id;
    const reg1 = await officer.post('/registry/agency', { op: 'register', ids: [id] });
    assert.equal(reg1.statusCode, 303, reg1.body.slice(0, 500));
    assert.match((await officer.get('/registry/agency')).body, /อยู่ระหว่างกระบวนการอนุมัติ/);
    // The dataset page (an editor sees the non-published state).
    assert.match((await officer.get('/dataset/population')).body, /สถานะบัญชีข้อมูลภาครัฐ: <strong>อยู่ระหว่างกระบวนการอนุมัติ/);
    // Delete refused, naming the state.
    const del = await sys(ag, 'package_delete', { id: 'population' }).catch((e) => e);
    assert.equal(del.name, 'ValidationError');
    assert.match(del.errors.state[0].th, /อยู่ระหว่างกระบวนการอนุมัติ/);
    assert.match(del.errors.state[0].en, /VALIDATE/);
    // NSO passes and approves it on the registry's pages.
    const reviewer = new PageClient(reg.app);
    await reviewer.signIn('reviewer', PASSWORD);
    const queue = await reviewer.get('/registry/queue');
    assert.equal(queue.statusCode, 200, queue.body.slice(0, 500));
    assert.match(queue.body, /จำนวนประชากร รายจังหวัด/);
    assert.match(queue.body, /ถูกต้องตามมาตรฐาน/);
    assert.match(queue.body, /คะแนนคุณภาพ/);
    const regId = /name="ids" value="([0-9a-f-]{36})"/.exec(queue.body)![1]!;
    const noReason = await reviewer.post('/registry/queue', { ids: [regId], transition: 'reject', reason: '' });
    assert.equal(noReason.statusCode, 400);
    assert.equal((await reviewer.post('/registry/queue', { ids: [regId], transition: 'approve', reason: '' })).statusCode, 303);
    await regStep('registrar', 'approve');
    // Registered: every visitor of the agency page sees it, with the national link.
    const anon = await new PageClient(ag.app).get('/dataset/population');
    assert.match(anon.body, /ลงทะเบียนแล้ว/);
    assert.ok(anon.body.includes(`${regUrl}/dataset/gdpublish-population`));
    const national = await new PageClient(reg.app).get('/dataset/gdpublish-population');
    assert.equal(national.statusCode, 200);
    assert.match(national.body, /คลิกเพื่อเข้าถึงทรัพยากรข้อมูลต้นทาง/);
    assert.equal((await sys(ag, 'package_delete', { id: 'population' }).catch((e) => e)).name, 'ValidationError');
    // Dashboard with its SVG and table.
    const dash = await reviewer.get('/registry/dashboard');
    assert.equal(dash.statusCode, 200);
    assert.match(dash.body, /<svg/);
    assert.match(dash.body, /<th scope="row">กรมการปกครอง<\/th>(<td>0<\/td>){5}<td>1<\/td>/);
    // Revoke from the agency page; once DELETED the dataset may be deleted.
    assert.equal((await officer.post('/registry/agency', { op: 'revoke', ids: [id] })).statusCode, 303);
    assert.match((await officer.get('/registry/agency')).body, /อยู่ระหว่างกระบวนการเพิกถอน/);
    await regStep('reviewer', 'approve');
    await regStep('registrar', 'approve');
    assert.match((await officer.get('/registry/agency')).body, /เพิกถอนแล้ว/);
    assert.equal(await sys(ag, 'package_delete', { id: 'population' }), null);
  });

  test('others are refused: a visitor and a non-officer on the agency page, an officer of another agency on the registry', async () => {
    assert.equal((await new PageClient(ag.app).get('/registry/agency')).statusCode, 403);
    await makeUser(ag, 'plain', { org: 'dopa', role: 'editor' });
    const plain = new PageClient(ag.app);
    await plain.signIn('plain', PASSWORD);
    assert.equal((await plain.get('/registry/agency')).statusCode, 403);
    assert.equal((await new PageClient(reg.app).get('/registry/queue')).statusCode, 403);
  });
});
