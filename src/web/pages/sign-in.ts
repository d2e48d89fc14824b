import type { FastifyReply } from 'fastify';
import { AuthorizationError } from '../../actions/errors.ts';
import { redirect, safeLocal, type PageCtx } from '../context.ts';
import { startSession, type PendingStep } from '../session.ts';

/** What every sign-in step answers (src/actions/auth/README.md). */
export interface SignInResult {
  user: { id: string; name: string; sysadmin: boolean; fullname: string };
  next: 'done' | PendingStep;
  /** With next = done: the sign-in passed a second factor. */
  two_factor?: boolean;
  ticket?: string;
  ticket_expires?: string;
}

export const STEP_PATHS: Record<PendingStep, string> = {
  totp: '/user/2fa/verify',
  totp_setup: '/user/2fa/setup',
  change_password: '/user/password',
};

/** Sign-in routes are limited per address: enough for people, too few for guessing. */
export const LOGIN_RATE_LIMIT = { rateLimit: { max: 10, timeWindow: '1 minute' } };

export function cameFrom(p: PageCtx): string {
  const q = (p.req.query as Record<string, unknown>)?.came_from ?? p.body.came_from ?? p.req.webSession?.data.came_from;
  const to = safeLocal(q, '/dashboard', p.services.config.siteUrl);
  return to.startsWith('/user/login') || to.startsWith('/user/logout') ? '/dashboard' : to;
}

/**
 * After a step: "done" starts a signed-in session with a new id (the old one, pending or not, is
 * dropped); any other answer keeps only a pending session, which signs no one in. Returns where
 * the visitor goes next.
 */
export async function continueSignIn(p: PageCtx, result: SignInResult, to: string): Promise<string> {
  const user = { id: result.user.id, name: result.user.name, sysadmin: result.user.sysadmin };
  if (result.next === 'done') {
    await startSession(p.services, p.req, p.reply, user, 'active', { twoFactor: result.two_factor === true });
    return to;
  }
  if (!result.ticket || !(result.next in STEP_PATHS)) throw new AuthorizationError();
  await startSession(p.services, p.req, p.reply, user, 'pending', { step: result.next, data: { ticket: result.ticket, came_from: to } });
  return STEP_PATHS[result.next];
}

export async function afterStep(p: PageCtx, result: SignInResult, to: string): Promise<FastifyReply> {
  const next = await continueSignIn(p, result, to);
  return redirect(p, next, result.next === 'done' ? 'flash.signed_in' : undefined);
}

/** The ticket of a pending session for this step, or null (then the page sends the visitor to sign in). */
export function pendingTicket(p: PageCtx, step: PendingStep): string | null {
  const s = p.req.webSession;
  if (!s || s.state !== 'pending' || s.step !== step || typeof s.data.ticket !== 'string') return null;
  return s.data.ticket;
}
