import type { FastifyInstance } from 'fastify';
import { html } from '../html.ts';
import { call, form, page, redirect, render, signedIn, type PageCtx, type Web } from '../context.ts';
import { csrfField } from '../layout.ts';
import type { GroupDict, PackageDict } from '../components/types.ts';
import { NotFoundError, ValidationError } from '../../actions/errors.ts';

/** Area catalogs: the form an editor references another catalog's dataset with (package_reference_create). */
export function areaRoutes(app: FastifyInstance, web: Web): void {
  const show = async (p: PageCtx, errors: string[] = [], values: Record<string, string> = {}) => {
    const { t } = p;
    const orgs = await call<GroupDict[]>(p, 'organization_list_for_user', { permission: 'create_dataset' });
    const body = html`<h1>${t('area.reference_title')}</h1><p>${t('area.reference_help')}</p>
      ${errors.length ? html`<div class="notice notice-error" role="alert"><ul>${errors.map((e) => html`<li>${e}</li>`)}</ul></div>` : ''}
      <form method="post" action="/area/reference">${csrfField(p)}
        <p><label for="ref-org">${t('dataset.organization')}</label>
          <select id="ref-org" name="owner_org" required>${orgs.map((o) => html`<option value="${o.name}"${values.owner_org === o.name ? ' selected' : ''}>${o.title || o.name}</option>`)}</select></p>
        <p><label for="ref-url">${t('area.reference_url')}</label>
          <input id="ref-url" name="url" type="url" required maxlength="2000" value="${values.url ?? ''}" placeholder="https://catalog.example.go.th/dataset/…"></p>
        <button type="submit">${t('area.reference_submit')}</button>
      </form>`;
    return render(p, t('area.reference_title'), body, { breadcrumbs: [[t('area.reference_title')]], noindex: true }, errors.length ? 400 : 200);
  };
  app.get('/area/reference', page(web, async (p) => {
    if (p.services.config.siteKind !== 'area') throw new NotFoundError();
    if (!signedIn(p)) return redirect(p, '/user/login?came_from=/area/reference');
    return show(p);
  }));
  app.post('/area/reference', form(web, async (p) => {
    const values = { owner_org: String(p.body?.owner_org ?? ''), url: String(p.body?.url ?? '') };
    try {
      const d = await call<PackageDict>(p, 'package_reference_create', values);
      return redirect(p, `/dataset/${encodeURIComponent(d.name)}`, 'flash.saved');
    } catch (e) {
      if (!(e instanceof ValidationError)) throw e;
      return show(p, Object.values(e.errors).flat().map((m) => (p.lang === 'en' ? m.en : m.th)), values);
    }
  }));
}
