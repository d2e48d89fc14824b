import crypto from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { sql } from 'kysely';
import type { Services } from '../actions/context.ts';
import { isSecure } from './session.ts';

/**
 * CSRF protection for every POST form: a per-session token in a hidden field, compared before any
 * action runs. Visitors without a session (the sign-in form) get a random cookie and a token that
 * is an HMAC of it (signed double submit), so another site can neither read nor forge it.
 *
 * The pre-session token is accepted only while the browser has no session: someone able to plant
 * a cookie (a sibling subdomain, a plain-http hop) can learn the token of a cookie value they
 * chose, and must not be able to forge a signed-in user's forms with it. Over https the cookie is
 * a `__Host-` cookie (Secure, Path=/, no Domain), which no other host can set.
 */
export const CSRF_FIELD = '_csrf';

export function preCookieName(services: Services): string {
  return isSecure(services) ? '__Host-banchi_csrf' : 'banchi_csrf';
}

/** The server's secret: BANCHI_SESSION_SECRET, or one generated once and kept in the settings table. */
export async function loadWebSecret(services: Services): Promise<string> {
  if (services.config.sessionSecret) return services.config.sessionSecret;
  const fresh = crypto.randomBytes(32).toString('base64url');
  await sql`INSERT INTO settings (key, value) VALUES ('web_secret', ${JSON.stringify(fresh)}::jsonb) ON CONFLICT (key) DO NOTHING`.execute(services.store.db);
  const row = await sql<{ value: unknown }>`SELECT value FROM settings WHERE key = 'web_secret'`.execute(services.store.db);
  return String(row.rows[0]?.value ?? fresh);
}

function hmac(secret: string, value: string): string {
  return crypto.createHmac('sha256', secret).update(`csrf:${value}`).digest('base64url');
}

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}

/** The token to put in this response's forms (sets the pre-session cookie when needed). */
export function csrfToken(services: Services, secret: string, req: FastifyRequest, reply: FastifyReply): string {
  if (req.webSession) return req.webSession.csrfToken;
  const name = preCookieName(services);
  let pre = req.cookies?.[name];
  if (!pre || !/^[\w-]{20,100}$/.test(pre)) {
    pre = crypto.randomBytes(24).toString('base64url');
    reply.setCookie(name, pre, { path: '/', httpOnly: true, sameSite: 'lax', secure: isSecure(services) });
    req.cookies[name] = pre;
  }
  return hmac(secret, pre);
}

/**
 * True when the form's token belongs to this browser: the session's own token when there is a
 * session (pending or signed in; it is random per session and renewed with the session id), the
 * pre-session token only while there is none.
 */
export function csrfValid(services: Services, secret: string, req: FastifyRequest, sent: unknown): boolean {
  if (typeof sent !== 'string' || !sent) return false;
  if (req.webSession) return sameToken(sent, req.webSession.csrfToken);
  const pre = req.cookies?.[preCookieName(services)];
  return !!pre && sameToken(sent, hmac(secret, pre));
}
