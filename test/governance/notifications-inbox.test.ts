import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { api, as, testEnv, STORE_KIND, type TestEnv } from '../helpers.ts';
import { startWorkers } from '../../src/jobs/worker.ts';
import { workflows } from '../../src/actions/governance/cases-engine.ts';
import { governanceWorld, requestForm, step, type Gov } from './cases-fixture.ts';

function decodeWords(h: string): string {
  return h.replace(/\?=\s+=\?/g, '?==?').replace(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g, (_, cs: string, enc: string, text: string) =>
    new TextDecoder(cs).decode(enc.toUpperCase() === 'B' ? Buffer.from(text, 'base64') : Buffer.from(text.replace(/_/g, ' ').replace(/=([0-9A-Fa-f]{2})/g, (_m, x: string) => String.fromCharCode(parseInt(x, 16))), 'latin1')));
}
function header(raw: string, name: string): string {
  const head = raw.split(/\r?\n\r?\n/)[0]!.replace(/\r?\n[ \t]+/g, ' ');
  const line = head.split(/\r?\n/).find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));
  return line ? line.slice(name.length + 1).trim() : '';
}

/** Case steps tell people: an inbox row each (marked read only by its owner) and Thai mail to a real SMTP server on loopback. */
describe(`[${STORE_KIND}] case notifications`, () => {
  let env: TestEnv;
  let g: Gov;
  let server: SMTPServer;
  const received: { to: string[]; raw: string }[] = [];
  before(async () => {
    server = new SMTPServer({
      authOptional: true, hideSTARTTLS: true, logger: false,
      onData(stream, session, cb) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          received.push({ to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks).toString('utf8') });
          cb();
        });
      },
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    env = await testEnv({ smtpUrl: `smtp://127.0.0.1:${(server.server.address() as AddressInfo).port}`, mailFrom: 'ธรรมาภิบาลข้อมูล <noreply@moi.example.go.th>' });
    g = await governanceWorld(env);
  });
  after(async () => {
    await env.close();
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('filing a request tells IT (waiting for you) in the inbox and by Thai mail; the actor is not told about their own step', async () => {
    const c = await as(env, g.actors.requester!, 'case_create', { process: 'information_request', organization: 'dopa', inputs: requestForm() });
    const it = await as(env, g.actors.it!, 'notification_list', {});
    assert.equal(it.unread, 1);
    assert.equal(it.results[0].kind, 'case_waiting');
    assert.match(it.results[0].title, new RegExp(`\\[${c.number}\\] รอการดำเนินการของท่าน`));
    assert.equal((await as(env, g.actors.requester!, 'notification_list', {})).unread, 0);
    const workers = startWorkers(env.services, 100);
    try {
      const end = Date.now() + 20_000;
      while (!received.some((m) => m.to.includes('it@example.go.th')) && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
    } finally {
      await workers.stop();
    }
    const mail = received.find((m) => m.to.includes('it@example.go.th'));
    assert.ok(mail, 'mail arrived');
    // The Thai subject arrives intact (encoded words decoded back to the exact text).
    assert.equal(decodeWords(header(mail.raw, 'Subject')), `[${c.number}] รอการดำเนินการของท่าน: ${workflows().get('information_request').def.label.th}`);
  });

  it('mark read: one, a list, all; never someone else\'s; bad ids are field errors', async () => {
    const c = await as(env, g.actors.requester!, 'case_create', { process: 'information_request', organization: 'dopa', inputs: requestForm() });
    await step(env, g.actors.it!, c.id, 'reject', { reason: 'ขาดเอกสาร' });
    const mine = await as(env, g.actors.requester!, 'notification_list', { unread_only: true });
    assert.ok(mine.unread >= 1);
    const id = mine.results[0].id;
    // The IT officer cannot mark the requester's notification read.
    assert.equal((await as(env, g.actors.it!, 'notification_mark_read', { id })).updated, 0);
    assert.equal((await as(env, g.actors.requester!, 'notification_mark_read', { id })).updated, 1);
    assert.equal((await as(env, g.actors.requester!, 'notification_list', {})).results.find((n: any) => n.id === id).read, true);
    const bad = await api(env, 'notification_mark_read', { id: 'x' }, { token: g.tokens.requester });
    assert.equal(bad.status, 409);
    assert.ok(bad.json.error.id);
    await as(env, g.actors.it!, 'notification_mark_read', { all: true });
    assert.equal((await as(env, g.actors.it!, 'notification_list', {})).unread, 0);
    assert.equal((await api(env, 'notification_list', undefined)).status, 403);
  });

  it('a step that fails writes no notification and queues no mail', async () => {
    const before = await env.services.store.db.selectFrom('notifications').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    const mailBefore = await env.services.store.db.selectFrom('mail_outbox').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    const c = await as(env, g.actors.requester!, 'case_create', { process: 'information_request', organization: 'dopa', inputs: { ...requestForm(), email: 'not-an-address' } }).catch((e) => e);
    assert.ok(c instanceof Error);
    const after = await env.services.store.db.selectFrom('notifications').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    const mailAfter = await env.services.store.db.selectFrom('mail_outbox').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    assert.equal(after.n, before.n);
    assert.equal(mailAfter.n, mailBefore.n);
  });
});
