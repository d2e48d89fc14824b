import type { FastifyInstance } from 'fastify';
import { AuthorizationError } from '../../actions/errors.ts';
import { html } from '../html.ts';
import { call, form, may, page, redirect, render, type Web } from '../context.ts';
import { csrfField } from '../layout.ts';
import { datasetCrumbs, datasetHeader } from '../components/dataset-header.ts';
import type { GroupDict, PackageDict } from '../components/types.ts';

/** CKAN's "Groups" tab of a dataset: editors of its organisation put it into thematic groups. */
export function datasetGroupRoutes(app: FastifyInstance, web: Web): void {
  app.get('/dataset/groups/:id', page(web, async (p) => {
    const { t } = p;
    const d = await call<PackageDict>(p, 'package_show', { id: (p.req.params as { id: string }).id });
    if (!may(p, 'group_dataset_add', { owner_org: d.owner_org })) throw new AuthorizationError();
    const groups = await call<GroupDict[]>(p, 'group_list', { all_fields: true, limit: 1000 });
    const current = new Set(((d.groups ?? []) as GroupDict[]).map((g) => g.name));
    const body = html`${datasetHeader(p, d, 'groups', 2)}
      <h1>${t('groups.title')}</h1>
      ${groups.length ? html`<form method="post" action="/dataset/groups/${encodeURIComponent(d.name)}">${csrfField(p)}
        <fieldset class="field"><legend>${t('groups.choose')}</legend>
          <div class="checkboxes">${groups.map((g) => html`<label class="check"><input type="checkbox" name="groups" value="${g.name}"${current.has(g.name) ? html` checked` : ''}> ${g.title || g.name}</label>`)}</div>
        </fieldset>
        <div class="form-actions"><button type="submit">${t('form.save')}</button></div>
      </form>` : html`<p class="empty">${t('group.none')}</p>`}`;
    return render(p, t('groups.title'), body, { breadcrumbs: datasetCrumbs(p, d, [t('groups.title')]), noindex: true });
  }));

  app.post('/dataset/groups/:id', form(web, async (p) => {
    const d = await call<PackageDict>(p, 'package_show', { id: (p.req.params as { id: string }).id });
    const raw = p.body.groups;
    const groups = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).map(String);
    await call(p, 'package_patch', { id: d.id, groups: groups.map((name) => ({ name })) });
    return redirect(p, `/dataset/${encodeURIComponent(d.name)}`, 'flash.saved');
  }));
}
