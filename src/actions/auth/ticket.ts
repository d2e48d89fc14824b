import crypto from 'node:crypto';
import type { Config } from '../../config.ts';

/**
 * A sign-in ticket proves that its holder passed the earlier steps of one sign-in (password or
 * OpenID Connect, then possibly TOTP) for one user, and says which step comes next. It is an
 * HMAC-signed value the web layer keeps in its session between steps, so the later steps
 * (user_totp_verify, and user_password_change / user_totp_setup / user_totp_enable before a
 * session exists) can be called by an anonymous caller without trusting a bare user id.
 *
 * It is bound to the account's security state (password hash, 2FA switch, forced change,
 * account state): changing any of these voids tickets issued before.
 */
export type Stage = 'totp' | 'totp_setup' | 'change_password';
export type Method = 'password' | 'oidc';

export interface TicketClaims {
  userId: string;
  stage: Stage;
  method: Method;
  /** TOTP already verified in this sign-in. */
  totpDone: boolean;
}

interface Payload {
  u: string;
  s: Stage;
  m: Method;
  t: boolean;
  x: number;
  f: string;
}

export const TICKET_TTL_MS = 10 * 60 * 1000;

export interface FingerprintSource {
  password_hash: string | null;
  totp_enabled: boolean;
  must_change_password: boolean;
  state: string;
}

function fingerprint(u: FingerprintSource): string {
  return crypto
    .createHash('sha256')
    .update([u.password_hash ?? '', u.totp_enabled, u.must_change_password, u.state].join('\n'))
    .digest('base64url')
    .slice(0, 22);
}

const processKey = crypto.randomBytes(32);

/** Derived from the session secret so tickets and session cookies never share a key; per process without one. */
function ticketKey(config: Config): Buffer {
  if (!config.sessionSecret) return processKey;
  return crypto.createHmac('sha256', config.sessionSecret).update('banchi sign-in ticket v1').digest();
}

export function issueTicket(config: Config, user: FingerprintSource, claims: TicketClaims, now: Date): { ticket: string; expires: Date } {
  const expires = new Date(now.getTime() + TICKET_TTL_MS);
  const payload: Payload = { u: claims.userId, s: claims.stage, m: claims.method, t: claims.totpDone, x: expires.getTime(), f: fingerprint(user) };
  const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
  const mac = crypto.createHmac('sha256', ticketKey(config)).update(body).digest('base64url');
  return { ticket: `${body}.${mac}`, expires };
}

/** The ticket's claims if it is authentic and unexpired, else null. The account check is separate. */
export function readTicket(config: Config, ticket: unknown, now: Date): (TicketClaims & { fingerprint: string }) | null {
  if (typeof ticket !== 'string' || ticket.length > 1000) return null;
  const [body, mac, extra] = ticket.split('.');
  if (!body || !mac || extra !== undefined) return null;
  const expected = crypto.createHmac('sha256', ticketKey(config)).update(body).digest();
  const given = Buffer.from(mac, 'base64url');
  if (given.length !== expected.length || !crypto.timingSafeEqual(given, expected)) return null;
  let p: Payload;
  try {
    p = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Payload;
  } catch {
    return null;
  }
  if (typeof p.x !== 'number' || p.x <= now.getTime() || typeof p.u !== 'string') return null;
  return { userId: p.u, stage: p.s, method: p.m, totpDone: p.t === true, fingerprint: p.f };
}

export function ticketMatches(claims: { fingerprint: string }, user: FingerprintSource): boolean {
  return claims.fingerprint === fingerprint(user);
}
