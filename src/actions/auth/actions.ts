import { userLogin, userPasswordChange } from './login.ts';
import { userTotpEnable, userTotpReset, userTotpSetup, userTotpVerify } from './totp-actions.ts';
import { userLoginOidc } from './oidc-actions.ts';
import { resetActions } from './reset.ts';

export { startOidcLogin, type OidcPending } from './oidc.ts';
export type { SignInResult, Next } from './flow.ts';

/** Sign-in, password change, TOTP two-factor and OpenID Connect; the contract is in README.md. */
export const authActions = [userLogin, userPasswordChange, userTotpSetup, userTotpEnable, userTotpVerify, userTotpReset, userLoginOidc, ...resetActions];
