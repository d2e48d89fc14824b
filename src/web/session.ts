import crypto from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Generated } from 'kysely';
import type { Services } from '../actions/context.ts';
import { loadActor, type Actor, type UserIdentity } from '../access/actor.ts';
import { lacks2fa } from '../access/two-factor.ts';
import type { Db } from '../store/db.ts';

interface WebSessionsTable {
  id_hash: string;
  user_id: string;
  state: 'pending' | 'active';
  step: Generated<string>;
  csrf_token: string;
  /** The sign-in passed a second factor (migration 004). */
  two_factor: Generated<boolean>;
  data: Generated<Record<string, unknown>>;
  ip: Generated<string>;
  user_agent: Generated<string>;
  created: Date;
  last_seen: Date;
  expires_at: Date;
}

/** What a pending session still needs before it is signed in. */
export type PendingStep = 'totp' | 'totp_setup' | 'change_password';

export interface WebSession {
  idHash: string;
  user: UserIdentity;
  state: 'pending' | 'active';
  step: PendingStep | '';
  csrfToken: string;
  /** Signed in with a second factor. */
  twoFactor: boolean;
  data: Record<string, unknown>;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The browser session, signed in or pending a second factor; null without a cookie. */
    webSession: WebSession | null;
  }
}

/** Idle sessions end after 12 hours, every session after 7 days; a pending one after 15 minutes. */
const IDLE_MS = 12 * 3600_000;
const ABSOLUTE_MS = 7 * 24 * 3600_000;
const PENDING_MS = 15 * 60_000;
const TOUCH_EVERY_MS = 5 * 60_000;

function sessionsDb(services: Services) {
  return services.store.db.withTables<{ web_sessions: WebSessionsTable }>();
}

export function hashId(raw: string): string {
  return crypto.createHash('sha256').update(raw).digest('hex');
}

export function cookieName(services: Services): string {
  // The __Host- prefix pins the cookie to this host and path / (browsers only accept it over https).
  return isSecure(services) ? '__Host-banchi_session' : 'banchi_session';
}

export function isSecure(services: Services): boolean {
  return services.config.siteUrl.startsWith('https:');
}

function cookieOptions(services: Services, maxAgeMs: number) {
  return { path: '/', httpOnly: true, sameSite: 'lax' as const, secure: isSecure(services), maxAge: Math.floor(maxAgeMs / 1000) };
}

/**
 * Starts a new session for a user and drops the one the browser held before, so an id planted
 * before sign-in (session fixation) is worthless. Used at sign-in and at every privilege change.
 */
export async function startSession(
  services: Services, req: FastifyRequest, reply: FastifyReply, user: UserIdentity, state: 'pending' | 'active',
  opts: { step?: PendingStep | ''; data?: Record<string, unknown>; twoFactor?: boolean } = {},
): Promise<WebSession> {
  const { step = '', data = {}, twoFactor = false } = opts;
  const db = sessionsDb(services);
  if (req.webSession) await db.deleteFrom('web_sessions').where('id_hash', '=', req.webSession.idHash).execute();
  const raw = crypto.randomBytes(32).toString('base64url');
  const now = new Date();
  const ttl = state === 'pending' ? PENDING_MS : IDLE_MS;
  const session: WebSession = { idHash: hashId(raw), user, state, step, csrfToken: crypto.randomBytes(24).toString('base64url'), twoFactor, data };
  await db
    .insertInto('web_sessions')
    .values({
      id_hash: session.idHash, user_id: user.id, state, step, csrf_token: session.csrfToken, two_factor: twoFactor, data: JSON.stringify(data) as never,
      ip: req.ip.slice(0, 100), user_agent: String(req.headers['user-agent'] ?? '').slice(0, 300),
      created: now, last_seen: now, expires_at: new Date(now.getTime() + ttl),
    })
    .execute();
  // Old sessions of anyone are cleaned up here, where a write happens anyway.
  await db.deleteFrom('web_sessions').where('expires_at', '<', now).execute();
  reply.setCookie(cookieName(services), raw, cookieOptions(services, state === 'pending' ? PENDING_MS : ABSOLUTE_MS));
  req.webSession = session;
  req.sessionActor = state === 'active' ? await sessionActor(services, session) : null;
  return session;
}

export async function endSession(services: Services, req: FastifyRequest, reply: FastifyReply): Promise<void> {
  if (req.webSession) await sessionsDb(services).deleteFrom('web_sessions').where('id_hash', '=', req.webSession.idHash).execute();
  // With the attributes it was set with: a browser ignores a __Host- cookie's deletion without Secure.
  reply.clearCookie(cookieName(services), { path: '/', httpOnly: true, sameSite: 'lax', secure: isSecure(services) });
  req.webSession = null;
  req.sessionActor = null;
}

/** Ends every session of a user (after a password change or a 2FA reset), except optionally one. */
export async function endUserSessions(services: Services, userId: string, keepIdHash?: string): Promise<void> {
  await sessionsDb(services)
    .deleteFrom('web_sessions')
    .where('user_id', '=', userId)
    .$if(!!keepIdHash, (q) => q.where('id_hash', '<>', keepIdHash!))
    .execute();
}

export async function setSessionData(services: Services, session: WebSession, data: Record<string, unknown>): Promise<void> {
  session.data = data;
  await sessionsDb(services).updateTable('web_sessions').set({ data: JSON.stringify(data) as never }).where('id_hash', '=', session.idHash).execute();
}

async function loadSession(db: Db, services: Services, raw: string): Promise<WebSession | null> {
  if (raw.length < 20 || raw.length > 100) return null;
  const idHash = hashId(raw);
  const row = await db
    .withTables<{ web_sessions: WebSessionsTable }>()
    .selectFrom('web_sessions as s')
    .innerJoin('users as u', 'u.id', 's.user_id')
    .select(['s.id_hash', 's.state', 's.step', 's.csrf_token', 's.two_factor', 's.data', 's.created', 's.last_seen', 's.expires_at', 'u.id', 'u.name', 'u.sysadmin'])
    .where('s.id_hash', '=', idHash)
    .where('u.state', '=', 'active')
    .executeTakeFirst();
  if (!row) return null;
  const now = Date.now();
  if (row.expires_at.getTime() <= now || now - row.created.getTime() > ABSOLUTE_MS) {
    await sessionsDb(services).deleteFrom('web_sessions').where('id_hash', '=', idHash).execute();
    return null;
  }
  // Sliding expiry, written at most every few minutes so reads do not become writes.
  if (row.state === 'active' && now - row.last_seen.getTime() > TOUCH_EVERY_MS) {
    await sessionsDb(services).updateTable('web_sessions').set({ last_seen: new Date(now), expires_at: new Date(now + IDLE_MS) }).where('id_hash', '=', idHash).execute();
  }
  return {
    idHash,
    user: { id: row.id, name: row.name, sysadmin: row.sysadmin },
    state: row.state,
    step: row.step as PendingStep | '',
    csrfToken: row.csrf_token,
    twoFactor: row.two_factor === true,
    data: row.data ?? {},
  };
}

async function sessionActor(services: Services, session: WebSession): Promise<Actor> {
  return { ...(await loadActor(services.store.db, session.user)), twoFactor: session.twoFactor } as Actor;
}

/**
 * Reads the session cookie on every request (pages and API alike): a signed-in session becomes
 * request.sessionActor, which the API uses for reads only. A pending session is not signed in.
 */
export function registerSessionHook(app: FastifyInstance, services: Services): void {
  app.decorateRequest('webSession', null);
  const name = cookieName(services);
  app.addHook('onRequest', async (req) => {
    if (req.url.startsWith('/static/')) return;
    const raw = req.cookies?.[name];
    if (!raw) return;
    const session = await loadSession(services.store.db, services, raw);
    if (!session) return;
    if (session.state === 'active') {
      const actor = await sessionActor(services, session);
      // A role that needs 2FA was granted (or 2FA became required) after a sign-in without it: the
      // session ends here, on every path, and the next sign-in asks for the second factor.
      if (lacks2fa(services.config, actor)) {
        await sessionsDb(services).deleteFrom('web_sessions').where('id_hash', '=', session.idHash).execute();
        return;
      }
      req.sessionActor = actor;
    }
    req.webSession = session;
  });
}
