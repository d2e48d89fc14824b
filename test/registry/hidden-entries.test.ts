import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { testEnv, sys, makeOrg, makeUser, datasetInput, api, type TestEnv } from '../helpers.ts';
import { runHarvest } from '../../src/harvest/run.ts';

/**
 * A registration another agency owns is answered exactly as one that does not exist: a caller who
 * sends its id to registration_transition learns neither its name nor that it exists.
 */
let a: TestEnv;
let reg: TestEnv;

before(async () => {
  a = await testEnv();
  await makeOrg(a, 'dopa', 'กรมการปกครอง');
  await sys(a, 'package_create', datasetInput('dopa', { name: 'secret-looking-name' }));
  const aUrl = await a.app.listen({ port: 0, host: '127.0.0.1' });
  reg = await testEnv({ siteKind: 'registry' });
  await makeOrg(reg, 'agency-a');
  await makeOrg(reg, 'agency-b');
  for (const [user, org] of [['officer-a', 'agency-a'], ['officer-b', 'agency-b']] as const) {
    await makeUser(reg, user);
    await sys(reg, 'duty_create', { id: org, username: user, role: 'registration_officer' });
  }
  await sys(reg, 'harvest_source_create', { name: 'dopa-catalog', url: aUrl, source_type: 'ckan', owner_org: 'agency-a' });
  await runHarvest(reg.services, 'dopa-catalog');
});
after(async () => {
  await reg.close();
  await a.close();
});

test("another agency's registration id is reported as not found, named as given, in the order given", async () => {
  const { token } = await makeUser(reg, 'outsider-b');
  await sys(reg, 'duty_create', { id: 'agency-b', username: 'outsider-b', role: 'registration_officer' });
  const [hidden] = (await sys(reg, 'registration_list', {})).results;
  const absent = crypto.randomUUID();
  const ask = (ids: string[]) => api(reg, 'registration_transition', { ids, transition: 'register' }, { token });
  const one = await ask([hidden.id]);
  assert.equal(one.status, 409);
  assert.ok(!JSON.stringify(one.json).includes('secret-looking-name'), JSON.stringify(one.json));
  const none = await ask([absent]);
  assert.equal(JSON.stringify(one.json.error).replace(hidden.id, 'X'), JSON.stringify(none.json.error).replace(absent, 'X'));
  // Two at once: the same message whichever of them is the hidden one.
  const mixed = await ask([hidden.id, absent]);
  assert.match(mixed.json.error.ids[0], new RegExp(`${hidden.id}, ${absent}`));
  assert.equal((await sys(reg, 'registration_show', { id: hidden.id })).state, 'WAIT');
});

test('an entry named twice in one bulk step (id and number) takes the step once', async () => {
  const { token } = await makeUser(reg, 'officer-a2');
  await sys(reg, 'duty_create', { id: 'agency-a', username: 'officer-a2', role: 'registration_officer' });
  const [entry] = (await sys(reg, 'registration_list', {})).results;
  const r = await api(reg, 'registration_transition', { ids: [entry.id, entry.number], transition: 'register' }, { token });
  assert.equal(r.status, 200, JSON.stringify(r.json));
  assert.deepEqual(r.json.result.map((x: { state: string }) => x.state), ['VALIDATE']);
});
