import crypto from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { AuthorizationError, NotFoundError, pick } from '../../actions/errors.ts';
import { ANONYMOUS } from '../../access/actor.ts';
import { startOidcLogin, type OidcPending } from '../../actions/auth/actions.ts';
import { html } from '../html.ts';
import { call, page, redirect, render, safeLocal, type PageCtx, type Web } from '../context.ts';
import { isSecure } from '../session.ts';
import { afterStep, LOGIN_RATE_LIMIT, type SignInResult } from './sign-in.ts';

/** A `__Host-` cookie over https (Secure, Path=/, no Domain), so no other host can plant or read it. */
const cookieName = (p: PageCtx) => (isSecure(p.services) ? '__Host-banchi_oidc' : 'banchi_oidc');
const MAX_AGE_S = 600;

/** The pending OpenID Connect request rides in a signed, HttpOnly cookie for ten minutes. */
function seal(secret: string, value: unknown): string {
  const body = Buffer.from(JSON.stringify(value)).toString('base64url');
  const mac = crypto.createHmac('sha256', secret).update(`oidc:${body}`).digest('base64url');
  return `${body}.${mac}`;
}

function unseal<T>(secret: string, raw: string | undefined): T | null {
  if (!raw) return null;
  const [body, mac] = raw.split('.');
  if (!body || !mac) return null;
  const expected = crypto.createHmac('sha256', secret).update(`oidc:${body}`).digest('base64url');
  if (mac.length !== expected.length || !crypto.timingSafeEqual(Buffer.from(mac), Buffer.from(expected))) return null;
  try {
    return JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as T;
  } catch {
    return null;
  }
}

function failure(p: PageCtx, message: string) {
  const { t } = p;
  return render(p, t('signin.oidc_failed'), html`<div class="narrow"><h1>${t('signin.oidc_failed')}</h1>
    <p role="alert">${message}</p><p><a class="button" href="/user/login">${t('twofa.start_over')}</a></p></div>`, { noindex: true }, 400);
}

export function oidcRoutes(app: FastifyInstance, web: Web): void {
  const redirectUri = () => `${web.services.config.siteUrl}/user/login/oidc/callback`;

  app.get('/user/login/oidc', { config: LOGIN_RATE_LIMIT }, page(web, async (p) => {
    if (!p.services.config.oidc) throw new NotFoundError();
    let started: { url: string; pending: OidcPending };
    try {
      started = await startOidcLogin(p.services.config, redirectUri());
    } catch (e) {
      if (e instanceof AuthorizationError) return failure(p, pick(e.msg, p.lang));
      p.req.log.warn({ err: e }, 'OpenID Connect discovery failed');
      return failure(p, p.t('signin.oidc_unavailable'));
    }
    const cameFrom = safeLocal((p.req.query as Record<string, unknown>).came_from, '/dashboard', p.services.config.siteUrl);
    p.reply.setCookie(cookieName(p), seal(web.secret, { ...started.pending, came_from: cameFrom }), { path: '/', httpOnly: true, sameSite: 'lax', secure: isSecure(p.services), maxAge: MAX_AGE_S });
    return p.reply.code(303).redirect(started.url);
  }));

  app.get('/user/login/oidc/callback', { config: LOGIN_RATE_LIMIT }, page(web, async (p) => {
    if (!p.services.config.oidc) throw new NotFoundError();
    const pending = unseal<OidcPending & { came_from?: string }>(web.secret, p.req.cookies?.[cookieName(p)]);
    p.reply.clearCookie(cookieName(p), { path: '/', httpOnly: true, sameSite: 'lax', secure: isSecure(p.services) });
    if (!pending) return redirect(p, '/user/login', 'flash.signin_again');
    const query = p.req.url.includes('?') ? p.req.url.slice(p.req.url.indexOf('?') + 1) : '';
    try {
      const { came_from: to, ...rest } = pending;
      const result = await call<SignInResult>(p, 'user_login_oidc', { ...rest, query }, ANONYMOUS);
      return await afterStep(p, result, safeLocal(to, '/dashboard', p.services.config.siteUrl));
    } catch (e) {
      if (e instanceof AuthorizationError) return failure(p, pick(e.msg, p.lang));
      throw e;
    }
  }));
}
