import type { FastifyReply, FastifyRequest, RouteHandlerMethod } from 'fastify';
import type { Services } from '../actions/context.ts';
import { findAction, runAction, type ActionInput } from '../actions/registry.ts';
import { AuthorizationError, BadRequestError, NotFoundError, SearchQueryError, ValidationError, type Lang } from '../actions/errors.ts';
import { ANONYMOUS, type Actor } from '../access/actor.ts';
import { policies } from '../policies/index.ts';
import { portalLang } from './lang.ts';
import { UploadTooLargeError } from '../api/ckan/input.ts';
import { readCheckedInput } from '../api/ckan/checked-input.ts';
import { discardUploads, type Upload } from '../files/upload.ts';
import { checkUpload } from '../files/upload-gate.ts';
import { isMessageKey, translator, type MessageKey, type T } from './i18n/index.ts';
import { CSRF_FIELD, csrfToken, csrfValid } from './csrf.ts';
import type { Html } from './html.ts';
import type { TtlCache } from './cache.ts';
import { safeLocal } from './redirect-target.ts';
import { errorPage, layout, type LayoutOptions } from './layout.ts';

/** What the portal holds for its whole life. */
export interface Web {
  services: Services;
  secret: string;
  /** Public data shared by all visitors for a short while (the home page). */
  publicCache: TtlCache;
}

/** One page request: who asks, in which language, with which CSRF token for its forms. */
export interface PageCtx {
  web: Web;
  services: Services;
  req: FastifyRequest;
  reply: FastifyReply;
  lang: Lang;
  t: T;
  actor: Actor;
  /** The token for this page's POST forms. */
  readonly csrf: string;
  /** Parsed POST body (form fields; multipart fields and the stored upload). */
  body: Record<string, unknown>;
  flash: MessageKey | null;
}

const FLASH_COOKIE = 'banchi_flash';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/**
 * Writes a GET page may make: the OpenID Connect callback (the provider redirects with GET, and
 * its state parameter is the CSRF check) and a pending two-factor secret (inactive until a POST
 * confirms it). Any other write on a safe method is refused.
 */
const GET_WRITES = new Set(['user_login_oidc', 'user_totp_setup']);

/** Runs an action as the page's caller (or as `actor`, e.g. anonymous for a sign-in step): the same path the API and CLI take. */
export async function call<O = any>(p: PageCtx, name: string, input: ActionInput, actor: Actor = p.actor): Promise<O> {
  if (SAFE_METHODS.has(p.req.method) && !findAction(name)?.readOnly && !GET_WRITES.has(name)) throw new BadRequestError(`${name} needs POST`);
  return runAction<O>(p.services, name, input, { actor, lang: p.lang, ip: p.req.ip });
}

/**
 * Asks the same allow-rule an action would (to show or hide an edit button); the action itself
 * still checks when it runs, so a wrong answer here can only hide a link, never grant a right.
 */
export function may(p: PageCtx, rule: string, subject?: unknown): boolean {
  return policies[rule]?.(p.actor, subject) === true;
}

export function signedIn(p: PageCtx): p is PageCtx & { actor: Extract<Actor, { kind: 'user' }> } {
  return p.actor.kind === 'user';
}

export function render(p: PageCtx, title: string, body: Html, opts: LayoutOptions = {}, status = 200): FastifyReply {
  return p.reply
    .code(status)
    .type('text/html; charset=utf-8')
    .header('Cache-Control', 'no-store')
    .send(layout(p, title, body, opts).value);
}

/** Post/redirect/get: the next page shows a short confirmation from the catalogs. */
export function redirect(p: PageCtx, to: string, flash?: MessageKey): FastifyReply {
  if (flash) p.reply.setCookie(FLASH_COOKIE, flash, { path: '/', httpOnly: true, sameSite: 'lax', maxAge: 60 });
  return p.reply.code(303).redirect(safeLocal(to, '/', p.services.config.siteUrl));
}

/** Only same-origin targets are followed: resolved with the URL parser (see redirect-target.ts). */
export { safeLocal };

function makeCtx(web: Web, req: FastifyRequest, reply: FastifyReply): PageCtx {
  const lang = portalLang(req);
  const flashRaw = req.cookies?.[FLASH_COOKIE];
  if (flashRaw) reply.clearCookie(FLASH_COOKIE, { path: '/' });
  const t = translator(lang);
  let token: string | null = null;
  return {
    web, services: web.services, req, reply, lang, t,
    actor: req.sessionActor ?? ANONYMOUS,
    // Made on first use, so a visitor who only reads gets no cookie at all.
    get csrf() {
      token ??= csrfToken(web.services, web.secret, req, reply);
      return token;
    },
    body: {},
    // Only a confirmation of the catalogs: the cookie is the visitor's to set, so never free text or another key.
    flash: flashRaw && flashRaw.startsWith('flash.') && isMessageKey(flashRaw) ? flashRaw : null,
  };
}

function handleError(p: PageCtx, e: unknown): FastifyReply {
  if (e instanceof NotFoundError) return errorPage(p, 404);
  if (e instanceof AuthorizationError) return errorPage(p, 403);
  if (e instanceof SearchQueryError) return errorPage(p, 400, p.lang === 'en' ? e.msg.en : e.msg.th);
  if (e instanceof UploadTooLargeError) return errorPage(p, 413);
  if (e instanceof BadRequestError) return errorPage(p, 400);
  if (e instanceof ValidationError) return errorPage(p, 400, Object.values(e.errors).flat().map((m) => (p.lang === 'en' ? m.en : m.th)).join(' '));
  p.req.log.error({ err: e }, 'page failed');
  return errorPage(p, 500);
}

export type PageHandler = (p: PageCtx) => Promise<FastifyReply | void>;

/** A GET page: errors from actions become the matching error page (404, 403, …), never a 500. */
export function page(web: Web, handler: PageHandler): RouteHandlerMethod {
  return async (req, reply) => {
    const p = makeCtx(web, req, reply);
    try {
      return await handler(p);
    } catch (e) {
      return handleError(p, e);
    }
  };
}

export interface FormOptions {
  /** The action whose file the form sends (its upload gate is asked first); without it a file part is refused unread. */
  upload?: string;
}

/**
 * A POST form: the body is read (a multipart upload goes straight to the file store), then the
 * CSRF token is checked before the handler — and so before any action — runs.
 */
export function form(web: Web, handler: PageHandler, opts: FormOptions = {}): RouteHandlerMethod {
  return async (req, reply) => {
    const p = makeCtx(web, req, reply);
    let uploads: Upload[] = [];
    const def = opts.upload ? findAction(opts.upload) : undefined;
    try {
      // The session is known before the body is read: a visitor who could never attach a file writes nothing.
      if (def && req.isMultipart()) await checkUpload(web.services, def, p.actor, reply);
      const read = await readCheckedInput(web.services, req, [], { files: !!def?.uploadRule, reply });
      uploads = read.uploads;
      p.body = read.input;
      if (!csrfValid(web.services, web.secret, req, p.body[CSRF_FIELD])) return errorPage(p, 403, p.t('error.csrf'));
      delete p.body[CSRF_FIELD];
      return await handler(p);
    } catch (e) {
      return handleError(p, e);
    } finally {
      // Only this request's own uploads, and only those no action took (a taken one is its transaction's).
      await discardUploads(uploads);
    }
  };
}
