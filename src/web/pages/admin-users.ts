import type { FastifyInstance } from 'fastify';
import { AuthorizationError, ValidationError, localizeErrors, pick } from '../../actions/errors.ts';
import { html, type Html } from '../html.ts';
import { call, form, page, redirect, render, type PageCtx, type Web } from '../context.ts';
import { csrfField } from '../layout.ts';
import { timeEl } from '../format.ts';
import { errorList, errorSummary, type FormErrors, type FormValues } from '../components/form-fields.ts';
import type { MessageKey } from '../i18n/index.ts';

/**
 * One account for a sysadmin (issue 12): edit (full name, e-mail, about, sysadmin), deactivate and
 * reactivate, issue a password reset link (shown once here, optionally mailed), reset 2FA.
 */
type UserDict = Record<string, any>;

function requireSysadmin(p: PageCtx): void {
  if (p.actor.kind !== 'user' || !p.actor.user.sysadmin) throw new AuthorizationError();
}

function param(p: PageCtx): string {
  return (p.req.params as { id: string }).id;
}

function field(p: PageCtx, name: string, label: MessageKey, values: FormValues, errors: FormErrors, opts: { type?: string; textarea?: boolean } = {}): Html {
  const err = errors[name]?.length;
  const v = values[name] === undefined || values[name] === null ? '' : String(values[name]);
  const attrs = html`${err ? html` aria-invalid="true" aria-describedby="err-${name}"` : ''}`;
  return html`<div class="field${err ? ' has-error' : ''}">
    <label for="field-${name}">${p.t(label)}</label>
    ${errorList(errors, name)}
    ${opts.textarea ? html`<textarea id="field-${name}" name="${name}" rows="3"${attrs}>${v}</textarea>` : html`<input id="field-${name}" name="${name}" type="${opts.type ?? 'text'}" value="${v}"${attrs}>`}
  </div>`;
}

async function userPage(p: PageCtx, u: UserDict, values: FormValues, errors: FormErrors, status = 200, notice?: Html) {
  const { t, lang } = p;
  const base = `/ckan-admin/users/${encodeURIComponent(u.name)}`;
  const active = u.state !== 'deleted';
  const self = p.actor.kind === 'user' && p.actor.user.id === u.id;
  const labels: Record<string, MessageKey> = { fullname: 'user.fullname', email: 'user.email', about: 'user.about', sysadmin: 'user.sysadmin', password: 'password.old', state: 'admin.reactivate' };
  const body = html`<h1>${t('admin.user_title', { name: u.name })}${active ? '' : html` <span class="badge badge-deleted">${t('admin.user_deactivated')}</span>`}</h1>
    <p><a href="/ckan-admin/users">${t('admin.back_to_users')}</a></p>
    ${notice ?? ''}
    <p class="muted">${t('user.member_since')} ${timeEl(lang, u.created)} · ${u.totp_enabled ? t('twofa.on') : t('twofa.off')}</p>
    ${errorSummary(p, errors, (f) => (labels[f] ? t(labels[f]) : f))}
    <form method="post" action="${base}" novalidate>${csrfField(p)}
      ${field(p, 'fullname', 'user.fullname', values, errors)}
      ${field(p, 'email', 'user.email', values, errors, { type: 'email' })}
      ${self ? field(p, 'password', 'password.old', {}, errors, { type: 'password' }) : ''}
      ${field(p, 'about', 'user.about', values, errors, { textarea: true })}
      <div class="field${errors.sysadmin ? ' has-error' : ''}">${errorList(errors, 'sysadmin')}<label class="check"><input type="checkbox" name="sysadmin" value="true"${values.sysadmin === true || values.sysadmin === 'true' ? html` checked` : ''}${self ? html` disabled` : ''}> ${t('user.sysadmin')}</label></div>
      <div class="form-actions"><button type="submit">${t('form.save')}</button></div>
    </form>
    ${active ? html`<section class="panel" aria-labelledby="reset-title"><h2 id="reset-title">${t('admin.reset_link')}</h2>
      <p>${t('admin.reset_link_help')}</p>
      <form method="post" action="${base}/reset-link">${csrfField(p)}
        <div class="field"><label class="check"><input type="checkbox" name="mail" value="true"${u.email ? '' : html` disabled`}> ${t('admin.reset_link_mail')}</label></div>
        <button type="submit" class="secondary">${t('admin.reset_link_issue')}</button>
      </form></section>` : ''}
    ${u.totp_enabled ? html`<section class="panel" aria-labelledby="twofa-title"><h2 id="twofa-title">${t('twofa.title')}</h2>
      <form method="post" action="/ckan-admin/users/${encodeURIComponent(u.name)}/2fa-reset">${csrfField(p)}<button type="submit" class="danger">${t('twofa.reset')}</button></form></section>` : ''}
    ${self ? '' : html`<section class="panel" aria-labelledby="state-title"><h2 id="state-title">${t(active ? 'admin.deactivate' : 'admin.reactivate')}</h2>
      <p>${t(active ? 'admin.deactivate_help' : 'admin.reactivate_help')}</p>
      <form method="post" action="${base}/${active ? 'deactivate' : 'reactivate'}">${csrfField(p)}<button type="submit" class="${active ? 'danger' : ''}">${t(active ? 'admin.deactivate' : 'admin.reactivate')}</button></form></section>`}`;
  return render(p, t('admin.user_title', { name: u.name }), body, { breadcrumbs: [[t('nav.admin'), '/ckan-admin'], [t('admin.users'), '/ckan-admin/users'], [u.name]], noindex: true }, status);
}

const show = (p: PageCtx) => call<UserDict>(p, 'user_show', { id: param(p) });

export function adminUserRoutes(app: FastifyInstance, web: Web): void {
  app.get('/ckan-admin/users/:id', page(web, async (p) => {
    requireSysadmin(p);
    const u = await show(p);
    return userPage(p, u, u, {});
  }));

  app.post('/ckan-admin/users/:id', form(web, async (p) => {
    requireSysadmin(p);
    const u = await show(p);
    const b = p.body;
    const self = p.actor.kind === 'user' && p.actor.user.id === u.id;
    // One's own e-mail changes with the current password (user_update asks it of everyone for themself).
    const input = { id: u.id, fullname: String(b.fullname ?? ''), email: String(b.email ?? '').trim(), about: String(b.about ?? ''), ...(self ? { password: String(b.password ?? '') } : { sysadmin: b.sysadmin === 'true' }) };
    try {
      await call(p, 'user_update', input);
    } catch (e) {
      if (!(e instanceof ValidationError)) throw e;
      return userPage(p, u, { ...b, password: '', sysadmin: b.sysadmin === 'true' }, localizeErrors(e.errors, p.lang), 400);
    }
    return redirect(p, `/ckan-admin/users/${encodeURIComponent(u.name)}`, 'flash.saved');
  }));

  app.post('/ckan-admin/users/:id/deactivate', form(web, async (p) => {
    requireSysadmin(p);
    const u = await show(p);
    await call(p, 'user_delete', { id: u.id });
    return redirect(p, `/ckan-admin/users/${encodeURIComponent(u.name)}`, 'flash.user_deactivated');
  }));

  app.post('/ckan-admin/users/:id/reactivate', form(web, async (p) => {
    requireSysadmin(p);
    const u = await show(p);
    try {
      await call(p, 'user_update', { id: u.id, state: 'active' });
    } catch (e) {
      if (!(e instanceof ValidationError)) throw e;
      return userPage(p, u, u, localizeErrors(e.errors, p.lang), 400);
    }
    return redirect(p, `/ckan-admin/users/${encodeURIComponent(u.name)}`, 'flash.user_reactivated');
  }));

  app.post('/ckan-admin/users/:id/reset-link', form(web, async (p) => {
    requireSysadmin(p);
    const { t } = p;
    const u = await show(p);
    try {
      const r = await call<{ url: string; expires_at: string; mailed: boolean }>(p, 'user_password_reset_issue', { id: u.id, mail: p.body.mail === 'true' });
      // Shown once: this answer is not cached and the link is not kept anywhere in the clear.
      p.reply.header('Cache-Control', 'no-store');
      const notice = html`<div class="notice notice-success" role="status">
        <p>${t(r.mailed ? 'admin.reset_link_mailed' : 'admin.reset_link_made')}</p>
        <p><label for="reset-url">${t('admin.reset_link_once')}</label><br><input id="reset-url" class="mono" type="text" readonly value="${r.url}" size="60"></p>
        <p class="muted">${t('admin.reset_link_expires')} ${timeEl(p.lang, r.expires_at)}</p></div>`;
      return userPage(p, u, u, {}, 200, notice);
    } catch (e) {
      if (!(e instanceof ValidationError)) throw e;
      const msg = Object.values(e.errors)[0]![0]!;
      return userPage(p, u, u, {}, 400, html`<div class="notice notice-error" role="alert"><p>${pick(msg, p.lang)}</p></div>`);
    }
  }));
}
