import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { testEnv, STORE_KIND, type TestEnv } from '../helpers.ts';
import { queueMail, sendQueuedMail, releaseHeldMail, MAIL_QUEUE } from '../../src/mail/outbox.ts';
import { renderTemplate } from '../../src/mail/templates.ts';
import { startWorkers } from '../../src/jobs/worker.ts';
import { loadConfig, ConfigError } from '../../src/config.ts';

/** A real SMTP server on loopback: AUTH required, refuses the first message it is offered. */
interface Received {
  raw: string;
  from: string;
  to: string[];
  user: string;
}
const received: Received[] = [];
let refuseNext = 0;
let server: SMTPServer;
let port = 0;
let env: TestEnv;

before(async () => {
  server = new SMTPServer({
    hideSTARTTLS: true,
    allowInsecureAuth: true,
    authMethods: ['PLAIN', 'LOGIN'],
    onAuth(auth, _session, cb) {
      if (auth.username === 'banchi' && auth.password === 'ความลับ-secret') return cb(null, { user: auth.username });
      cb(new Error('Invalid username or password'));
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        if (refuseNext > 0) {
          refuseNext--;
          const err: Error & { responseCode?: number } = new Error('Mailbox busy, try again later');
          err.responseCode = 451;
          return cb(err);
        }
        received.push({ raw: Buffer.concat(chunks).toString('utf8'), from: String(session.envelope.mailFrom && session.envelope.mailFrom.address), to: session.envelope.rcptTo.map((r) => r.address), user: String(session.user) });
        cb();
      });
    },
    logger: false,
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.server.address() as AddressInfo).port;
  env = await testEnv({
    smtpUrl: `smtp://banchi:${encodeURIComponent('ความลับ-secret')}@127.0.0.1:${port}`,
    mailFrom: 'บัญชีข้อมูล กคช. <noreply@nha.example.go.th>',
  });
});
after(async () => {
  await env.close();
  await new Promise<void>((r) => server.close(() => r()));
});

/** RFC 2047 encoded-words (=?UTF-8?B?…?= and =?UTF-8?Q?…?=), adjacent words joined as the RFC says. */
function decodeWords(header: string): string {
  return header
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g, (_, charset: string, enc: string, text: string) => {
      const bytes = enc.toUpperCase() === 'B'
        ? Buffer.from(text, 'base64')
        : Buffer.from(text.replace(/_/g, ' ').replace(/=([0-9A-Fa-f]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1');
      return new TextDecoder(charset).decode(bytes);
    });
}

function header(raw: string, name: string): string {
  const head = raw.split(/\r?\n\r?\n/)[0]!;
  const unfolded = head.replace(/\r?\n[ \t]+/g, ' ');
  const line = unfolded.split(/\r?\n/).find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));
  return line ? line.slice(name.length + 1).trim() : '';
}

async function until<T>(fn: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}

const vars = { name: 'คุณสมหญิง', number: 'REQ-2569-000123', process: 'คำขอข้อมูลข่าวสาร', state: 'รอ DPO พิจารณา (ข้อมูลส่วนบุคคล)', url: 'https://catalog.example.go.th/case/REQ-2569-000123', site: 'บัญชีข้อมูลหน่วยงาน' };

test(`[${STORE_KIND}] mail goes out after commit through the job queue; a refusal is retried; the Thai subject arrives intact`, async () => {
  const db = env.services.store.db;
  refuseNext = 1;
  const id = await db.transaction().execute((tx) => queueMail(tx, { to: 'somying@dopa.example.go.th', template: 'case_waiting', lang: 'th', vars }));
  const job = await db.selectFrom('jobs').selectAll().where('queue', '=', MAIL_QUEUE).executeTakeFirstOrThrow();
  assert.equal((job.payload as any).outbox_id, id);

  const workers = startWorkers(env.services, 100);
  try {
    const sent = await until(async () => {
      const r = await db.selectFrom('mail_outbox').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
      return r.state === 'sent' ? r : undefined;
    });
    assert.equal(sent.attempts, 2, 'refused once, then delivered');
    assert.ok(sent.message_id);
  } finally {
    await workers.stop();
  }
  const j = await db.selectFrom('jobs').selectAll().where('id', '=', job.id).executeTakeFirstOrThrow();
  assert.equal(j.state, 'done');
  assert.match(String(j.last_error), /451|busy/i, 'the refusal was recorded on the job');
  assert.equal(received.length, 1);
  const msg = received[0]!;
  assert.equal(msg.user, 'banchi', 'authenticated with the URL credentials');
  assert.deepEqual(msg.to, ['somying@dopa.example.go.th']);
  assert.equal(msg.from, 'noreply@nha.example.go.th');
  const subject = header(msg.raw, 'Subject');
  assert.match(subject, /=\?UTF-8\?[BQ]\?/i, 'non-ASCII subject sent as encoded-words');
  assert.equal(decodeWords(subject), '[REQ-2569-000123] รอการดำเนินการของท่าน: คำขอข้อมูลข่าวสาร');
  assert.equal(decodeWords(header(msg.raw, 'From')), 'บัญชีข้อมูล กคช. <noreply@nha.example.go.th>');
  const body = msg.raw.split(/\r?\n\r?\n/).slice(1).join('\n\n');
  const encoding = header(msg.raw, 'Content-Transfer-Encoding').toLowerCase();
  const text = encoding === 'base64' ? Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8')
    : encoding === 'quoted-printable' ? Buffer.from(body.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_m, h) => String.fromCharCode(parseInt(h, 16))), 'latin1').toString('utf8')
    : body;
  assert.ok(text.includes('รอ DPO พิจารณา (ข้อมูลส่วนบุคคล)'), text);
});

test(`[${STORE_KIND}] a rolled-back writer sends nothing; a bad address or template never fails the writer`, async () => {
  const db = env.services.store.db;
  const before = await db.selectFrom('mail_outbox').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  await assert.rejects(
    db.transaction().execute(async (tx) => {
      await queueMail(tx, { to: 'a@example.go.th', template: 'case_update', vars });
      throw new Error('the writer failed');
    }),
    /the writer failed/,
  );
  const after = await db.selectFrom('mail_outbox').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  assert.equal(Number(after.n), Number(before.n));
  const [bad, unknown] = await db.transaction().execute(async (tx) => [
    await queueMail(tx, { to: 'not an address\r\nBcc: x@evil.example', template: 'case_update', vars }),
    await queueMail(tx, { to: 'a@example.go.th', template: 'no_such_template', vars }),
  ]);
  for (const id of [bad, unknown]) {
    const r = await db.selectFrom('mail_outbox').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    assert.equal(r.state, 'invalid');
    assert.ok(r.last_error);
    const jobs = await db.selectFrom('jobs').select('id').where('queue', '=', MAIL_QUEUE).where(({ eb, ref }) => eb(ref('payload'), '@>', JSON.stringify({ outbox_id: id }) as never)).execute();
    assert.equal(jobs.length, 0);
  }
});

test(`[${STORE_KIND}] without SMTP the message is held in the outbox for an administrator, and the job completes`, async () => {
  const db = env.services.store.db;
  const id = await db.transaction().execute((tx) => queueMail(tx, { to: 'cdo@nha.example.go.th', template: 'case_closed', lang: 'en', vars }));
  const warned: string[] = [];
  const onWarn = (w: Error) => warned.push(w.message);
  process.on('warning', onWarn);
  await sendQueuedMail({ ...env.services, config: { ...env.services.config, smtpUrl: '' } }, { outbox_id: id });
  await new Promise((r) => setImmediate(r));
  process.off('warning', onWarn);
  const r = await db.selectFrom('mail_outbox').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  assert.equal(r.state, 'held');
  assert.equal(r.subject, '[REQ-2569-000123] Outcome: รอ DPO พิจารณา (ข้อมูลส่วนบุคคล)');
  assert.ok(warned.some((w) => w.includes('held')));
  // Once SMTP is configured, an administrator releases held mail and it goes out.
  assert.equal(await db.transaction().execute((tx) => releaseHeldMail(tx)), 1);
  const job = await db.selectFrom('jobs').select('payload').where('queue', '=', MAIL_QUEUE).orderBy('created', 'desc').executeTakeFirstOrThrow();
  await sendQueuedMail(env.services, job.payload as Record<string, unknown>);
  const sent = await db.selectFrom('mail_outbox').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  assert.equal(sent.state, 'sent');
  assert.ok(received.some((m) => m.to.includes('cdo@nha.example.go.th')));
});

test('templates: Thai first, English fallback, variables cannot add header lines; settings are checked', () => {
  const t = { only_en: { subject: { en: 'Hello {{name}}' }, body: { en: 'Body' } } };
  assert.equal(renderTemplate('only_en', 'th', { name: 'สมชาย' }, t).subject, 'Hello สมชาย');
  assert.equal(renderTemplate('case_update', 'th', { ...vars, state: 'x\r\nBcc: evil@example.com' }).subject, '[REQ-2569-000123] ความคืบหน้า: x Bcc: evil@example.com');
  assert.throws(() => loadConfig({ BANCHI_SMTP_URL: 'http://mail.example' } as NodeJS.ProcessEnv), ConfigError);
  assert.equal(loadConfig({ BANCHI_SMTP_URL: 'smtps://u:p@mail.example:465' } as NodeJS.ProcessEnv).smtpUrl, 'smtps://u:p@mail.example:465');
});
