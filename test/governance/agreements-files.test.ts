import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { STORE_KIND } from '../helpers.ts';
import { sweepFiles } from '../../src/files/lifecycle.ts';
import { fixture, agreementInput, type Fixture } from './agreements-fixture.ts';

let f: Fixture;
before(async () => { f = await fixture(); });
after(() => f.env.close());

/** The consent letter is a stored file that no resource row refers to: the file sweep must still keep it. */
test(`[${STORE_KIND}] the file sweep keeps an agreement's consent letter`, async () => {
  const body = agreementInput(f);
  const boundary = 'AGR';
  const parts: string[] = [];
  for (const [k, v] of Object.entries(body)) parts.push(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${typeof v === 'string' ? v : JSON.stringify(v)}\r\n`);
  parts.push(`--${boundary}\r\nContent-Disposition: form-data; name="upload"; filename="consent.pdf"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.4 consent\r\n--${boundary}--\r\n`);
  const res = await f.env.app.inject({ method: 'POST', url: '/api/3/action/agreement_create', headers: { authorization: f.tokens.owner!, 'content-type': `multipart/form-data; boundary=${boundary}` }, payload: parts.join('') });
  assert.equal(res.statusCode, 200, res.body);
  const a = res.json().result;
  assert.equal(a.legal_file.filename, 'consent.pdf');
  assert.equal(a.legal_file.size, 16);
  assert.ok(!JSON.stringify(a).includes('legal_file_key'), 'no storage key in the answer');
  const row = await f.env.services.store.db.selectFrom('agreements').select('legal_file_key').where('id', '=', a.id).executeTakeFirstOrThrow();
  const keys = async () => { const out: string[] = []; for await (const e of f.env.services.files.list()) if (!e.temp) out.push(e.key); return out; };
  assert.ok((await keys()).includes(row.legal_file_key!));
  await sweepFiles(f.env.services, { now: Date.now() + 3 * 3600_000 });
  assert.ok((await keys()).includes(row.legal_file_key!), 'the consent letter survives the sweep');
});
