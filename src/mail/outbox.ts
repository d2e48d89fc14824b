import crypto from 'node:crypto';
import nodemailer, { type Transporter } from 'nodemailer';
import type { Lang } from '../actions/errors.ts';
import type { Services } from '../actions/context.ts';
import type { Db, Tx } from '../store/db.ts';
import { enqueue } from '../jobs/queue.ts';
import { renderTemplate, UnknownTemplateError } from './templates.ts';

/**
 * Mail leaves only after the writer's transaction commits: `queueMail` writes an outbox row and a
 * durable job in the caller's transaction, and the job worker sends it (retries with back-off are the
 * queue's). Nothing here throws into the writer: a bad address or template is recorded as `invalid`,
 * and without BANCHI_SMTP_URL the message is kept as `held` for an administrator to read.
 */
export const MAIL_QUEUE = 'mail';
const MAX_ATTEMPTS = 8;

export interface MailRequest {
  to: string;
  template: string;
  lang?: Lang;
  vars?: Record<string, string | number | null | undefined>;
}

const ADDRESS = /^[^\s@<>()",;:\\]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$/;

export async function queueMail(tx: Tx, req: MailRequest): Promise<string> {
  const id = crypto.randomUUID();
  const lang: Lang = req.lang === 'en' ? 'en' : 'th';
  let subject = '';
  let body = '';
  let problem: string | null = null;
  try {
    ({ subject, body } = renderTemplate(req.template, lang, req.vars ?? {}));
  } catch (e) {
    if (!(e instanceof UnknownTemplateError)) throw e;
    problem = e.message;
  }
  const to = String(req.to ?? '').trim();
  if (!ADDRESS.test(to) || to.length > 254) problem ??= `invalid recipient address "${to.slice(0, 300)}"`;
  await tx
    .insertInto('mail_outbox')
    .values({ id, to_address: to.slice(0, 320), template: req.template, lang, subject, body, state: problem ? 'invalid' : 'queued', last_error: problem, message_id: null, created: new Date(), sent_at: null })
    .execute();
  if (!problem) await enqueue(tx, MAIL_QUEUE, { outbox_id: id }, { maxAttempts: MAX_ATTEMPTS });
  return id;
}

/**
 * Puts held messages (kept while no SMTP server was configured) back on the queue, e.g. from an
 * admin command once BANCHI_SMTP_URL is set. Returns how many were released.
 */
export async function releaseHeldMail(tx: Tx): Promise<number> {
  const rows = await tx.updateTable('mail_outbox').set({ state: 'queued', last_error: null }).where('state', '=', 'held').returning('id').execute();
  for (const r of rows) await enqueue(tx, MAIL_QUEUE, { outbox_id: r.id }, { maxAttempts: MAX_ATTEMPTS });
  return rows.length;
}

const transports = new Map<string, Transporter>();

function transport(url: string): Transporter {
  let t = transports.get(url);
  if (!t) {
    // Short timeouts: a dead mail server must not hold the worker; the queue tries again later.
    t = nodemailer.createTransport(url, { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 } as never);
    transports.set(url, t);
  }
  return t;
}

export function senderAddress(services: Pick<Services, 'config'>): string {
  if (services.config.mailFrom) return services.config.mailFrom;
  let host = 'localhost';
  try {
    host = new URL(services.config.siteUrl).hostname || host;
  } catch {
    // keep localhost
  }
  return `noreply@${host}`;
}

/** The job handler: sends one outbox message, or holds it when no SMTP server is configured. */
export async function sendQueuedMail(services: Pick<Services, 'config' | 'store'>, payload: Record<string, unknown>): Promise<void> {
  const db: Db = services.store.db;
  const id = String(payload.outbox_id ?? '');
  const row = await db.selectFrom('mail_outbox').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row || row.state !== 'queued') return; // sent already, or removed: nothing to do
  if (!services.config.smtpUrl) {
    process.emitWarning(`mail to ${row.to_address} held in mail_outbox (${row.id}): BANCHI_SMTP_URL is not set`);
    await db.updateTable('mail_outbox').set({ state: 'held', last_error: 'BANCHI_SMTP_URL is not set' }).where('id', '=', id).execute();
    return;
  }
  try {
    const info = await transport(services.config.smtpUrl).sendMail({
      from: senderAddress(services),
      to: row.to_address,
      subject: row.subject,
      text: row.body,
      headers: { 'Content-Language': row.lang },
    });
    await db
      .updateTable('mail_outbox')
      .set((eb) => ({ state: 'sent', sent_at: new Date(), message_id: String(info.messageId ?? ''), attempts: eb('attempts', '+', 1), last_error: null }))
      .where('id', '=', id)
      .execute();
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    await db.updateTable('mail_outbox').set((eb) => ({ attempts: eb('attempts', '+', 1), last_error: message.slice(0, 2000) })).where('id', '=', id).execute();
    throw e;
  }
}
