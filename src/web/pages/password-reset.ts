import type { FastifyInstance } from 'fastify';
import { ValidationError, localizeErrors, pick } from '../../actions/errors.ts';
import { ANONYMOUS } from '../../access/actor.ts';
import { passwordProblem } from '../../access/passwords.ts';
import { html } from '../html.ts';
import { call, form, page, redirect, render, type PageCtx, type Web } from '../context.ts';
import { csrfField } from '../layout.ts';
import { errorList, errorSummary, type FormErrors } from '../components/form-fields.ts';
import { endSession } from '../session.ts';
import { LOGIN_RATE_LIMIT } from './sign-in.ts';

/**
 * Forgot password: /user/reset asks for a user name or e-mail and always answers the same page;
 * /user/reset/<token> (the mailed link) sets a new password once. The token is in the path, so
 * these pages send no Referer anywhere.
 */
function noReferrer(p: PageCtx): void {
  p.reply.header('Referrer-Policy', 'no-referrer').header('Cache-Control', 'no-store');
}

function requestPage(p: PageCtx, login: string, errors: FormErrors, status = 200) {
  const { t } = p;
  const err = errors.login?.length;
  const body = html`<div class="narrow">
    <h1>${t('reset.title')}</h1>
    <p>${t('reset.intro')}</p>
    ${errorSummary(p, errors, () => t('signin.login'))}
    <form method="post" action="/user/reset" novalidate>${csrfField(p)}
      <div class="field${err ? ' has-error' : ''}">
        <label for="field-login">${t('signin.login')}</label>
        ${errorList(errors, 'login')}
        <input id="field-login" name="login" type="text" value="${login}" autocomplete="username" autocapitalize="none" spellcheck="false" aria-required="true"${err ? html` aria-invalid="true" aria-describedby="err-login"` : ''}>
      </div>
      <button type="submit">${t('reset.send')}</button>
    </form>
    <p><a href="/user/login">${t('reset.back')}</a></p>
  </div>`;
  return render(p, t('reset.title'), body, { breadcrumbs: [[t('signin.title'), '/user/login'], [t('reset.title')]], noindex: true }, status);
}

function invalidLinkPage(p: PageCtx, message: string) {
  const { t } = p;
  noReferrer(p);
  const body = html`<div class="narrow">
    <h1>${t('reset.invalid_title')}</h1>
    <div class="notice notice-error" role="alert"><p>${message}</p></div>
    <p><a class="button" href="/user/reset">${t('reset.again')}</a></p>
  </div>`;
  return render(p, t('reset.invalid_title'), body, { noindex: true }, 410);
}

function newPasswordPage(p: PageCtx, token: string, name: string, errors: FormErrors, status = 200) {
  const { t } = p;
  noReferrer(p);
  const field = (f: string, label: string, help?: string) => {
    const err = errors[f]?.length;
    const described = [err ? `err-${f}` : '', help ? `help-${f}` : ''].filter(Boolean).join(' ');
    return html`<div class="field${err ? ' has-error' : ''}">
      <label for="field-${f}">${label}</label>
      ${help ? html`<p class="help" id="help-${f}">${help}</p>` : ''}
      ${errorList(errors, f)}
      <input id="field-${f}" name="${f}" type="password" autocomplete="new-password" aria-required="true"${described ? html` aria-describedby="${described}"` : ''}${err ? html` aria-invalid="true"` : ''}>
    </div>`;
  };
  const body = html`<div class="narrow">
    <h1>${t('reset.new_title')}</h1>
    <p>${t('reset.for_account', { name })}</p>
    ${errorSummary(p, errors, (f) => t(f === 'confirm' ? 'password.confirm' : 'password.new'))}
    <form method="post" action="/user/reset/${token}" novalidate>${csrfField(p)}
      <input type="hidden" name="username" value="${name}" autocomplete="username">
      ${field('new_password', t('password.new'), t('password.rules'))}
      ${field('confirm', t('password.confirm'))}
      <p class="help">${t('reset.sessions_end')}</p>
      <div class="field"><label class="check"><input type="checkbox" name="revoke_tokens" value="true"> ${t('password.revoke_tokens')}</label></div>
      <button type="submit">${t('reset.save')}</button>
    </form>
  </div>`;
  return render(p, t('reset.new_title'), body, { noindex: true }, status);
}

const TOKEN = /^[A-Za-z0-9_-]{20,100}$/;

export function passwordResetRoutes(app: FastifyInstance, web: Web): void {
  app.get('/user/reset', page(web, async (p) => requestPage(p, '', {})));

  app.post('/user/reset', { config: LOGIN_RATE_LIMIT }, form(web, async (p) => {
    const { t } = p;
    const login = String(p.body.login ?? '').trim().slice(0, 254);
    try {
      const r = await call<{ message: string }>(p, 'user_password_reset_request', { login }, ANONYMOUS);
      const body = html`<div class="narrow"><h1>${t('reset.title')}</h1>
        <div class="notice notice-success" role="status"><p>${r.message}</p></div>
        <p>${t('reset.check_spam')}</p>
        <p><a href="/user/login">${t('reset.back')}</a></p></div>`;
      return render(p, t('reset.title'), body, { noindex: true });
    } catch (e) {
      if (e instanceof ValidationError) return requestPage(p, login, localizeErrors(e.errors, p.lang), 400);
      throw e;
    }
  }));

  app.get('/user/reset/:token', page(web, async (p) => {
    const token = String((p.req.params as { token: string }).token);
    if (!TOKEN.test(token)) return invalidLinkPage(p, p.t('reset.invalid'));
    try {
      const r = await call<{ name: string }>(p, 'user_password_reset_check', { token }, ANONYMOUS);
      return newPasswordPage(p, token, r.name, {});
    } catch (e) {
      if (e instanceof ValidationError) return invalidLinkPage(p, pick(Object.values(e.errors)[0][0], p.lang));
      throw e;
    }
  }));

  app.post('/user/reset/:token', { config: LOGIN_RATE_LIMIT }, form(web, async (p) => {
    const token = String((p.req.params as { token: string }).token);
    if (!TOKEN.test(token)) return invalidLinkPage(p, p.t('reset.invalid'));
    const name = String(p.body.username ?? '').slice(0, 100);
    const password = String(p.body.new_password ?? '');
    const errors: FormErrors = {};
    if (password !== String(p.body.confirm ?? '')) errors.confirm = [p.t('password.mismatch')];
    try {
      if (!errors.confirm) {
        await call(p, 'user_password_reset', { token, new_password: password, revoke_tokens: p.body.revoke_tokens === 'true' }, ANONYMOUS);
        // Every session of the account ended; this browser starts again at the sign-in page, where
        // the second factor is asked as usual.
        await endSession(p.services, p.req, p.reply);
        return redirect(p, '/user/login', 'flash.password_reset');
      }
      // The mismatch is shown with any strength problem of the same password, in one pass.
      await call(p, 'user_password_reset_check', { token }, ANONYMOUS);
      const weak = password ? passwordProblem(password, { name }) : null;
      if (weak) errors.new_password = [pick(weak, p.lang)];
      return newPasswordPage(p, token, name, errors, 400);
    } catch (e) {
      if (!(e instanceof ValidationError)) throw e;
      const all = { ...errors, ...localizeErrors(e.errors, p.lang) };
      if (all.token) return invalidLinkPage(p, all.token[0]);
      return newPasswordPage(p, token, name, all, 400);
    }
  }));
}
