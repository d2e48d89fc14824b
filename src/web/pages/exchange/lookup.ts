import { PassThrough } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { html, raw, type Html } from '../../html.ts';
import { call, form, page, render, signedIn, type PageCtx, type Web } from '../../context.ts';
import { csrfField, errorPage, layout } from '../../layout.ts';
import { ValidationError, localizeErrors } from '../../../actions/errors.ts';
import { LEGAL_BASES, LookupRateLimited, PURPOSES, runLookup, type SourceResult } from '../../../exchange/lookup/run.ts';
import { readCitizenId } from '../../../exchange/lookup/citizen-ref.ts';
import { maskThaiId } from '../../../workflow/inputs.ts';
import type { Outcome, Reason } from '../../../exchange/lookup/connector.ts';
import { L } from '../governance/common.ts';

/**
 * P9 as a page. The form posts (the ID never goes into an address, so no access log holds it); the
 * answer page is streamed: its head and the list of sources asked go out at once, each source's
 * answer is written as it arrives, and a table in source order closes the page. A browser without
 * JavaScript shows the answers as they come; a client that reads the whole page simply waits for
 * all. Nothing is cached (no-store) and nothing of the answers is kept.
 */
const OUTCOME: Record<Outcome, [string, string]> = {
  received: ['รับแล้ว', 'Received'],
  not_yet: ['ยังไม่ได้รับ', 'Not yet received'],
  not_eligible: ['ยังไม่มีสิทธิ์', 'Not eligible'],
  unavailable: ['ติดต่อแหล่งข้อมูลไม่ได้', 'Source unavailable'],
};
const REASON: Record<Reason, [string, string]> = {
  timeout: ['ไม่ตอบภายในเวลาที่กำหนด', 'no answer in time'],
  network: ['เชื่อมต่อไม่ได้', 'could not connect'],
  http_error: ['ตอบข้อผิดพลาด', 'answered an error'],
  bad_answer: ['คำตอบอ่านไม่ได้', 'unreadable answer'],
  unknown_status: ['สถานะที่ไม่รู้จัก', 'unknown status'],
  too_large: ['คำตอบใหญ่เกินไป', 'answer too large'],
  address_refused: ['ที่อยู่ของแหล่งข้อมูลอยู่ในเครือข่ายภายในที่ไม่ได้รับอนุญาต', 'the source\'s address is on a private network not allowed'],
};

const label = (p: PageCtx, c: { label: { th: string; en: string } }) => (p.lang === 'en' ? c.label.en : c.label.th);

function outcomeText(p: PageCtx, r: SourceResult): Html {
  const [th, en] = OUTCOME[r.answer.status];
  const why = r.answer.reason ? REASON[r.answer.reason] : null;
  return html`<strong class="lookup-${r.answer.status}">${L(p, th, en)}</strong>${why ? html` <span class="muted">(${L(p, why[0], why[1])}${r.answer.http_status ? ` ${r.answer.http_status}` : ''})</span>` : ''}${r.answer.detail ? html` <span>— ${r.answer.detail}</span>` : ''}`;
}

function lookupForm(p: PageCtx, sources: { title_th: string; title_en: string; organization: string }[], values: Record<string, unknown>, errors: Record<string, string[]>): Html {
  const err = (k: string) => (errors[k]?.length ? html`<p class="field-error" id="${k}-err">${errors[k]!.join(' ')}</p>` : '');
  const inv = (k: string) => (errors[k]?.length ? html` aria-invalid="true" aria-describedby="${k}-err"` : '');
  const options = (list: typeof PURPOSES, v: unknown) => list.map((c) => html`<option value="${c.value}"${c.value === v ? html` selected` : ''}>${label(p, c)}</option>`);
  return html`<form method="post" action="/exchange/lookup" class="stacked" autocomplete="off">${csrfField(p)}
    <div class="field${errors.citizen_id ? ' has-error' : ''}"><label for="citizen_id">${L(p, 'เลขประจำตัวประชาชน 13 หลัก', '13-digit citizen ID')} <span class="required" aria-hidden="true">*</span></label>${err('citizen_id')}
      <input id="citizen_id" name="citizen_id" type="text" inputmode="numeric" pattern="[0-9๐-๙ \\-]{13,17}" maxlength="17" required autocomplete="off"${inv('citizen_id')}></div>
    <div class="field${errors.purpose ? ' has-error' : ''}"><label for="purpose">${L(p, 'วัตถุประสงค์', 'Purpose')} <span class="required" aria-hidden="true">*</span></label>${err('purpose')}
      <select id="purpose" name="purpose" required${inv('purpose')}><option value="">—</option>${options(PURPOSES, values.purpose)}</select></div>
    <div class="field${errors.legal_basis ? ' has-error' : ''}"><label for="legal_basis">${L(p, 'ฐานทางกฎหมาย', 'Legal basis')} <span class="required" aria-hidden="true">*</span></label>${err('legal_basis')}
      <select id="legal_basis" name="legal_basis" required${inv('legal_basis')}><option value="">—</option>${options(LEGAL_BASES, values.legal_basis)}</select></div>
    <p class="hint">${L(p, 'ระบบจะสอบถามแหล่งข้อมูลที่ข้อตกลงของท่านครอบคลุม:', 'banchi will ask the sources your agreements cover:')}</p>
    <ul>${sources.map((s) => html`<li>${L(p, s.title_th, s.title_en)} — ${s.organization}</li>`)}</ul>
    <p class="hint">${L(p, 'การค้นหาทุกครั้งถูกบันทึกในบันทึกการตรวจสอบพร้อมวัตถุประสงค์และฐานทางกฎหมาย (ไม่บันทึกเลขประจำตัวประชาชน)', 'Every look-up is audited with its purpose and legal basis (the ID itself is not recorded).')}</p>
    <button type="submit">${L(p, 'ค้นหาสิทธิ', 'Look up entitlements')}</button></form>`;
}

export function lookupRoutes(app: FastifyInstance, web: Web): void {
  const title = (p: PageCtx) => L(p, 'ค้นหาสิทธิของประชาชนด้วยเลขประจำตัว 13 หลัก', 'Citizen look-up by 13-digit ID');
  const showForm = async (p: PageCtx, values: Record<string, unknown>, errors: Record<string, string[]>, status = 200) => {
    const sources = await call<{ title_th: string; title_en: string; organization: string }[]>(p, 'lookup_sources_available', {});
    const body = sources.length
      ? html`<h1>${title(p)}</h1>${lookupForm(p, sources, values, errors)}`
      : html`<h1>${title(p)}</h1><p>${L(p, 'ยังไม่มีข้อตกลงที่ใช้งานได้ซึ่งครอบคลุมแหล่งข้อมูลสำหรับการค้นหา', 'No active agreement of yours covers a look-up source yet.')}</p>`;
    return render(p, title(p), body, { breadcrumbs: [[L(p, 'การแลกเปลี่ยนข้อมูล', 'Exchange'), '/exchange'], [title(p)]], noindex: true }, status);
  };
  app.get('/exchange/lookup', page(web, async (p) => {
    if (!signedIn(p)) return errorPage(p, 403);
    return showForm(p, {}, {});
  }));
  app.post('/exchange/lookup', form(web, async (p) => {
    if (!signedIn(p)) return errorPage(p, 403);
    const input = { citizen_id: p.body.citizen_id, purpose: p.body.purpose, legal_basis: p.body.legal_basis };
    let out: PassThrough | null = null;
    let tail = '';
    const results: SourceResult[] = [];
    try {
      await runLookup(p.services, { actor: p.actor, lang: p.lang, ip: p.req.ip }, input, {
        onStart: (sources) => {
          const cid = readCitizenId(input.citizen_id)!;
          const head = html`<h1>${title(p)}</h1>
            <p>${L(p, 'เลขประจำตัว', 'ID')} <strong>${maskThaiId(cid)}</strong> · ${label(p, PURPOSES.find((x) => x.value === input.purpose)!)} · ${label(p, LEGAL_BASES.find((x) => x.value === input.legal_basis)!)}</p>
            <p>${L(p, `กำลังสอบถาม ${sources.length} แหล่งข้อมูล คำตอบจะแสดงเมื่อได้รับ`, `Asking ${sources.length} sources; answers show as they arrive.`)}</p>
            <h2>${L(p, 'คำตอบตามลำดับที่ได้รับ', 'Answers as they arrive')}</h2><ol class="lookup-arrivals">${raw('<!--stream-->')}`;
          const [before, after] = layout(p, title(p), head, { noindex: true }).value.split('<!--stream-->');
          tail = after!;
          out = new PassThrough();
          p.reply.code(200).type('text/html; charset=utf-8').header('Cache-Control', 'no-store').header('X-Accel-Buffering', 'no').send(out);
          out.write(before);
        },
        onAnswer: (r) => {
          results.push(r);
          out?.write(html`<li>${L(p, r.title_th, r.title_en)} (${r.organization}): ${outcomeText(p, r)}</li>\n`.value);
        },
      });
      const ordered = [...results].sort((a, b) => a.source.localeCompare(b.source));
      out!.write(html`</ol><h2>${L(p, 'สรุปสถานะสิทธิ', 'Entitlements')}</h2>
        <table><thead><tr><th>${L(p, 'สิทธิ / แหล่งข้อมูล', 'Entitlement / source')}</th><th>${L(p, 'หน่วยงาน', 'Agency')}</th><th>${L(p, 'สถานะ', 'Status')}</th></tr></thead><tbody>
        ${ordered.map((r) => html`<tr><td>${L(p, r.title_th, r.title_en)}</td><td>${r.organization}</td><td>${outcomeText(p, r)}</td></tr>`)}</tbody></table>
        <p><a class="button" href="/exchange/lookup">${L(p, 'ค้นหาคนถัดไป', 'Look up someone else')}</a></p>`.value + tail);
      out!.end();
      return p.reply;
    } catch (e) {
      if (out) {
        (out as PassThrough).end(`</ol><p class="field-error">${L(p, 'การค้นหาหยุดกลางคัน', 'The look-up stopped part-way')}</p>${tail}`);
        return p.reply;
      }
      if (e instanceof ValidationError) return showForm(p, input, localizeErrors(e.errors, p.lang) as Record<string, string[]>, 400);
      if (e instanceof LookupRateLimited) {
        p.reply.header('Retry-After', String(e.retryAfter));
        return errorPage(p, 429, p.lang === 'en' ? e.msg.en : e.msg.th);
      }
      throw e;
    }
  }));
}
