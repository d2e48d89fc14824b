import type { FastifyInstance } from 'fastify';
import { html } from '../../html.ts';
import { call, form, may, page, redirect, render, type PageCtx, type Web } from '../../context.ts';
import { csrfField } from '../../layout.ts';
import { timeEl } from '../../format.ts';
import { L, outcome, scoreText } from './common.ts';
import { CRITERIA } from '../../../quality/criteria.ts';
import { barChart } from '../governance/kpi.ts';

export { qualityPanel } from './panel.ts';

const PAGE = 50;
const SORTS = ['score', 'score desc', 'title'];

interface Band {
  from: number | null;
  to: number | null;
  count: number;
}

const band = (p: PageCtx, b: Band) => (b.from === null ? L(p, 'ยังไม่ได้คำนวณ', 'Not computed yet') : `${b.from}–${b.to}`);

function param(p: PageCtx): string {
  return (p.req.params as { id: string }).id;
}

function query(p: PageCtx, key: string): string {
  const v = (p.req.query as Record<string, unknown>)[key];
  return typeof v === 'string' ? v.slice(0, 100) : '';
}

/** Quality pages of an organisation (issue 8): the scores table, the link-check button, the OIT checklist. */
export function qualityRoutes(app: FastifyInstance, web: Web): void {
  app.get('/organization/:id/quality', page(web, async (p) => {
    const sort = SORTS.includes(query(p, 'sort')) ? query(p, 'sort') : 'score';
    const pageNo = Math.max(1, Math.min(10_000, Number.parseInt(query(p, 'page') || '1', 10) || 1));
    const list = await call<Record<string, any>>(p, 'organization_quality_list', { id: param(p), sort, limit: PAGE, offset: (pageNo - 1) * PAGE });
    const org = list.organization as { id: string; name: string; title: string };
    const title = L(p, `คุณภาพคำอธิบายชุดข้อมูล: ${org.title}`, `Metadata quality: ${org.title}`);
    const base = `/organization/${encodeURIComponent(org.name)}/quality`;
    const pages = Math.max(1, Math.ceil(list.count / PAGE));
    const bands = list.bands as Band[];
    const body = html`<h1>${title}</h1>
      <p>${L(p, `ชุดข้อมูลที่ท่านเห็นได้ ${list.count} ชุด คะแนนเฉลี่ย`, `${list.count} datasets you may see; average score`)} ${scoreText(p, list.average)}</p>
      ${barChart(L(p, 'จำนวนชุดข้อมูลตามช่วงคะแนน', 'Datasets by score band'), bands.map((b) => ({ label: band(p, b), value: b.count })))}
      <table class="data" id="quality-bands"><caption>${L(p, 'จำนวนชุดข้อมูลตามช่วงคะแนน', 'Datasets by score band')}</caption>
        <thead><tr><th scope="col">${L(p, 'ช่วงคะแนน', 'Score band')}</th><th scope="col">${L(p, 'จำนวน', 'Count')}</th></tr></thead>
        <tbody>${bands.map((b) => html`<tr><th scope="row">${band(p, b)}</th><td>${String(b.count)}</td></tr>`)}</tbody></table>
      <p><a href="/organization/${encodeURIComponent(org.name)}/oit">${L(p, 'รายการข้อมูลเปิดเผยตามเกณฑ์ OIT', 'OIT open-data checklist')}</a></p>
      ${may(p, 'linkcheck_queue', { org_id: org.id }) ? html`<form method="post" action="${base}/linkcheck">${csrfField(p)}<button type="submit">${L(p, 'ตรวจลิงก์ทรัพยากรข้อมูลตอนนี้', 'Check the resource links now')}</button></form>` : ''}
      <form method="get" action="${base}" class="filters"><label>${L(p, 'เรียงตาม', 'Sort by')} <select name="sort">
        <option value="score" ${sort === 'score' ? 'selected' : ''}>${L(p, 'คะแนนต่ำสุดก่อน', 'Lowest score first')}</option>
        <option value="score desc" ${sort === 'score desc' ? 'selected' : ''}>${L(p, 'คะแนนสูงสุดก่อน', 'Highest score first')}</option>
        <option value="title" ${sort === 'title' ? 'selected' : ''}>${L(p, 'ชื่อชุดข้อมูล', 'Title')}</option></select></label>
        <button type="submit">${L(p, 'แสดง', 'Show')}</button></form>
      <table class="data" id="quality-scores">
        <caption>${L(p, 'คะแนนคุณภาพรายชุดข้อมูล', 'Quality score per dataset')}</caption>
        <thead><tr><th scope="col">${L(p, 'ชุดข้อมูล', 'Dataset')}</th><th scope="col">${L(p, 'คะแนน', 'Score')}</th>${CRITERIA.criteria.map((c) => html`<th scope="col">${c.label[p.lang]} <small>(${String(c.weight)})</small></th>`)}</tr></thead>
        <tbody>${(list.results as Array<Record<string, any>>).map((r) => html`<tr>
          <td><a href="/dataset/${encodeURIComponent(r.name)}#quality">${r.title || r.name}</a>${r.state !== 'active' ? html` <span class="badge badge-draft">${r.state}</span>` : ''}${r.computed_at ? html`<br><small>${L(p, 'คำนวณเมื่อ', 'Computed')} ${timeEl(p.lang, r.computed_at, true)}</small>` : ''}</td>
          <td>${scoreText(p, r.score)}</td>
          ${CRITERIA.criteria.map((c) => {
            const x = (r.criteria as Array<{ key: string; result: string; points: number }>).find((y) => y.key === c.key);
            return html`<td>${x ? html`${outcome(p, x.result)} <small>${String(x.points)}</small>` : '–'}</td>`;
          })}
        </tr>`)}</tbody>
      </table>
      ${pages > 1 ? html`<nav aria-label="${L(p, 'หน้า', 'Pages')}"><p>${pageNo > 1 ? html`<a href="${base}?sort=${encodeURIComponent(sort)}&page=${String(pageNo - 1)}">${L(p, 'ก่อนหน้า', 'Previous')}</a> ` : ''}${L(p, `หน้า ${pageNo} จาก ${pages}`, `Page ${pageNo} of ${pages}`)}${pageNo < pages ? html` <a href="${base}?sort=${encodeURIComponent(sort)}&page=${String(pageNo + 1)}">${L(p, 'ถัดไป', 'Next')}</a>` : ''}</p></nav>` : ''}`;
    return render(p, title, body, { breadcrumbs: [[org.title, `/organization/${encodeURIComponent(org.name)}`], [L(p, 'คุณภาพ', 'Quality')]] });
  }));

  app.post('/organization/:id/quality/linkcheck', form(web, async (p) => {
    await call(p, 'linkcheck_queue', { organization: param(p) });
    return redirect(p, `/organization/${encodeURIComponent(param(p))}/quality`, 'flash.saved');
  }));

  app.get('/organization/:id/oit', page(web, async (p) => {
    const c = await call<Record<string, any>>(p, 'oit_checklist_show', { organization: param(p) });
    const org = c.organization as { id: string; name: string; title: string };
    const title = L(p, `ข้อมูลเปิดเผยตามเกณฑ์ OIT: ${org.title}`, `OIT open-data checklist: ${org.title}`);
    const action = `/organization/${encodeURIComponent(org.name)}/oit`;
    const items = c.items as Array<Record<string, any>>;
    const body = html`<h1>${title}</h1>
      <p>${c.missing.length ? html`${L(p, 'ยังขาด', 'Still missing')}: <strong id="oit-missing">${(c.missing as string[]).join(', ')}</strong>` : html`<strong id="oit-missing">${L(p, 'ครบทุกรายการ', 'Every item is linked')}</strong>`}</p>
      <table class="data" id="oit-items">
        <caption>${L(p, 'รายการที่หน่วยงานต้องเปิดเผย (P11)', 'Items the agency must publish (P11)')}</caption>
        <thead><tr><th scope="col">${L(p, 'รหัส', 'Code')}</th><th scope="col">${L(p, 'รายการ', 'Item')}</th><th scope="col">${L(p, 'หลักฐานที่คาดหวัง', 'Evidence expected')}</th><th scope="col">${L(p, 'ชุดข้อมูล', 'Dataset')}</th>${c.may_edit ? html`<th scope="col">${L(p, 'เชื่อมโยง', 'Link')}</th>` : ''}</tr></thead>
        <tbody>${items.map((i) => html`<tr id="oit-${i.code}">
          <th scope="row">${i.code}</th><td>${i.title}</td><td>${i.evidence}</td>
          <td>${i.dataset ? html`<a href="/dataset/${encodeURIComponent(i.dataset.name)}">${i.dataset.title}</a>${i.dataset.open_data ? '' : html` <span class="badge badge-shared">${L(p, 'ยังไม่เป็นข้อมูลเปิด', 'Not open data yet')}</span>`}` : i.linked ? html`<span class="badge">${L(p, 'เชื่อมโยงแล้ว (ไม่เปิดเผย)', 'Linked (not public)')}</span>` : html`<span class="badge badge-private">${L(p, 'ยังไม่มี', 'Missing')}</span>`}</td>
          ${c.may_edit ? html`<td><form method="post" action="${action}">${csrfField(p)}<input type="hidden" name="item" value="${i.code}">
            <label>${L(p, 'ชื่อหรือรหัสชุดข้อมูล', 'Dataset name or id')} <input name="dataset_id" value="${i.dataset?.name ?? ''}" size="24"></label>
            <button type="submit" name="op" value="link">${L(p, 'บันทึก', 'Save')}</button>
            ${i.linked ? html`<button type="submit" name="op" value="unlink" class="danger">${L(p, 'ยกเลิกการเชื่อมโยง', 'Unlink')}</button>` : ''}</form></td>` : ''}
        </tr>`)}</tbody>
      </table>`;
    return render(p, title, body, { breadcrumbs: [[org.title, `/organization/${encodeURIComponent(org.name)}`], ['OIT']] });
  }));

  app.post('/organization/:id/oit', form(web, async (p) => {
    const op = String(p.body.op ?? '');
    const input = { organization: param(p), item: String(p.body.item ?? ''), dataset_id: String(p.body.dataset_id ?? '') };
    await call(p, op === 'unlink' ? 'oit_item_unlink' : 'oit_item_link', input);
    return redirect(p, `/organization/${encodeURIComponent(param(p))}/oit`, 'flash.saved');
  }));
}
