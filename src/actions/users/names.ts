/**
 * User names that are portal paths under /user/ (sign-in, sign-out, password, reset, 2FA): an
 * account with one of these names would have its profile and API-token pages shadowed by them.
 */
export const RESERVED_USER_NAMES: ReadonlySet<string> = new Set(['login', 'logout', 'password', 'reset', '2fa']);
