import type { FastifyInstance } from 'fastify';
import { AuthorizationError } from '../../actions/errors.ts';
import { isSysadmin, orgsWith } from '../../access/actor.ts';
import { html } from '../html.ts';
import { call, form, page, redirect, render, type PageCtx, type Web } from '../context.ts';
import { csrfField } from '../layout.ts';
import { timeEl } from '../format.ts';

/** Harvest sources and their runs, for sysadmins and organisation admins (the actions check again). */
const L = (p: PageCtx, th: string, en: string) => (p.lang === 'en' ? en : th);

function requireManager(p: PageCtx): void {
  if (!isSysadmin(p.actor) && !orgsWith(p.actor, 'manage_members').length) throw new AuthorizationError();
}

const STATUS_TH: Record<string, string> = { New: 'รอเริ่ม', Running: 'กำลังทำงาน', Finished: 'เสร็จแล้ว' };

function statusText(p: PageCtx, j: Record<string, any>): string {
  const base = p.lang === 'en' ? j.status : (STATUS_TH[j.status] ?? j.status);
  if (j.failed) return `${base} (${L(p, 'ล้มเหลว', 'failed')})`;
  if (j.aborted) return `${base} (${L(p, 'ยกเลิก', 'aborted')})`;
  return base;
}

export function harvestRoutes(app: FastifyInstance, web: Web): void {
  app.get('/harvest', page(web, async (p) => {
    requireManager(p);
    const sources = await call<Array<Record<string, any>>>(p, 'harvest_source_list', {});
    const body = html`<h1>${L(p, 'แหล่งเก็บเกี่ยวข้อมูล', 'Harvest sources')}</h1>
      <table class="data">
        <caption>${L(p, `ทั้งหมด ${sources.length} แหล่ง`, `${sources.length} sources`)}</caption>
        <thead><tr><th scope="col">${L(p, 'แหล่ง', 'Source')}</th><th scope="col">${L(p, 'ชนิด', 'Type')}</th><th scope="col">${L(p, 'หน่วยงาน', 'Organisation')}</th><th scope="col">${L(p, 'รอบล่าสุด', 'Last run')}</th><th scope="col">${L(p, 'ชุดข้อมูล', 'Datasets')}</th></tr></thead>
        <tbody>${sources.map((s) => html`<tr>
          <td><a href="/harvest/${encodeURIComponent(s.name)}">${s.title}</a><br><small>${s.url}</small></td>
          <td>${s.source_type} · ${s.frequency}</td>
          <td>${s.organization?.title ?? ''}</td>
          <td>${s.status.last_job ? html`${statusText(p, s.status.last_job)} ${timeEl(p.lang, s.status.last_job.created, true)}` : L(p, 'ยังไม่เคย', 'never')}</td>
          <td>${s.status.total_datasets}</td>
        </tr>`)}</tbody>
      </table>`;
    return render(p, L(p, 'แหล่งเก็บเกี่ยวข้อมูล', 'Harvest sources'), body, { breadcrumbs: [[L(p, 'แหล่งเก็บเกี่ยวข้อมูล', 'Harvest sources')]], noindex: true });
  }));

  app.get('/harvest/:id', page(web, async (p) => {
    requireManager(p);
    const id = (p.req.params as { id: string }).id;
    const s = await call<Record<string, any>>(p, 'harvest_source_show', { id });
    const jobs = await call<Array<Record<string, any>>>(p, 'harvest_job_list', { source_id: s.id, limit: 30 });
    const running = jobs.some((j) => j.status !== 'Finished');
    const body = html`<h1>${s.title}</h1>
      <dl class="meta">
        <dt>URL</dt><dd>${s.url}</dd>
        <dt>${L(p, 'ชนิด', 'Type')}</dt><dd>${s.source_type}</dd>
        <dt>${L(p, 'ความถี่', 'Frequency')}</dt><dd>${s.frequency}</dd>
        <dt>${L(p, 'หน่วยงานเจ้าของ', 'Owner organisation')}</dt><dd>${s.organization?.title ?? ''}</dd>
        <dt>${L(p, 'หมดเวลา (วินาที)', 'Time-out (s)')}</dt><dd>${s.timeout}</dd>
        <dt>${L(p, 'ชุดข้อมูลที่เก็บเกี่ยว', 'Harvested datasets')}</dt><dd>${s.status.total_datasets} (${L(p, 'ถอนออก', 'withdrawn')} ${s.status.withdrawn_datasets})</dd>
      </dl>
      ${running ? '' : html`<form method="post" action="/harvest/${encodeURIComponent(s.name)}/run">${csrfField(p)}<button type="submit">${L(p, 'เริ่มเก็บเกี่ยว', 'Harvest now')}</button></form>`}
      <table class="data">
        <caption>${L(p, 'รอบการเก็บเกี่ยว', 'Harvest runs')}</caption>
        <thead><tr><th scope="col">${L(p, 'เริ่ม', 'Created')}</th><th scope="col">${L(p, 'สถานะ', 'Status')}</th><th scope="col">${L(p, 'ความคืบหน้า', 'Progress')}</th>
          <th scope="col">${L(p, 'เพิ่ม', 'added')}</th><th scope="col">${L(p, 'ปรับปรุง', 'updated')}</th><th scope="col">${L(p, 'ไม่เปลี่ยนแปลง', 'not modified')}</th><th scope="col">${L(p, 'ผิดพลาด', 'errored')}</th><th scope="col">${L(p, 'ถอนออก', 'deleted')}</th></tr></thead>
        <tbody>${jobs.map((j) => html`<tr>
          <td>${timeEl(p.lang, j.created, true)}</td>
          <td>${statusText(p, j)}${j.error && !j.aborted ? html`<br><small>${j.error}</small>` : ''}</td>
          <td><progress max="${Math.max(j.progress.total || j.progress.objects, 1)}" value="${j.progress.done}">${j.progress.done}</progress> ${j.progress.done}/${j.progress.total || j.progress.objects}</td>
          <td>${j.stats.added}</td><td>${j.stats.updated}</td><td>${j.stats['not modified']}</td><td>${j.stats.errored}</td><td>${j.stats.deleted}</td>
        </tr>`)}</tbody>
      </table>`;
    return render(p, s.title, body, { breadcrumbs: [[L(p, 'แหล่งเก็บเกี่ยวข้อมูล', 'Harvest sources'), '/harvest'], [s.title]], noindex: true });
  }));

  app.post('/harvest/:id/run', form(web, async (p) => {
    const id = (p.req.params as { id: string }).id;
    const s = await call<Record<string, any>>(p, 'harvest_source_show', { id });
    await call(p, 'harvest_job_create', { source_id: s.id });
    return redirect(p, `/harvest/${encodeURIComponent(s.name)}`);
  }));
}
