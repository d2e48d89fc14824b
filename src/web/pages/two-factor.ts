import type { FastifyInstance } from 'fastify';
import { AuthorizationError, ValidationError, localizeErrors } from '../../actions/errors.ts';
import { ANONYMOUS } from '../../access/actor.ts';
import { html } from '../html.ts';
import { call, form, page, redirect, render, type PageCtx, type Web } from '../context.ts';
import { csrfField } from '../layout.ts';
import { errorList, errorSummary, type FormErrors } from '../components/form-fields.ts';
import { setSessionData } from '../session.ts';
import { afterStep, cameFrom, continueSignIn, LOGIN_RATE_LIMIT, pendingTicket, type SignInResult } from './sign-in.ts';

interface TotpSetup {
  secret: string;
  otpauth_url: string;
  qr_svg: string;
}

function codeField(p: PageCtx, errors: FormErrors, help: string) {
  const err = errors.code?.length;
  return html`<div class="field${err ? ' has-error' : ''}">
    <label for="field-code">${p.t('twofa.code')}</label>
    <p class="help" id="help-code">${help}</p>
    ${errorList(errors, 'code')}
    <input id="field-code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" maxlength="11" spellcheck="false" aria-required="true" aria-describedby="help-code${err ? ' err-code' : ''}"${err ? html` aria-invalid="true"` : ''}>
  </div>`;
}

function verifyPage(p: PageCtx, errors: FormErrors, status = 200) {
  const { t } = p;
  const body = html`<div class="narrow">
    <h1>${t('twofa.verify_title')}</h1>
    ${errorSummary(p, errors, () => t('twofa.code'))}
    <form method="post" action="/user/2fa/verify" novalidate>${csrfField(p)}
      ${codeField(p, errors, t('twofa.verify_help'))}
      <button type="submit">${t('twofa.verify')}</button>
    </form>
    <p><a href="/user/login">${t('twofa.start_over')}</a></p>
  </div>`;
  return render(p, t('twofa.verify_title'), body, { noindex: true }, status);
}

/** The QR code as an image (data: URL), so no SVG markup from elsewhere is inlined into the page. */
function qrImage(p: PageCtx, svg: string) {
  return html`<img class="qr" src="data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}" alt="${p.t('twofa.qr_alt')}" width="220" height="220">`;
}

/**
 * Each user_totp_setup call makes a new secret, so the one shown is kept in the (server-side)
 * session: a reload or a mistyped code shows the same QR code the person already scanned.
 */
async function currentSetup(p: PageCtx, ticket: string | null): Promise<TotpSetup> {
  const session = p.req.webSession;
  const kept = session?.data.totp_setup as TotpSetup | undefined;
  if (kept?.secret && kept.qr_svg) return kept;
  const caller = ticket ? ANONYMOUS : p.actor;
  const setup = await call<TotpSetup>(p, 'user_totp_setup', ticket ? { ticket } : {}, caller);
  if (session) await setSessionData(p.services, session, { ...session.data, totp_setup: setup });
  return setup;
}

async function setupPage(p: PageCtx, ticket: string | null, errors: FormErrors, status = 200) {
  const { t } = p;
  const setup = await currentSetup(p, ticket);
  const body = html`<div class="narrow">
    <h1>${t('twofa.setup_title')}</h1>
    ${ticket ? html`<div class="notice" role="note"><p>${t('twofa.required')}</p></div>` : ''}
    ${errorSummary(p, errors, () => t('twofa.code'))}
    <ol class="setup-steps">
      <li>${t('twofa.step_app')}</li>
      <li>${t('twofa.step_scan')}
        <div class="qr-box">${qrImage(p, setup.qr_svg)}</div>
        <p>${t('twofa.manual')} <code class="secret" id="totp-secret">${setup.secret.replace(/(.{4})/g, '$1 ').trim()}</code></p>
      </li>
      <li>${t('twofa.step_code')}</li>
    </ol>
    <form method="post" action="/user/2fa/setup" novalidate>${csrfField(p)}
      ${codeField(p, errors, t('twofa.setup_help'))}
      <button type="submit">${t('twofa.enable')}</button>
    </form>
  </div>`;
  return render(p, t('twofa.setup_title'), body, { noindex: true }, status);
}

function recoveryPage(p: PageCtx, codes: string[], next: string) {
  const { t } = p;
  const body = html`<div class="narrow">
    <h1>${t('twofa.enabled_title')}</h1>
    <div class="notice notice-success" role="status"><p>${t('twofa.enabled')}</p></div>
    <h2>${t('twofa.recovery_title')}</h2>
    <p>${t('twofa.recovery_help')}</p>
    <ul class="recovery-codes mono">${codes.map((c) => html`<li>${c}</li>`)}</ul>
    <p><a class="button" href="${next}">${t('common.continue')}</a></p>
  </div>`;
  return render(p, t('twofa.enabled_title'), body, { noindex: true });
}

function alreadyOnPage(p: PageCtx) {
  const { t } = p;
  const body = html`<div class="narrow">
    <h1>${t('twofa.enabled_title')}</h1>
    <div class="notice notice-success" role="status"><p>${t('twofa.status_on')}</p></div>
    <p class="muted">${t('twofa.reset_by_admin')}</p>
    <p><a class="button" href="/dashboard">${t('common.continue')}</a></p>
  </div>`;
  return render(p, t('twofa.enabled_title'), body, { breadcrumbs: [[t('twofa.title'), '/user/2fa'], [t('twofa.enabled_title')]], noindex: true });
}

export function twoFactorRoutes(app: FastifyInstance, web: Web): void {
  app.get('/user/2fa', page(web, async (p) => {
    const { t } = p;
    if (p.actor.kind !== 'user') return redirect(p, '/user/login?came_from=/user/2fa');
    const me = await call<Record<string, unknown>>(p, 'user_show', {});
    const body = html`<div class="narrow"><h1>${t('twofa.title')}</h1>
      <p>${me.totp_enabled ? t('twofa.status_on') : t('twofa.status_off')}</p>
      ${me.totp_enabled ? html`<p class="muted">${t('twofa.reset_by_admin')}</p>` : html`<p><a class="button" href="/user/2fa/setup">${t('twofa.setup_title')}</a></p>`}</div>`;
    return render(p, t('twofa.title'), body, { breadcrumbs: [[t('twofa.title')]], noindex: true });
  }));

  app.get('/user/2fa/verify', page(web, async (p) => {
    if (!pendingTicket(p, 'totp')) return redirect(p, '/user/login', 'flash.signin_again');
    return verifyPage(p, {});
  }));

  app.post('/user/2fa/verify', { config: LOGIN_RATE_LIMIT }, form(web, async (p) => {
    const ticket = pendingTicket(p, 'totp');
    if (!ticket) return redirect(p, '/user/login', 'flash.signin_again');
    try {
      const result = await call<SignInResult>(p, 'user_totp_verify', { ticket, code: String(p.body.code ?? '').trim() }, ANONYMOUS);
      return await afterStep(p, result, cameFrom(p));
    } catch (e) {
      if (e instanceof ValidationError) return verifyPage(p, localizeErrors(e.errors, p.lang), 400);
      if (e instanceof AuthorizationError) return redirect(p, '/user/login', 'flash.signin_again');
      throw e;
    }
  }));

  app.get('/user/2fa/setup', page(web, async (p) => {
    const ticket = pendingTicket(p, 'totp_setup');
    if (!ticket && p.actor.kind !== 'user') return redirect(p, '/user/login', 'flash.signin_again');
    // Coming back (a bookmark, the back button) once 2FA is on: say so, rather than the action's refusal.
    if (!ticket && (await call<Record<string, unknown>>(p, 'user_show', {})).totp_enabled) return alreadyOnPage(p);
    return setupPage(p, ticket, {});
  }));

  app.post('/user/2fa/setup', { config: LOGIN_RATE_LIMIT }, form(web, async (p) => {
    const ticket = pendingTicket(p, 'totp_setup');
    if (!ticket && p.actor.kind !== 'user') return redirect(p, '/user/login', 'flash.signin_again');
    const caller = ticket ? ANONYMOUS : p.actor;
    let result: SignInResult & { recovery_codes: string[] };
    try {
      result = await call(p, 'user_totp_enable', { code: String(p.body.code ?? '').trim(), ...(ticket ? { ticket } : {}) }, caller);
    } catch (e) {
      if (e instanceof ValidationError && !ticket && (await call<Record<string, unknown>>(p, 'user_show', {})).totp_enabled) return alreadyOnPage(p);
      if (e instanceof ValidationError) return setupPage(p, ticket, localizeErrors(e.errors, p.lang), 400);
      if (e instanceof AuthorizationError && ticket) return redirect(p, '/user/login', 'flash.signin_again');
      throw e;
    }
    // Turning on a second factor is a privilege change: the session gets a new id either way.
    return recoveryPage(p, result.recovery_codes, await continueSignIn(p, result, cameFrom(p)));
  }));
}
