import type { FastifyInstance } from 'fastify';
import { html, type Html } from '../../html.ts';
import { call, form, redirect, type PageCtx, type Web } from '../../context.ts';
import { csrfField } from '../../layout.ts';
import { timeEl } from '../../format.ts';

const tt = (p: PageCtx, th: string, en: string): string => (p.lang === 'en' ? en : th);

/**
 * The agreement page's mutual-TLS section: the partner's registered client certificates and the
 * "required" flag, with plain forms (no JavaScript). A refused form shows the action's field
 * error on the error page; the actions check who may do it.
 */
export function mtlsSection(p: PageCtx, a: Record<string, any>): Html {
  const certs = (a.client_certs ?? []) as Array<{ subject: string; issuer: string; fingerprint: string; not_after: string }>;
  const manage = a.can_manage_client_certs === true;
  const base = `/governance/agreements/${a.id}`;
  return html`<section class="mtls"><h2>${tt(p, 'ใบรับรองเครื่องลูกข่ายสำหรับเกตเวย์ (mutual TLS)', 'Gateway client certificates (mutual TLS)')}</h2>
    <p>${tt(p, 'บังคับใช้ใบรับรอง', 'Certificate required')}: <strong>${a.mtls_required ? tt(p, 'บังคับ', 'required') : tt(p, 'ไม่บังคับ', 'not required')}</strong></p>
    ${certs.length ? html`<table><thead><tr><th>${tt(p, 'ผู้ถือ (subject)', 'Subject')}</th><th>${tt(p, 'ลายนิ้วมือ SHA-256', 'SHA-256 fingerprint')}</th><th>${tt(p, 'หมดอายุ', 'Not after')}</th>${manage ? html`<th></th>` : ''}</tr></thead><tbody>
      ${certs.map((c) => html`<tr><td title="${c.issuer}">${c.subject}</td><td><code>${c.fingerprint}</code></td><td>${timeEl(p.lang, c.not_after)}</td>${manage ? html`<td>
        <form method="post" action="${base}/client-certs/remove">${csrfField(p)}<input type="hidden" name="fingerprint" value="${c.fingerprint}"><button type="submit">${tt(p, 'ลบ', 'Remove')}</button></form></td>` : ''}</tr>`)}
    </tbody></table>` : html`<p class="empty">${tt(p, 'ยังไม่ได้ลงทะเบียนใบรับรอง', 'No certificate registered')}</p>`}
    ${manage ? html`<form method="post" action="${base}/client-certs" class="stacked">${csrfField(p)}
        <div class="field"><label for="f-certificate">${tt(p, 'ใบรับรองของคู่สัญญา (PEM)', "The partner's certificate (PEM)")}</label><textarea id="f-certificate" name="certificate" rows="6" required></textarea></div>
        <button type="submit">${tt(p, 'ลงทะเบียนใบรับรอง', 'Register certificate')}</button></form>
      <form method="post" action="${base}/mtls">${csrfField(p)}<input type="hidden" name="required" value="${a.mtls_required ? 'false' : 'true'}">
        <button type="submit">${a.mtls_required ? tt(p, 'เลิกบังคับใช้ใบรับรอง', 'Stop requiring a certificate') : tt(p, 'บังคับใช้ใบรับรองทุกการเรียก', 'Require a certificate on every call')}</button></form>` : ''}
  </section>`;
}

export function agreementMtlsRoutes(app: FastifyInstance, web: Web): void {
  const id = (p: PageCtx) => (p.req.params as { id: string }).id;
  app.post('/governance/agreements/:id/client-certs', form(web, async (p) => {
    await call(p, 'agreement_client_cert_add', { id: id(p), certificate: p.body.certificate });
    return redirect(p, `/governance/agreements/${id(p)}`);
  }));
  app.post('/governance/agreements/:id/client-certs/remove', form(web, async (p) => {
    await call(p, 'agreement_client_cert_remove', { id: id(p), fingerprint: p.body.fingerprint });
    return redirect(p, `/governance/agreements/${id(p)}`);
  }));
  app.post('/governance/agreements/:id/mtls', form(web, async (p) => {
    await call(p, 'agreement_mtls_set', { id: id(p), required: p.body.required });
    return redirect(p, `/governance/agreements/${id(p)}`);
  }));
}
