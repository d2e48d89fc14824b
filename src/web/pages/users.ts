import type { FastifyInstance } from 'fastify';
import { ValidationError, localizeErrors } from '../../actions/errors.ts';
import { html } from '../html.ts';
import { call, form, page, redirect, render, type PageCtx, type Web } from '../context.ts';
import { csrfField } from '../layout.ts';
import { richText, timeEl } from '../format.ts';
import { datasetList } from '../components/datasets.ts';
import { errorList, type FormErrors } from '../components/form-fields.ts';
import type { GroupDict, PackageDict } from '../components/types.ts';
import { ROLE_LABELS } from '../../access/roles.ts';

interface Token {
  id: string;
  name: string;
  created_at: string | null;
  last_access: string | null;
  expires_at: string | null;
}

function isSelf(p: PageCtx, user: Record<string, unknown>): boolean {
  return p.actor.kind === 'user' && p.actor.user.id === user.id;
}

async function tokensPage(p: PageCtx, user: Record<string, any>, created?: string, errors: FormErrors = {}, status = 200) {
  const { t, lang } = p;
  const tokens = await call<Token[]>(p, 'api_token_list', { user: user.name });
  const base = `/user/${encodeURIComponent(user.name)}/api-tokens`;
  const body = html`<h1>${t('tokens.title')}</h1>
    <p>${t('tokens.help')}</p>
    ${created ? html`<div class="notice notice-success" role="status">
      <p><strong>${t('tokens.created')}</strong></p>
      <p><label for="new-token">${t('tokens.copy_now')}</label></p>
      <input id="new-token" type="text" readonly value="${created}" class="mono wide" data-select-on-focus>
    </div>` : ''}
    <form method="post" action="${base}" class="inline-form" novalidate>${csrfField(p)}
      <div class="field${errors.name ? ' has-error' : ''}">
        <label for="token-name">${t('tokens.name')}</label>
        ${errorList(errors, 'name')}
        <input id="token-name" name="name" type="text" maxlength="200" required${errors.name ? html` aria-invalid="true" aria-describedby="err-name"` : ''}>
      </div>
      <div class="field">
        <label for="token-expiry">${t('tokens.expires_in')}</label>
        ${errorList(errors, 'expires_in')}
        <select id="token-expiry" name="expires_in">
          <option value="30">${t('tokens.days', { n: 30 })}</option>
          <option value="90" selected>${t('tokens.days', { n: 90 })}</option>
          <option value="365">${t('tokens.days', { n: 365 })}</option>
        </select>
      </div>
      <button type="submit">${t('tokens.create')}</button>
    </form>
    ${tokens.length ? html`<table class="data">
      <caption>${t('tokens.list')}</caption>
      <thead><tr><th scope="col">${t('tokens.name')}</th><th scope="col">${t('tokens.created_at')}</th><th scope="col">${t('tokens.last_used')}</th><th scope="col">${t('tokens.expires')}</th><th scope="col"><span class="visually-hidden">${t('common.actions')}</span></th></tr></thead>
      <tbody>${tokens.map((tk) => html`<tr>
        <td>${tk.name}</td><td>${timeEl(lang, tk.created_at, true)}</td><td>${tk.last_access ? timeEl(lang, tk.last_access, true) : '—'}</td><td>${tk.expires_at ? timeEl(lang, tk.expires_at) : t('tokens.never')}</td>
        <td><form method="post" action="${base}/${tk.id}/revoke" class="inline">${csrfField(p)}<button type="submit" class="danger small">${t('tokens.revoke')}<span class="visually-hidden"> ${tk.name}</span></button></form></td>
      </tr>`)}</tbody>
    </table>` : html`<p class="empty">${t('tokens.none')}</p>`}`;
  return render(p, t('tokens.title'), body, { breadcrumbs: [[user.display_name || user.name, `/user/${encodeURIComponent(user.name)}`], [t('tokens.title')]], noindex: true }, status);
}

export function userRoutes(app: FastifyInstance, web: Web): void {
  app.get('/user/:id', page(web, async (p) => {
    const { t, lang } = p;
    // The user's datasets come with user_show: the ones the visitor may see (drafts only for themself).
    const user = await call<Record<string, any>>(p, 'user_show', { id: (p.req.params as { id: string }).id, include_datasets: true });
    const self = isSelf(p, user);
    const orgs = self ? await call<GroupDict[]>(p, 'organization_list_for_user', { permission: 'read' }) : [];
    const datasets = (user.datasets ?? []) as PackageDict[];
    const body = html`<div class="with-sidebar">
      <div class="main-col">
        <h1>${user.display_name || user.name}</h1>
        ${user.about ? richText(user.about) : ''}
        ${self ? html`<section aria-labelledby="my-orgs"><h2 id="my-orgs">${t('user.my_orgs')}</h2>
          ${orgs.length ? html`<ul class="plain">${orgs.map((o) => html`<li><a href="/organization/${encodeURIComponent(o.name)}">${o.title || o.name}</a> <span class="muted">(${ROLE_LABELS[o.capacity]?.[lang] ?? o.capacity})</span></li>`)}</ul>` : html`<p class="muted">${t('user.no_orgs')}</p>`}
        </section>` : ''}
        ${datasets.length || self ? html`<section aria-labelledby="my-datasets"><h2 id="my-datasets">${t(self ? 'user.my_datasets' : 'user.datasets')}</h2>${datasetList(p, datasets, { headingLevel: 3 })}</section>` : ''}
      </div>
      <aside class="sidebar" aria-label="${t('user.about')}">
        <section><h2>${t('user.username')}</h2><p>${user.name}</p></section>
        ${user.email ? html`<section><h2>${t('user.email')}</h2><p>${user.email}</p></section>` : ''}
        <section><h2>${t('user.member_since')}</h2><p>${timeEl(lang, user.created)}</p></section>
        ${user.sysadmin ? html`<section><p class="badge">${t('user.sysadmin')}</p></section>` : ''}
        ${self ? html`<section><h2>${t('user.settings')}</h2><ul class="plain">
          <li><a href="/user/${encodeURIComponent(user.name)}/api-tokens">${t('tokens.title')}</a></li>
          <li><a href="/user/2fa">${t('twofa.title')}</a></li>
          <li><a href="/user/password">${t('password.title')}</a></li>
        </ul></section>` : ''}
      </aside>
    </div>`;
    return render(p, user.display_name || user.name, body, { breadcrumbs: [[user.display_name || user.name]] });
  }));

  app.get('/user/:id/api-tokens', page(web, async (p) => {
    const user = await call<Record<string, any>>(p, 'user_show', { id: (p.req.params as { id: string }).id });
    return tokensPage(p, user);
  }));

  app.post('/user/:id/api-tokens', form(web, async (p) => {
    const user = await call<Record<string, any>>(p, 'user_show', { id: (p.req.params as { id: string }).id });
    try {
      const expires = typeof p.body.expires_in === 'string' && p.body.expires_in ? { expires_in: p.body.expires_in } : {};
      const created = await call<{ token: string }>(p, 'api_token_create', { user: user.name, name: String(p.body.name ?? '').trim() || 'api', ...expires });
      return tokensPage(p, user, created.token);
    } catch (e) {
      if (!(e instanceof ValidationError)) throw e;
      return tokensPage(p, user, undefined, localizeErrors(e.errors, p.lang), 400);
    }
  }));

  app.post('/user/:id/api-tokens/:jti/revoke', form(web, async (p) => {
    const { id, jti } = p.req.params as { id: string; jti: string };
    await call(p, 'api_token_revoke', { jti });
    return redirect(p, `/user/${encodeURIComponent(id)}/api-tokens`, 'flash.token_revoked');
  }));
}
