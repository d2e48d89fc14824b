import type { FastifyInstance } from 'fastify';
import { AuthorizationError, ValidationError, localizeErrors } from '../../actions/errors.ts';
import { getAction } from '../../actions/registry.ts';
import { ROLE_LABELS, ROLE_PERMISSIONS } from '../../access/roles.ts';
import { html, type Html } from '../html.ts';
import { call, form, may, page, redirect, render, type PageCtx, type Web } from '../context.ts';
import { csrfField } from '../layout.ts';
import { timeEl } from '../format.ts';
import { errorList, errorSummary, type FormErrors, type FormValues } from '../components/form-fields.ts';
import type { GroupDict } from '../components/types.ts';
import type { MessageKey } from '../i18n/index.ts';
import { adminUserRoutes } from './admin-users.ts';
import { auditRoutes } from './audit.ts';

type Kind = 'organization' | 'group';

function requireSysadmin(p: PageCtx): void {
  if (p.actor.kind !== 'user' || !p.actor.user.sysadmin) throw new AuthorizationError();
}

function textField(p: PageCtx, name: string, labelKey: MessageKey, values: FormValues, errors: FormErrors, opts: { type?: string; required?: boolean; help?: MessageKey; textarea?: boolean; autocomplete?: string } = {}): Html {
  const id = `field-${name}`;
  const err = errors[name]?.length;
  const described = [err ? `err-${name}` : '', opts.help ? `help-${name}` : ''].filter(Boolean).join(' ');
  const attrs = html`${described ? html` aria-describedby="${described}"` : ''}${err ? html` aria-invalid="true"` : ''}${opts.required ? html` aria-required="true"` : ''}${opts.autocomplete ? html` autocomplete="${opts.autocomplete}"` : ''}`;
  const v = values[name] === undefined || values[name] === null ? '' : String(values[name]);
  return html`<div class="field${err ? ' has-error' : ''}">
    <label for="${id}">${p.t(labelKey)}${opts.required ? html` <span class="req" aria-hidden="true">*</span>` : ''}</label>
    ${opts.help ? html`<p class="help" id="help-${name}">${p.t(opts.help)}</p>` : ''}
    ${errorList(errors, name)}
    ${opts.textarea ? html`<textarea id="${id}" name="${name}" rows="4"${attrs}>${v}</textarea>` : html`<input id="${id}" name="${name}" type="${opts.type ?? 'text'}" value="${v}"${attrs}>`}
  </div>`;
}

function adminNav(p: PageCtx, current: string): Html {
  const { t } = p;
  const link = (href: string, key: MessageKey) => html`<li><a href="${href}"${current === href ? html` aria-current="page"` : ''}>${t(key)}</a></li>`;
  return html`<nav aria-label="${t('nav.admin')}" class="tabs"><ul>
    ${link('/ckan-admin', 'admin.home')}
    ${link('/ckan-admin/users', 'admin.users')}
    ${link('/ckan-admin/audit', 'admin.audit')}
    ${link('/ckan-admin/organization/new', 'org.add')}
    ${link('/ckan-admin/group/new', 'group.add')}
  </ul></nav>`;
}

async function usersPage(p: PageCtx, values: FormValues = {}, errors: FormErrors = {}, status = 200) {
  const { t, lang } = p;
  const q = typeof (p.req.query as Record<string, unknown>).q === 'string' ? String((p.req.query as Record<string, unknown>).q) : '';
  const users = await call<Array<Record<string, any>>>(p, 'user_list', { q, include_deleted: true });
  const canReset = !!getAction('user_totp_reset');
  const body = html`<h1>${t('admin.users')}</h1>${adminNav(p, '/ckan-admin/users')}
    <form method="get" action="/ckan-admin/users" role="search" class="search-form">
      <label for="user-q" class="visually-hidden">${t('admin.find_user')}</label>
      <input id="user-q" type="search" name="q" value="${q}" placeholder="${t('admin.find_user')}">
      <button type="submit">${t('search.submit')}</button>
    </form>
    <table class="data">
      <caption>${t('admin.users_caption', { n: users.length })}</caption>
      <thead><tr><th scope="col">${t('user.username')}</th><th scope="col">${t('user.fullname')}</th><th scope="col">${t('user.email')}</th><th scope="col">${t('twofa.title')}</th><th scope="col">${t('user.member_since')}</th><th scope="col"><span class="visually-hidden">${t('common.actions')}</span></th></tr></thead>
      <tbody>${users.map((u) => html`<tr>
        <td><a href="/ckan-admin/users/${encodeURIComponent(u.name)}">${u.name}</a>${u.sysadmin ? html` <span class="badge">${t('user.sysadmin')}</span>` : ''}${u.state === 'deleted' ? html` <span class="badge badge-deleted">${t('admin.user_deactivated')}</span>` : ''}</td>
        <td>${u.fullname}</td><td>${u.email}</td>
        <td>${u.totp_enabled ? t('twofa.on') : t('twofa.off')}</td>
        <td>${timeEl(lang, u.created)}</td>
        <td>${canReset && u.totp_enabled ? html`<form method="post" action="/ckan-admin/users/${encodeURIComponent(u.name)}/2fa-reset" class="inline">${csrfField(p)}<button type="submit" class="danger small">${t('twofa.reset')}<span class="visually-hidden"> ${u.name}</span></button></form>` : ''}</td>
      </tr>`)}</tbody>
    </table>
    <section class="panel" aria-labelledby="new-user">
      <h2 id="new-user">${t('admin.new_user')}</h2>
      ${errorSummary(p, errors, (f) => f)}
      <form method="post" action="/ckan-admin/users" novalidate>${csrfField(p)}
        ${textField(p, 'name', 'user.username', values, errors, { required: true, help: 'admin.username_help', autocomplete: 'off' })}
        ${textField(p, 'fullname', 'user.fullname', values, errors)}
        ${textField(p, 'email', 'user.email', values, errors, { type: 'email', required: true })}
        ${textField(p, 'password', 'password.new', {}, errors, { type: 'password', required: true, help: 'admin.password_help', autocomplete: 'new-password' })}
        <div class="field"><label class="check"><input type="checkbox" name="sysadmin" value="true"${values.sysadmin ? html` checked` : ''}> ${t('user.sysadmin')}</label></div>
        <button type="submit">${t('admin.create_user')}</button>
      </form>
    </section>`;
  return render(p, t('admin.users'), body, { breadcrumbs: [[t('nav.admin'), '/ckan-admin'], [t('admin.users')]], noindex: true }, status);
}

async function groupForm(p: PageCtx, kind: Kind, current: GroupDict | null, values: FormValues, errors: FormErrors, status = 200) {
  const { t } = p;
  const orgs = kind === 'organization' ? await call<GroupDict[]>(p, 'organization_list', { all_fields: true, limit: 1000 }) : [];
  const action = current ? `/${kind}/edit/${encodeURIComponent(current.name)}` : `/ckan-admin/${kind}/new`;
  const title = current ? t(kind === 'organization' ? 'org.edit' : 'group.edit') : t(kind === 'organization' ? 'org.add' : 'group.add');
  const parent = String(values.parent ?? '');
  const body = html`<h1>${title}</h1>
    ${errorSummary(p, errors, (f) => f)}
    <form method="post" action="${action}" novalidate>${csrfField(p)}
      ${textField(p, 'title', 'org.title', values, errors, { required: true })}
      ${textField(p, 'name', 'org.name', values, errors, { required: true, help: 'org.name_help', autocomplete: 'off' })}
      ${textField(p, 'description', 'org.description', values, errors, { textarea: true })}
      ${textField(p, 'image_url', 'org.image_url', values, errors, { type: 'url' })}
      ${kind === 'organization' ? html`<div class="field${errors.parent ? ' has-error' : ''}">
        <label for="field-parent">${t('org.parent')}</label>
        <p class="help" id="help-parent">${t('org.parent_help')}</p>
        ${errorList(errors, 'parent')}
        <select id="field-parent" name="parent" aria-describedby="help-parent">
          <option value="">${t('org.top_level')}</option>
          ${orgs.filter((o) => o.name !== current?.name).map((o) => html`<option value="${o.name}"${parent === o.name ? html` selected` : ''}>${o.title || o.name}</option>`)}
        </select>
      </div>` : ''}
      <div class="form-actions"><button type="submit">${t('form.save')}</button></div>
    </form>`;
  return render(p, title, body, { breadcrumbs: [[t(kind === 'organization' ? 'nav.organizations' : 'nav.groups'), `/${kind}`], [title]], noindex: true }, status);
}

async function saveGroup(p: PageCtx, kind: Kind, current: GroupDict | null) {
  const b = p.body;
  const input: Record<string, unknown> = {
    name: String(b.name ?? '').trim(), title: String(b.title ?? '').trim(), description: String(b.description ?? ''), image_url: String(b.image_url ?? '').trim(),
  };
  if (kind === 'organization') input.parent = String(b.parent ?? '');
  try {
    const g = current ? await call<GroupDict>(p, `${kind}_patch`, { ...input, id: current.id }) : await call<GroupDict>(p, `${kind}_create`, input);
    return redirect(p, `/${kind}/${encodeURIComponent(g.name)}`, 'flash.saved');
  } catch (e) {
    if (!(e instanceof ValidationError)) throw e;
    return groupForm(p, kind, current, b, localizeErrors(e.errors, p.lang), 400);
  }
}

async function membersPage(p: PageCtx, org: GroupDict, values: FormValues = {}, errors: FormErrors = {}, status = 200) {
  const { t, lang } = p;
  const users = (org.users ?? []) as Array<Record<string, string>>;
  const base = `/organization/members/${encodeURIComponent(org.name)}`;
  const roleSelect = (id: string, chosen: string) => html`<select id="${id}" name="role">${Object.keys(ROLE_PERMISSIONS).map((r) => html`<option value="${r}"${r === chosen ? html` selected` : ''}>${ROLE_LABELS[r]?.[lang] ?? r}</option>`)}</select>`;
  const body = html`<h1>${t('admin.members_of', { name: org.title || org.name })}</h1>
    <table class="data">
      <caption>${t('admin.members')}</caption>
      <thead><tr><th scope="col">${t('user.username')}</th><th scope="col">${t('admin.role')}</th><th scope="col"><span class="visually-hidden">${t('common.actions')}</span></th></tr></thead>
      <tbody>${users.map((u) => html`<tr>
        <td><a href="/user/${encodeURIComponent(u.name!)}">${u.display_name || u.name}</a></td>
        <td><form method="post" action="${base}" class="inline">${csrfField(p)}<input type="hidden" name="username" value="${u.name}">
          <label for="role-${u.id}" class="visually-hidden">${t('admin.role_of', { name: u.name! })}</label>${roleSelect(`role-${u.id}`, u.capacity!)}
          <button type="submit" class="secondary small">${t('admin.change_role')}<span class="visually-hidden"> ${u.name}</span></button></form></td>
        <td><form method="post" action="${base}/delete" class="inline">${csrfField(p)}<input type="hidden" name="username" value="${u.name}"><button type="submit" class="danger small">${t('admin.remove')}<span class="visually-hidden"> ${u.name}</span></button></form></td>
      </tr>`)}</tbody>
    </table>
    <section class="panel" aria-labelledby="add-member"><h2 id="add-member">${t('admin.add_member')}</h2>
      <form method="post" action="${base}" novalidate>${csrfField(p)}
        ${textField(p, 'username', 'user.username', values, errors, { required: true, autocomplete: 'off' })}
        <div class="field"><label for="new-role">${t('admin.role')}</label>${errorList(errors, 'role')}${roleSelect('new-role', String(values.role ?? 'editor'))}</div>
        <button type="submit">${t('admin.add_member')}</button>
      </form>
      <p class="help">${t('admin.roles_help')}</p>
    </section>`;
  return render(p, t('admin.members'), body, { breadcrumbs: [[t('nav.organizations'), '/organization'], [org.title || org.name, `/organization/${encodeURIComponent(org.name)}`], [t('admin.members')]], noindex: true }, status);
}

export function adminRoutes(app: FastifyInstance, web: Web): void {
  app.get('/ckan-admin', page(web, async (p) => {
    requireSysadmin(p);
    const { t } = p;
    const audit = await call<{ intact: boolean; entries: number }>(p, 'audit_verify', {});
    const body = html`<h1>${t('nav.admin')}</h1>${adminNav(p, '/ckan-admin')}
      <ul class="cards">
        <li class="card"><div><h2><a href="/ckan-admin/users">${t('admin.users')}</a></h2><p>${t('admin.users_help')}</p></div></li>
        <li class="card"><div><h2><a href="/organization">${t('nav.organizations')}</a></h2><p>${t('admin.orgs_help')}</p></div></li>
        <li class="card"><div><h2><a href="/group">${t('nav.groups')}</a></h2><p>${t('admin.groups_help')}</p></div></li>
      </ul>
      <section aria-labelledby="audit-title"><h2 id="audit-title">${t('admin.audit')}</h2>
        <p>${audit.intact ? t('admin.audit_ok', { n: audit.entries }) : t('admin.audit_broken')}</p>
        <p><a href="/ckan-admin/audit">${t('audit.open')}</a> · <a href="/ckan-admin/audit/verify">${p.lang === 'en' ? 'Verification report' : 'รายงานการตรวจสอบความครบถ้วน'}</a></p></section>`;
    return render(p, t('nav.admin'), body, { breadcrumbs: [[t('nav.admin')]], noindex: true });
  }));
  app.get('/user', page(web, async (p) => redirect(p, '/ckan-admin/users')));
  adminUserRoutes(app, web);
  auditRoutes(app, web);
  app.get('/ckan-admin/users', page(web, async (p) => (requireSysadmin(p), usersPage(p))));
  app.post('/ckan-admin/users', form(web, async (p) => {
    requireSysadmin(p);
    const b = p.body;
    try {
      await call(p, 'user_create', { name: String(b.name ?? '').trim(), fullname: String(b.fullname ?? ''), email: String(b.email ?? '').trim(), password: String(b.password ?? ''), sysadmin: b.sysadmin === 'true', must_change_password: true });
    } catch (e) {
      if (!(e instanceof ValidationError)) throw e;
      return usersPage(p, { ...b, password: '' }, localizeErrors(e.errors, p.lang), 400);
    }
    return redirect(p, '/ckan-admin/users', 'flash.user_created');
  }));
  app.post('/ckan-admin/users/:id/2fa-reset', form(web, async (p) => {
    const id = (p.req.params as { id: string }).id;
    await call(p, 'user_totp_reset', { id, user: id });
    return redirect(p, `/ckan-admin/users/${encodeURIComponent(id)}`, 'flash.twofa_reset');
  }));

  for (const kind of ['organization', 'group'] as const) {
    app.get(`/ckan-admin/${kind}/new`, page(web, async (p) => {
      if (!may(p, `${kind}_create`)) throw new AuthorizationError();
      return groupForm(p, kind, null, {}, {});
    }));
    app.post(`/ckan-admin/${kind}/new`, form(web, async (p) => saveGroup(p, kind, null)));
    app.get(`/${kind}/edit/:id`, page(web, async (p) => {
      const g = await call<GroupDict>(p, `${kind}_show`, { id: (p.req.params as { id: string }).id });
      if (!may(p, `${kind}_update`, g)) throw new AuthorizationError();
      return groupForm(p, kind, g, { ...g, parent: g.parent?.name ?? '' }, {});
    }));
    app.post(`/${kind}/edit/:id`, form(web, async (p) => saveGroup(p, kind, await call<GroupDict>(p, `${kind}_show`, { id: (p.req.params as { id: string }).id }))));
  }

  app.get('/organization/members/:id', page(web, async (p) => {
    const org = await call<GroupDict>(p, 'organization_show', { id: (p.req.params as { id: string }).id });
    if (!may(p, 'organization_member_create', org)) throw new AuthorizationError();
    return membersPage(p, org);
  }));
  app.post('/organization/members/:id', form(web, async (p) => {
    const id = (p.req.params as { id: string }).id;
    try {
      await call(p, 'organization_member_create', { id, username: String(p.body.username ?? '').trim(), role: String(p.body.role ?? '') });
    } catch (e) {
      if (!(e instanceof ValidationError)) throw e;
      return membersPage(p, await call<GroupDict>(p, 'organization_show', { id }), p.body, localizeErrors(e.errors, p.lang), 400);
    }
    return redirect(p, `/organization/members/${encodeURIComponent(id)}`, 'flash.saved');
  }));
  app.post('/organization/members/:id/delete', form(web, async (p) => {
    const id = (p.req.params as { id: string }).id;
    await call(p, 'organization_member_delete', { id, username: String(p.body.username ?? '') });
    return redirect(p, `/organization/members/${encodeURIComponent(id)}`, 'flash.member_removed');
  }));
}
