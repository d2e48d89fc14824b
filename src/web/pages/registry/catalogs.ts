import type { FastifyInstance } from 'fastify';
import { html } from '../../html.ts';
import { call, form, page, redirect, render, type Web } from '../../context.ts';
import { csrfField } from '../../layout.ts';
import { L } from './common.ts';
import { CATALOG_KINDS, DEFAULT_CATALOG_KIND } from '../../../registry/catalog-kinds.ts';

/** The source's catalog kind (config.catalog_kind; config comes as ckanext-harvest's JSON text). */
function kindOf(s: Record<string, any>): string {
  let cfg: unknown = s.config;
  if (typeof cfg === 'string') {
    try {
      cfg = JSON.parse(cfg);
    } catch {
      cfg = {};
    }
  }
  const k = cfg && typeof cfg === 'object' ? (cfg as Record<string, unknown>).catalog_kind : undefined;
  return typeof k === 'string' ? k : DEFAULT_CATALOG_KIND;
}

/**
 * Registry: an agency's catalog is registered as a harvest source owned by the agency's organisation
 * (harvest_source_create, so the harvest policy decides: that organisation's admins, sysadmins).
 */
export function registryCatalogRoutes(app: FastifyInstance, web: Web): void {
  app.get('/registry/catalogs', page(web, async (p) => {
    const sources = await call<Array<Record<string, any>>>(p, 'harvest_source_list', {});
    const orgs = p.actor.kind === 'user' ? await call<Array<Record<string, any>>>(p, 'organization_list_for_user', { permission: 'manage_members' }) : [];
    const title = L(p, 'บัญชีข้อมูลหน่วยงานที่ลงทะเบียน', 'Registered agency catalogs');
    const body = html`<h1>${title}</h1>
      <table class="data"><caption>${L(p, `${sources.length} บัญชีข้อมูล`, `${sources.length} catalogs`)}</caption>
        <thead><tr><th scope="col">${L(p, 'บัญชีข้อมูล', 'Catalog')}</th><th scope="col">URL</th><th scope="col">${L(p, 'หน่วยงาน', 'Agency')}</th><th scope="col">${L(p, 'ประเภทบัญชีข้อมูล', 'Catalog kind')}</th><th scope="col">${L(p, 'ความถี่', 'Frequency')}</th></tr></thead>
        <tbody>${sources.map((s) => {
          const k = CATALOG_KINDS.find((x) => x.value === kindOf(s));
          return html`<tr><td><a href="/harvest/${encodeURIComponent(s.name)}">${s.title}</a></td><td>${s.url}</td><td>${s.organization?.title ?? ''}</td><td>${k ? L(p, k.label.th, k.label.en) : kindOf(s)}</td><td>${s.frequency}</td></tr>`;
        })}</tbody></table>
      ${orgs.length ? html`<h2>${L(p, 'ลงทะเบียนบัญชีข้อมูลของหน่วยงาน', 'Register an agency catalog')}</h2>
      <form method="post" action="/registry/catalogs">${csrfField(p)}
        <p><label>${L(p, 'ชื่อย่อ (a-z, 0-9, -)', 'Short name (a-z, 0-9, -)')}<br><input name="name" required pattern="[a-z0-9_-]{2,100}"></label></p>
        <p><label>${L(p, 'ชื่อบัญชีข้อมูล', 'Title')}<br><input name="title" size="60"></label></p>
        <p><label>${L(p, 'URL ของบัญชีข้อมูล (CKAN หรือ DCAT)', 'Catalog URL (CKAN or DCAT)')}<br><input name="url" type="url" required size="60"></label></p>
        <p><label>${L(p, 'ชนิด', 'Type')} <select name="source_type"><option value="ckan">CKAN</option><option value="dcat">DCAT</option></select></label>
           <label>${L(p, 'ความถี่', 'Frequency')} <select name="frequency">${['MANUAL', 'HOURLY', 'DAILY', 'WEEKLY'].map((f) => html`<option value="${f}" ${f === 'DAILY' ? 'selected' : ''}>${f}</option>`)}</select></label></p>
        <p><label>${L(p, 'ประเภทบัญชีข้อมูล', 'Catalog kind')} <select name="catalog_kind">${CATALOG_KINDS.map((k) => html`<option value="${k.value}">${L(p, k.label.th, k.label.en)}</option>`)}</select></label></p>
        <p><label>${L(p, 'หน่วยงานเจ้าของ', 'Owner agency')} <select name="owner_org">${orgs.map((o) => html`<option value="${o.name}">${o.title}</option>`)}</select></label></p>
        <button type="submit">${L(p, 'ลงทะเบียน', 'Register')}</button>
      </form>` : ''}`;
    return render(p, title, body, { breadcrumbs: [[title]], noindex: true });
  }));

  app.post('/registry/catalogs', form(web, async (p) => {
    const f = (k: string) => (typeof p.body[k] === 'string' ? (p.body[k] as string) : '');
    await call(p, 'harvest_source_create', { name: f('name'), title: f('title'), url: f('url'), source_type: f('source_type') || 'ckan', frequency: f('frequency') || 'DAILY', owner_org: f('owner_org'), config: { catalog_kind: f('catalog_kind') || DEFAULT_CATALOG_KIND } });
    return redirect(p, '/registry/catalogs', 'flash.saved');
  }));
}
