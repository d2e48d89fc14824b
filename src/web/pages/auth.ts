import type { FastifyInstance } from 'fastify';
import { AuthorizationError, ValidationError, localizeErrors, pick } from '../../actions/errors.ts';
import { ANONYMOUS } from '../../access/actor.ts';
import { passwordProblem } from '../../access/passwords.ts';
import { M } from '../../standard/messages.ts';
import { html } from '../html.ts';
import { call, form, page, redirect, render, type PageCtx, type Web } from '../context.ts';
import { csrfField } from '../layout.ts';
import { errorList, errorSummary, type FormErrors } from '../components/form-fields.ts';
import { endSession, endUserSessions, startSession } from '../session.ts';
import { afterStep, cameFrom, LOGIN_RATE_LIMIT, pendingTicket, type SignInResult } from './sign-in.ts';
import { passwordResetRoutes } from './password-reset.ts';

function passwordField(p: PageCtx, name: string, label: string, errors: FormErrors, autocomplete: string, help?: string) {
  const err = errors[name]?.length;
  const described = [err ? `err-${name}` : '', help ? `help-${name}` : ''].filter(Boolean).join(' ');
  return html`<div class="field${err ? ' has-error' : ''}">
    <label for="field-${name}">${label}</label>
    ${help ? html`<p class="help" id="help-${name}">${help}</p>` : ''}
    ${errorList(errors, name)}
    <input id="field-${name}" name="${name}" type="password" autocomplete="${autocomplete}" aria-required="true"${described ? html` aria-describedby="${described}"` : ''}${err ? html` aria-invalid="true"` : ''}>
  </div>`;
}

function loginPage(p: PageCtx, login: string, errors: FormErrors, status = 200) {
  const { t } = p;
  const err = errors.login?.length;
  const body = html`<div class="narrow">
    <h1>${t('signin.title')}</h1>
    ${errorSummary(p, errors, (f) => (f === 'login' ? t('signin.login') : t('signin.password')))}
    <form method="post" action="/user/login" novalidate>${csrfField(p)}
      <input type="hidden" name="came_from" value="${cameFrom(p)}">
      <div class="field${err ? ' has-error' : ''}">
        <label for="field-login">${t('signin.login')}</label>
        ${errorList(errors, 'login')}
        <input id="field-login" name="login" type="text" value="${login}" autocomplete="username" autocapitalize="none" spellcheck="false" aria-required="true"${err ? html` aria-invalid="true" aria-describedby="err-login"` : ''}>
      </div>
      ${passwordField(p, 'password', t('signin.password'), errors, 'current-password')}
      <p class="forgot"><a href="/user/reset">${t('reset.link')}</a></p>
      <button type="submit">${t('nav.signin')}</button>
    </form>
    ${p.services.config.oidc ? html`<div class="alt-signin"><p>${t('signin.or')}</p>
      <a class="button secondary" href="/user/login/oidc?came_from=${encodeURIComponent(cameFrom(p))}">${t('signin.oidc')}</a></div>` : ''}
    <p class="muted">${t('signin.no_register')}</p>
  </div>`;
  return render(p, t('signin.title'), body, { breadcrumbs: [[t('signin.title')]], noindex: true }, status);
}

function changePasswordPage(p: PageCtx, errors: FormErrors, forced: boolean, status = 200) {
  const { t } = p;
  const body = html`<div class="narrow">
    <h1>${t('password.title')}</h1>
    ${forced ? html`<div class="notice" role="note"><p>${t('password.forced')}</p></div>` : ''}
    ${errorSummary(p, errors, (f) => t(f === 'old_password' ? 'password.old' : f === 'confirm' ? 'password.confirm' : 'password.new'))}
    <form method="post" action="/user/password" novalidate>${csrfField(p)}
      ${passwordField(p, 'old_password', t('password.old'), errors, 'current-password')}
      ${passwordField(p, 'new_password', t('password.new'), errors, 'new-password', t('password.rules'))}
      ${passwordField(p, 'confirm', t('password.confirm'), errors, 'new-password')}
      ${forced ? '' : html`<p class="help">${t('password.sessions_end')}</p>
      <div class="field"><label class="check"><input type="checkbox" name="revoke_tokens" value="true"> ${t('password.revoke_tokens')}</label></div>`}
      <button type="submit">${t('password.submit')}</button>
    </form>
  </div>`;
  return render(p, t('password.title'), body, { breadcrumbs: [[t('password.title')]], noindex: true }, status);
}

export function authRoutes(app: FastifyInstance, web: Web): void {
  passwordResetRoutes(app, web);
  app.get('/user/login', page(web, async (p) => {
    if (p.actor.kind === 'user') return redirect(p, cameFrom(p));
    return loginPage(p, '', {});
  }));

  app.post('/user/login', { config: LOGIN_RATE_LIMIT }, form(web, async (p) => {
    const login = String(p.body.login ?? '').trim().slice(0, 254);
    try {
      const result = await call<SignInResult>(p, 'user_login', { login, password: String(p.body.password ?? '') }, ANONYMOUS);
      return await afterStep(p, result, cameFrom(p));
    } catch (e) {
      if (e instanceof ValidationError) return loginPage(p, login, localizeErrors(e.errors, p.lang), 400);
      if (e instanceof AuthorizationError) return loginPage(p, login, { login: [pick(e.msg, p.lang)] }, 400);
      throw e;
    }
  }));

  app.post('/user/logout', form(web, async (p) => {
    await endSession(p.services, p.req, p.reply);
    return redirect(p, '/', 'flash.signed_out');
  }));
  // Reaching sign-out by a link only shows a button: signing out by GET would let any page do it.
  app.get('/user/logout', page(web, async (p) => {
    const { t } = p;
    return render(p, t('nav.signout'), html`<div class="narrow"><h1>${t('nav.signout')}</h1>
      <form method="post" action="/user/logout">${csrfField(p)}<button type="submit">${t('nav.signout')}</button></form></div>`, { noindex: true });
  }));

  app.get('/user/password', page(web, async (p) => {
    const ticket = pendingTicket(p, 'change_password');
    if (!ticket && p.actor.kind !== 'user') return redirect(p, '/user/login?came_from=/user/password');
    return changePasswordPage(p, {}, !!ticket);
  }));

  app.post('/user/password', { config: LOGIN_RATE_LIMIT }, form(web, async (p) => {
    const ticket = pendingTicket(p, 'change_password');
    if (!ticket && p.actor.kind !== 'user') return redirect(p, '/user/login');
    const newPassword = String(p.body.new_password ?? '');
    if (newPassword !== String(p.body.confirm ?? '')) {
      // Every error at once: the mismatch, and what the action would say of the fields it can judge alone.
      const errors: FormErrors = { confirm: [p.t('password.mismatch')] };
      if (!String(p.body.old_password ?? '')) errors.old_password = [pick(M.missing(), p.lang)];
      const weak = newPassword ? passwordProblem(newPassword, { name: p.req.webSession?.user.name }) : M.missing();
      if (weak) errors.new_password = [pick(weak, p.lang)];
      return changePasswordPage(p, errors, !!ticket, 400);
    }
    try {
      const caller = ticket ? ANONYMOUS : p.actor;
      const revoke = !ticket && p.body.revoke_tokens === 'true' ? { revoke_tokens: true } : {};
      const result = await call<SignInResult>(p, 'user_password_change', { old_password: String(p.body.old_password ?? ''), new_password: newPassword, ...revoke, ...(ticket ? { ticket } : {}) }, caller);
      if (ticket) return await afterStep(p, result, cameFrom(p));
      // A new password is a privilege change: the action ended every session of the account; this
      // browser continues in a new one (with the second factor it had).
      const s = await startSession(p.services, p.req, p.reply, p.req.webSession!.user, 'active', { twoFactor: p.req.webSession!.twoFactor });
      await endUserSessions(p.services, s.user.id, s.idHash);
      return redirect(p, `/user/${encodeURIComponent(s.user.name)}`, 'flash.password_changed');
    } catch (e) {
      if (e instanceof ValidationError) return changePasswordPage(p, localizeErrors(e.errors, p.lang), !!ticket, 400);
      if (e instanceof AuthorizationError && ticket) return redirect(p, '/user/login', 'flash.signin_again');
      throw e;
    }
  }));
}
