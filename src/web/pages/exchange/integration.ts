import type { FastifyInstance } from 'fastify';
import { html, type Html } from '../../html.ts';
import { call, form, page, redirect, render, signedIn, type PageCtx, type Web } from '../../context.ts';
import { csrfField, errorPage } from '../../layout.ts';
import { AuthorizationError, ValidationError, localizeErrors } from '../../../actions/errors.ts';
import { CODES } from '../../../actions/governance/agreements-shared.ts';
import { PULL_KINDS } from '../../../exchange/integration/pull.ts';
import { L } from '../governance/common.ts';

/**
 * Data integration as pages (seed 004's "Data Integration" tool): the scheduled pulls of the
 * caller's organisations with their last run, a form to schedule one, and "run now". The
 * connection string goes in once and is never shown again (the action seals it).
 */
type Source = { id: string; name: string; resource_id: string; kind: string; url: string; query: string; records_path: string; has_connection: boolean; frequency: string; active: boolean; next_run: string | null; last_run: string | null; last_state: string; last_rows: number | null; last_error: string | null };

const KIND_LABEL: Record<string, [string, string]> = {
  postgresql: ['ฐานข้อมูล PostgreSQL (คำสั่ง SELECT แบบอ่านอย่างเดียว)', 'PostgreSQL database (a read-only SELECT)'],
  mariadb: ['ฐานข้อมูล MariaDB / MySQL (คำสั่ง SELECT แบบอ่านอย่างเดียว)', 'MariaDB / MySQL database (a read-only SELECT)'],
  csv_url: ['ไฟล์ CSV จาก URL', 'CSV file from a URL'],
  json_url: ['JSON API จาก URL', 'JSON API from a URL'],
};
const STATE_LABEL: Record<string, [string, string]> = {
  never: ['ยังไม่เคยนำเข้า', 'Not run yet'], running: ['กำลังนำเข้า', 'Running'], ok: ['สำเร็จ', 'Succeeded'], failed: ['ไม่สำเร็จ', 'Failed'],
};
const freqLabel = (p: PageCtx, v: string) => {
  const c = CODES.delivery_frequency.find((x) => x.value === v);
  return c ? L(p, c.label.th, c.label.en) : v;
};
const when = (v: string | null) => (v ? v.replace('T', ' ').slice(0, 16) : '—');

function sourceForm(p: PageCtx, v: Record<string, unknown>, errors: Record<string, string[]>): Html {
  const err = (k: string) => (errors[k]?.length ? html`<p class="field-error" id="i-${k}-err">${errors[k]!.join(' ')}</p>` : '');
  const field = (k: string, th: string, en: string, control: Html, hint?: Html) =>
    html`<div class="field${errors[k] ? ' has-error' : ''}"><label for="i-${k}">${L(p, th, en)}</label>${hint ? html`<p class="hint">${hint}</p>` : ''}${err(k)}${control}</div>`;
  const val = (k: string) => (typeof v[k] === 'string' ? (v[k] as string) : '');
  return html`<form method="post" action="/exchange/integration" class="stacked" autocomplete="off">${csrfField(p)}
    ${field('name', 'ชื่อแหล่งนำเข้า (a-z 0-9 _ -)', 'Source name (a-z 0-9 _ -)', html`<input id="i-name" name="name" value="${val('name')}" required pattern="[a-z0-9][a-z0-9_\\-]{1,62}">`)}
    ${field('resource_id', 'ทรัพยากรปลายทาง (รหัสทรัพยากร)', 'Target resource (resource id)', html`<input id="i-resource_id" name="resource_id" value="${val('resource_id')}" required>`,
      html`${L(p, 'ข้อมูลที่ดึงมาจะแทนตารางของทรัพยากรนี้ทั้งตาราง (DataStore) ทุกครั้งที่นำเข้า', 'Each run replaces this resource\'s whole table (DataStore).')}`)}
    ${field('kind', 'ชนิดแหล่งข้อมูล', 'Source kind', html`<select id="i-kind" name="kind">${PULL_KINDS.map((k) => html`<option value="${k}"${val('kind') === k ? html` selected` : ''}>${L(p, KIND_LABEL[k]![0], KIND_LABEL[k]![1])}</option>`)}</select>`)}
    ${field('connection', 'การเชื่อมต่อฐานข้อมูล (เฉพาะฐานข้อมูล)', 'Database connection (databases only)', html`<input id="i-connection" name="connection" type="password" placeholder="postgresql://user:password@host:5432/db">`,
      html`${L(p, 'เก็บแบบเข้ารหัส และจะไม่แสดงอีก ใช้บัญชีที่อ่านได้อย่างเดียว', 'Kept sealed and never shown again; use a read-only account.')}`)}
    ${field('query', 'คำสั่ง SELECT (เฉพาะฐานข้อมูล)', 'SELECT statement (databases only)', html`<textarea id="i-query" name="query" rows="4">${val('query')}</textarea>`)}
    ${field('url', 'URL (เฉพาะ CSV / JSON)', 'URL (CSV / JSON only)', html`<input id="i-url" name="url" type="url" value="${val('url')}">`)}
    ${field('records_path', 'ตำแหน่งรายการใน JSON เช่น data.items', 'Where the records are in the JSON, e.g. data.items', html`<input id="i-records_path" name="records_path" value="${val('records_path')}">`)}
    ${field('frequency', 'ความถี่ในการนำเข้า', 'How often', html`<select id="i-frequency" name="frequency">${CODES.delivery_frequency.map((c) => html`<option value="${c.value}"${val('frequency') === c.value ? html` selected` : ''}>${L(p, c.label.th, c.label.en)}</option>`)}</select>`)}
    <button type="submit">${L(p, 'ตั้งเวลานำเข้า', 'Schedule the pull')}</button></form>`;
}

export function integrationRoutes(app: FastifyInstance, web: Web): void {
  const title = (p: PageCtx) => L(p, 'การนำเข้าข้อมูลอัตโนมัติ (Data Integration)', 'Data integration (scheduled pulls)');
  const list = async (p: PageCtx, values: Record<string, unknown> = {}, errors: Record<string, string[]> = {}, status = 200) => {
    const sources = await call<Source[]>(p, 'integration_source_list', {});
    const q = p.req.query as Record<string, unknown>;
    const prefill = { frequency: 'daily', ...(typeof q.resource_id === 'string' ? { resource_id: q.resource_id.slice(0, 40) } : {}), ...values };
    const body = html`<h1>${title(p)}</h1>
      <p>${L(p, 'ดึงข้อมูลจากฐานข้อมูลหรือ URL ของหน่วยงานเข้าสู่ตาราง DataStore ตามเวลาที่กำหนด ทุกครั้งที่นำเข้าจะบันทึกเป็นการส่งมอบข้อมูลในระบบติดตามการเชื่อมโยง',
        'Pull from the agency\'s own database or a URL into a DataStore table on a schedule; every run is recorded as a delivery for integration monitoring.')}</p>
      ${sources.length
        ? html`<table><caption>${L(p, `แหล่งนำเข้า ${sources.length} แหล่ง`, `${sources.length} sources`)}</caption>
          <thead><tr><th>${L(p, 'ชื่อ', 'Name')}</th><th>${L(p, 'ชนิด', 'Kind')}</th><th>${L(p, 'ความถี่', 'Frequency')}</th><th>${L(p, 'นำเข้าล่าสุด', 'Last run')}</th><th>${L(p, 'ผล', 'Result')}</th><th>${L(p, 'จำนวนแถว', 'Rows')}</th><th>${L(p, 'ครั้งถัดไป', 'Next run')}</th><th></th></tr></thead><tbody>
          ${sources.map((s) => html`<tr><td><code>${s.name}</code><br><span class="muted">${L(p, 'ทรัพยากรปลายทาง', 'target resource')} <code>${s.resource_id}</code></span></td>
            <td>${L(p, KIND_LABEL[s.kind]?.[0] ?? s.kind, KIND_LABEL[s.kind]?.[1] ?? s.kind)}</td><td>${freqLabel(p, s.frequency)}</td><td>${when(s.last_run)}</td>
            <td>${L(p, STATE_LABEL[s.last_state]?.[0] ?? s.last_state, STATE_LABEL[s.last_state]?.[1] ?? s.last_state)}${s.last_error ? html`<br><span class="field-error">${s.last_error.slice(0, 300)}</span>` : ''}</td>
            <td>${s.last_rows === null ? '—' : s.last_rows.toLocaleString('en-US')}</td><td>${when(s.next_run)}</td>
            <td><form method="post" action="/exchange/integration/${s.id}/run">${csrfField(p)}<button type="submit">${L(p, 'นำเข้าเดี๋ยวนี้', 'Run now')}</button></form></td></tr>`)}</tbody></table>`
        : html`<p>${L(p, 'ยังไม่มีแหล่งนำเข้าของหน่วยงานที่ท่านดูแล', 'No scheduled pulls of your organisations yet.')}</p>`}
      <h2>${L(p, 'ตั้งเวลานำเข้าใหม่', 'Schedule a new pull')}</h2>${sourceForm(p, prefill, errors)}`;
    return render(p, title(p), body, { breadcrumbs: [[L(p, 'การแลกเปลี่ยนข้อมูล', 'Exchange'), '/exchange'], [title(p)]], noindex: true }, status);
  };
  app.get('/exchange/integration', page(web, async (p) => (signedIn(p) ? list(p) : errorPage(p, 403))));
  app.post('/exchange/integration', form(web, async (p) => {
    if (!signedIn(p)) return errorPage(p, 403);
    const { connection: _secret, ...shown } = p.body as Record<string, unknown>;
    try {
      await call(p, 'integration_source_create', { ...p.body });
      return redirect(p, '/exchange/integration');
    } catch (e) {
      if (e instanceof ValidationError) return list(p, shown, localizeErrors(e.errors, p.lang) as Record<string, string[]>, 400);
      // A resource of an organisation the caller does not keep: said beside the field.
      if (e instanceof AuthorizationError) return list(p, shown, { resource_id: [L(p, 'ท่านไม่มีสิทธิตั้งเวลานำเข้าให้ทรัพยากรนี้', 'You may not schedule pulls for this resource')] }, 403);
      throw e;
    }
  }));
  app.post('/exchange/integration/:id/run', form(web, async (p) => {
    const { id } = p.req.params as { id: string };
    await call(p, 'integration_run', { id });
    return redirect(p, '/exchange/integration');
  }));
}
