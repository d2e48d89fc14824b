import { isSysadmin, type Actor } from '../access/actor.ts';
import type { PolicySet } from './types.ts';

/** Set by the sign-in actions: the account acted on, and whether the caller holds a valid ticket for this step. */
export interface SelfOrTicket {
  userId: string;
  ticket: boolean;
}

const self = (a: Actor, s: SelfOrTicket) => a.kind === 'user' && !!s.userId && a.user.id === s.userId;

export const authPolicies: PolicySet = {
  /** Signing in is for everyone; failures are counted per account and lock it (see actions/auth). */
  user_login: () => true,
  user_login_oidc: () => true,
  /** Own account only: signed in, or mid-sign-in with a ticket for this step. */
  user_password_change: (a, s: SelfOrTicket) => s.ticket === true || self(a, s),
  user_totp_setup: (a, s: SelfOrTicket) => s.ticket === true || self(a, s),
  user_totp_enable: (a, s: SelfOrTicket) => s.ticket === true || self(a, s),
  /** The second step needs the ticket of the first: a session or a bare user id is not enough. */
  user_totp_verify: (_a, s: SelfOrTicket) => s.ticket === true,
  /** Users cannot switch 2FA off; a sysadmin (or the CLI) resets it for a lost device. */
  user_totp_reset: (a) => isSysadmin(a),
  // Password reset (issue 12): asking is for everyone (the answer never tells whether an account
  // exists); the link's token is the right to set the password; only sysadmins issue links.
  user_password_reset_request: () => true,
  user_password_reset: () => true,
  user_password_reset_check: () => true,
  user_password_reset_issue: (a) => isSysadmin(a),
};
