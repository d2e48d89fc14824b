import { defineAction } from '../../actions/registry.ts';
import type { ActionContext } from '../../actions/context.ts';
import { ValidationError } from '../../actions/errors.ts';
import { requireAgreement } from '../../actions/governance/agreements.ts';
import { userId } from '../../access/actor.ts';
import { listClientCerts, normaliseFingerprint, readCertificate } from './mtls.ts';

/**
 * Mutual TLS per agreement: the client certificates its partner may call the gateway with and
 * whether one is required. Managed by whoever may update the agreement (policy agreement.ts), in
 * any state: certificates are rotated while an agreement is in force. Each write locks the
 * agreement row, so "required" and "no certificate left" never hold together.
 */

const MAX_CERTS = 20;

async function mtlsState(ctx: ActionContext, row: { id: string; number: string }) {
  const r = await ctx.db.selectFrom('agreements').select('mtls_required').where('id', '=', row.id).executeTakeFirstOrThrow();
  return { id: row.id, number: row.number, mtls_required: r.mtls_required, client_certs: await listClientCerts(ctx.db, row.id) };
}

export const agreementClientCertAdd = defineAction({
  name: 'agreement_client_cert_add',
  readOnly: false,
  summary: "Register a client certificate (PEM) the agreement's partner may call the gateway with; the server computes its SHA-256 fingerprint. Expired certificates and private keys are refused.",
  params: { id: { type: 'string', description: 'agreement id or number', required: true }, certificate: { type: 'string', description: 'the client certificate, PEM (-----BEGIN CERTIFICATE-----)', required: true } },
  async run(ctx, input) {
    const row = await requireAgreement(ctx, input.id, 'agreement_client_cert_add', true);
    const info = readCertificate(input.certificate, ctx.now);
    const have = await ctx.db.selectFrom('agreement_client_certs').select('fingerprint').where('agreement_id', '=', row.id).execute();
    if (have.some((h) => h.fingerprint === info.fingerprint)) throw ValidationError.field('certificate', { th: 'ใบรับรองนี้ลงทะเบียนไว้แล้ว', en: 'This certificate is already registered' });
    if (have.length >= MAX_CERTS) throw ValidationError.field('certificate', { th: `ลงทะเบียนได้ไม่เกิน ${MAX_CERTS} ใบต่อข้อตกลง`, en: `At most ${MAX_CERTS} certificates per agreement` });
    await ctx.db.insertInto('agreement_client_certs').values({ agreement_id: row.id, ...info, added_by: userId(ctx.actor), added: ctx.now }).execute();
    await ctx.audit({ action: 'agreement_client_cert_add', object_type: 'agreement', object_id: row.id, detail: { number: row.number, fingerprint: info.fingerprint, subject: info.subject, issuer: info.issuer, not_after: info.not_after.toISOString() } });
    return mtlsState(ctx, row);
  },
});

export const agreementClientCertRemove = defineAction({
  name: 'agreement_client_cert_remove',
  readOnly: false,
  summary: 'Remove a registered client certificate (by fingerprint). The last one cannot go while the agreement requires mutual TLS: turn the requirement off first.',
  params: { id: { type: 'string', description: 'agreement id or number', required: true }, fingerprint: { type: 'string', description: 'SHA-256 fingerprint (hex, colons optional)', required: true } },
  async run(ctx, input) {
    const row = await requireAgreement(ctx, input.id, 'agreement_client_cert_remove', true);
    const fp = normaliseFingerprint(input.fingerprint);
    if (!fp) throw ValidationError.field('fingerprint', { th: 'ลายนิ้วมือ SHA-256 ไม่ถูกต้อง (เลขฐานสิบหก 64 หลัก)', en: 'Not a SHA-256 fingerprint (64 hex digits)' });
    const have = await ctx.db.selectFrom('agreement_client_certs').select(['fingerprint', 'not_after']).where('agreement_id', '=', row.id).execute();
    if (!have.some((h) => h.fingerprint === fp)) throw ValidationError.field('fingerprint', { th: 'ไม่มีใบรับรองนี้ในข้อตกลง', en: 'No such certificate on this agreement' });
    // As agreement_mtls_set asks: a requirement needs an unexpired certificate left, not just any row.
    if (row.mtls_required && !have.some((h) => h.fingerprint !== fp && new Date(h.not_after) > ctx.now)) {
      throw ValidationError.field('fingerprint', { th: 'ข้อตกลงนี้กำหนดให้ใช้ใบรับรอง ลบใบสุดท้ายไม่ได้ ให้ยกเลิกการกำหนดก่อน หรือเพิ่มใบใหม่', en: 'The agreement requires a client certificate: the last one cannot be removed; turn the requirement off first, or add another' });
    }
    await ctx.db.deleteFrom('agreement_client_certs').where('agreement_id', '=', row.id).where('fingerprint', '=', fp).execute();
    await ctx.audit({ action: 'agreement_client_cert_remove', object_type: 'agreement', object_id: row.id, detail: { number: row.number, fingerprint: fp } });
    return mtlsState(ctx, row);
  },
});

export const agreementMtlsSet = defineAction({
  name: 'agreement_mtls_set',
  readOnly: false,
  summary: 'Require (required=true) or stop requiring a registered, verified client certificate on every gateway call under the agreement. Requiring needs at least one unexpired certificate.',
  params: { id: { type: 'string', description: 'agreement id or number', required: true }, required: { type: 'boolean', description: 'true or false', required: true } },
  async run(ctx, input) {
    const row = await requireAgreement(ctx, input.id, 'agreement_mtls_set', true);
    const v = input.required;
    const required = v === true || v === 'true' ? true : v === false || v === 'false' ? false : null;
    if (required === null) throw ValidationError.field('required', { th: 'ต้องเป็น true หรือ false', en: 'Must be true or false' });
    if (required) {
      const usable = await ctx.db.selectFrom('agreement_client_certs').select('fingerprint').where('agreement_id', '=', row.id).where('not_after', '>', ctx.now).limit(1).execute();
      if (!usable.length) throw ValidationError.field('required', { th: 'ลงทะเบียนใบรับรองเครื่องลูกข่ายที่ยังไม่หมดอายุอย่างน้อยหนึ่งใบก่อน', en: 'Register at least one unexpired client certificate first' });
    }
    await ctx.db.updateTable('agreements').set({ mtls_required: required, modified: ctx.now }).where('id', '=', row.id).execute();
    await ctx.audit({ action: 'agreement_mtls_set', object_type: 'agreement', object_id: row.id, detail: { number: row.number, from: row.mtls_required, to: required } });
    return mtlsState(ctx, row);
  },
});

export const mtlsActions = [agreementClientCertAdd, agreementClientCertRemove, agreementMtlsSet];
