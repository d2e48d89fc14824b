import type { FastifyInstance } from 'fastify';
import { html } from '../../html.ts';
import { call, form, page, redirect, render, signedIn, type PageCtx, type Web } from '../../context.ts';
import { csrfField, errorPage } from '../../layout.ts';
import type { FieldErrors } from '../../../actions/errors.ts';
import { CRITERIA } from '../../../actions/governance/partners.ts';
import { L, tt, errorsOf, fieldError, input, otherErrors } from './agreements.ts';
import { formatPlainDate, timeEl } from '../../format.ts';

/** P6 partner selection pages: score sheets (list, detail, new form — 0/1 per item with its evidence). */

function sheetForm(p: PageCtx, v: Record<string, any>, errs: FieldErrors | null): any {
  return html`<form method="post" action="/governance/partners/new" class="stacked">${csrfField(p)}
    ${otherErrors(p, errs, ['organization', 'partner', 'assessed_on', 'scores', 'evidence', 'note'])}
    ${input(p, 'organization', tt(p, 'หน่วยงานผู้ประเมิน (ชื่อย่อ)', 'Assessing organisation (name)'), v.organization, errs, { required: true })}
    ${input(p, 'partner', tt(p, 'หน่วยงานคู่เชื่อมโยง (ชื่อย่อ)', 'Partner organisation (name)'), v.partner, errs, { required: true })}
    ${input(p, 'assessed_on', tt(p, 'วันที่ประเมิน', 'Assessed on'), v.assessed_on, errs, { type: 'date' })}
    <table><thead><tr><th>${tt(p, 'รายการประเมิน', 'Criterion')}</th><th>${tt(p, 'น้ำหนัก', 'Weight')}</th><th>${tt(p, 'คะแนน (0/1)', 'Score (0/1)')}</th><th>${tt(p, 'หลักฐาน', 'Evidence')}</th></tr></thead><tbody>
    ${CRITERIA.aspects.map((a) => html`<tr><th colspan="4">${L(p, a.label)}</th></tr>${CRITERIA.criteria.filter((c) => c.aspect === a.key).map((c) => html`<tr>
      <td>${L(p, c.label)}</td><td>${c.weight}</td>
      <td><label><input type="radio" name="score_${c.key}" value="0"${v[`score_${c.key}`] !== '1' ? html` checked` : ''}> 0</label> <label><input type="radio" name="score_${c.key}" value="1"${v[`score_${c.key}`] === '1' ? html` checked` : ''}> 1</label>${fieldError(p, errs, `scores.${c.key}`)}</td>
      <td><input name="evidence_${c.key}" value="${v[`evidence_${c.key}`] ?? ''}" aria-label="${tt(p, 'หลักฐาน', 'Evidence')} ${L(p, c.label)}">${fieldError(p, errs, `evidence.${c.key}`)}</td></tr>`)}`)}
    </tbody></table>
    <p>${tt(p, `ผ่านเกณฑ์เมื่อได้ ${CRITERIA.pass_mark} คะแนนขึ้นไป ผลประเมินใช้ได้ ${CRITERIA.valid_for_days} วัน`, `Passes at ${CRITERIA.pass_mark} or more; current for ${CRITERIA.valid_for_days} days`)}</p>
    ${input(p, 'note', tt(p, 'หมายเหตุ', 'Note'), v.note, errs, { textarea: true })}
    <button type="submit">${tt(p, 'บันทึกผลประเมิน', 'Save assessment')}</button></form>`;
}

export function partnerRoutes(app: FastifyInstance, web: Web): void {
  app.get('/governance/partners', page(web, async (p) => {
    const list = await call<Record<string, any>[]>(p, 'partner_assessment_list', {});
    const title = tt(p, 'การคัดเลือกคู่เชื่อมโยง', 'Partner selection');
    return render(p, title, html`<h1>${title}</h1><p><a class="button" href="/governance/partners/new">${tt(p, 'ประเมินคู่เชื่อมโยง', 'New assessment')}</a></p>
      ${list.length ? html`<table><thead><tr><th>${tt(p, 'หน่วยงาน', 'Partner')}</th><th>${tt(p, 'วันที่', 'Date')}</th><th>${tt(p, 'คะแนน', 'Score')}</th><th>${tt(p, 'ผล', 'Result')}</th><th>${tt(p, 'ใช้ได้ถึง', 'Valid until')}</th></tr></thead><tbody>
      ${list.map((a) => html`<tr><td><a href="/governance/partners/${a.id}">${a.partner_title}</a></td><td>${formatPlainDate(p.lang, a.assessed_on)}</td><td>${a.total}</td><td>${a.passed ? tt(p, 'ผ่าน', 'Pass') : tt(p, 'ไม่ผ่าน', 'Fail')}${a.passed && !a.current ? tt(p, ' (หมดอายุ)', ' (expired)') : ''}</td><td>${timeEl(p.lang, a.valid_until)}</td></tr>`)}
      </tbody></table>` : html`<p class="empty">${tt(p, 'ยังไม่มีผลประเมิน', 'No assessments yet')}</p>`}`, { breadcrumbs: [[title]] });
  }));
  // A visitor gets the 403 page (with its sign-in link), not a form every action would refuse.
  app.get('/governance/partners/new', page(web, async (p) => {
    if (!signedIn(p)) return errorPage(p, 403);
    return render(p, tt(p, 'ประเมินคู่เชื่อมโยง', 'New assessment'), html`<h1>${tt(p, 'ประเมินคู่เชื่อมโยง', 'Partner assessment')}</h1>${sheetForm(p, {}, null)}`, { noindex: true });
  }));
  app.post('/governance/partners/new', form(web, async (p) => {
    const b = p.body;
    const scores: Record<string, unknown> = {};
    const evidence: Record<string, unknown> = {};
    for (const c of CRITERIA.criteria) {
      scores[c.key] = b[`score_${c.key}`] ?? '0';
      evidence[c.key] = b[`evidence_${c.key}`] ?? '';
    }
    try {
      const a = await call<{ id: string }>(p, 'partner_assessment_create', { organization: b.organization, partner: b.partner, assessed_on: b.assessed_on || undefined, note: b.note, scores, evidence });
      return redirect(p, `/governance/partners/${a.id}`);
    } catch (e) {
      const errs = errorsOf(e);
      if (!errs) throw e;
      return render(p, tt(p, 'ประเมินคู่เชื่อมโยง', 'New assessment'), html`<h1>${tt(p, 'ประเมินคู่เชื่อมโยง', 'Partner assessment')}</h1>${sheetForm(p, b, errs)}`, { noindex: true }, 409);
    }
  }));
  app.get('/governance/partners/:id', page(web, async (p) => {
    const a = await call<Record<string, any>>(p, 'partner_assessment_show', { id: (p.req.params as { id: string }).id });
    const items = a.items as { key: string; score: number; weight: number; points: number; evidence: string }[];
    return render(p, a.partner?.title ?? '', html`<h1>${tt(p, 'ผลประเมินคู่เชื่อมโยง', 'Partner assessment')}: ${a.partner?.title}</h1>
      <p>${tt(p, 'ผู้ประเมิน', 'Assessor')}: ${a.assessor_name} · ${tt(p, 'วันที่', 'Date')}: ${formatPlainDate(p.lang, a.assessed_on)} · ${tt(p, 'คะแนนรวม', 'Total')}: <strong>${a.total}</strong> / 100 — ${a.passed ? tt(p, 'ผ่าน', 'Pass') : tt(p, 'ไม่ผ่าน', 'Fail')} · ${tt(p, 'ใช้ได้ถึง', 'Valid until')} ${timeEl(p.lang, a.valid_until)}</p>
      <table><thead><tr><th>${tt(p, 'รายการ', 'Criterion')}</th><th>${tt(p, 'คะแนน', 'Score')}</th><th>${tt(p, 'น้ำหนัก', 'Weight')}</th><th>${tt(p, 'รวม', 'Points')}</th><th>${tt(p, 'หลักฐาน', 'Evidence')}</th></tr></thead><tbody>
      ${items.map((i) => html`<tr><td>${L(p, CRITERIA.criteria.find((c) => c.key === i.key)?.label)}</td><td>${i.score}</td><td>${i.weight}</td><td>${i.points}</td><td>${i.evidence}</td></tr>`)}
      </tbody></table>${a.note ? html`<p>${a.note}</p>` : ''}`, { breadcrumbs: [[tt(p, 'คู่เชื่อมโยง', 'Partners'), '/governance/partners'], [a.partner?.title ?? '']] });
  }));
}
