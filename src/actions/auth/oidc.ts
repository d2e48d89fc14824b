import * as client from 'openid-client';
import type { Config } from '../../config.ts';
import { AuthorizationError } from '../errors.ts';
import { AuthMsg } from './messages.ts';

/**
 * OpenID Connect relying party (DGA Digital ID, connect.egov.go.th, or any conforming provider):
 * authorization code flow with state, nonce and PKCE (S256).
 */

type OidcSettings = NonNullable<Config['oidc']>;

/** Thrown for a provider that is not configured or whose settings cannot work. */
export class OidcConfigError extends AuthorizationError {}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);
/** Each request to the provider gives up after this, so a slow provider cannot hold a sign-in (and its transaction) long. */
const TIMEOUT_SECONDS = 10;
export const OIDC_SCOPE = 'openid profile email';

/** Discovery answers, one per provider and client, kept for the life of the process. */
const discovered = new Map<string, Promise<client.Configuration>>();

function settings(config: Config): OidcSettings {
  if (!config.oidc || !config.oidc.issuer || !config.oidc.clientId) throw new OidcConfigError(AuthMsg.oidcOff());
  return config.oidc;
}

/** The provider's documented methods decide between HTTP Basic (the default of the spec) and form-post secrets. */
function clientAuth(secret: string): client.ClientAuth {
  if (!secret) return client.None();
  const basic = client.ClientSecretBasic(secret);
  const post = client.ClientSecretPost(secret);
  return (as, c, body, headers) => {
    const methods = as.token_endpoint_auth_methods_supported;
    const usePost = Array.isArray(methods) && !methods.includes('client_secret_basic') && methods.includes('client_secret_post');
    (usePost ? post : basic)(as, c, body, headers);
  };
}

export function oidcConfiguration(config: Config): Promise<client.Configuration> {
  const s = settings(config);
  const key = `${s.issuer}\n${s.clientId}`;
  let p = discovered.get(key);
  if (!p) {
    let issuer: URL;
    try {
      issuer = new URL(s.issuer);
    } catch {
      throw new OidcConfigError(AuthMsg.oidcOff());
    }
    // Plain HTTP only for a provider on this machine (tests, local development).
    const insecure = issuer.protocol === 'http:';
    if (insecure && !LOOPBACK.has(issuer.hostname)) throw new OidcConfigError(AuthMsg.oidcOff());
    p = client.discovery(issuer, s.clientId, undefined, clientAuth(s.clientSecret), {
      timeout: TIMEOUT_SECONDS,
      ...(insecure ? { execute: [client.allowInsecureRequests] } : {}),
    });
    discovered.set(key, p);
    // A failed discovery is not cached: the next sign-in tries again.
    p.catch(() => discovered.delete(key));
  }
  return p;
}

/** What the web layer keeps (signed, about 10 minutes, HttpOnly) between the redirect and the callback. */
export interface OidcPending {
  state: string;
  nonce: string;
  code_verifier: string;
  redirect_uri: string;
}

/** Step one: the provider's authorization URL to redirect the browser to, and the values to keep for the callback. */
export async function startOidcLogin(config: Config, redirectUri: string): Promise<{ url: string; pending: OidcPending }> {
  const configuration = await oidcConfiguration(config);
  const code_verifier = client.randomPKCECodeVerifier();
  const pending: OidcPending = { state: client.randomState(), nonce: client.randomNonce(), code_verifier, redirect_uri: redirectUri };
  const url = client.buildAuthorizationUrl(configuration, {
    redirect_uri: redirectUri,
    scope: OIDC_SCOPE,
    response_type: 'code',
    state: pending.state,
    nonce: pending.nonce,
    code_challenge: await client.calculatePKCECodeChallenge(code_verifier),
    code_challenge_method: 'S256',
  });
  return { url: url.href, pending };
}

/** The identity the provider vouches for, reduced to what banchi uses. */
export interface OidcIdentity {
  issuer: string;
  subject: string;
  email: string;
  emailVerified: boolean;
  preferredUsername: string;
  /** `name`, else given_name + family_name (DGA sends Thai names). Citizen ID claims are read by nobody. */
  fullname: string;
}

function str(v: unknown): string {
  return typeof v === 'string' ? v.trim() : '';
}

/**
 * Step two: checks the callback (state, issuer), exchanges the code with the PKCE verifier,
 * validates the ID token (signature, audience, expiry, nonce) and reads the user info.
 */
export async function completeOidcLogin(config: Config, pending: OidcPending, callbackQuery: URLSearchParams): Promise<OidcIdentity> {
  const configuration = await oidcConfiguration(config);
  const current = new URL(pending.redirect_uri);
  current.search = callbackQuery.toString();
  const tokens = await client.authorizationCodeGrant(configuration, current, {
    expectedState: pending.state,
    expectedNonce: pending.nonce,
    pkceCodeVerifier: pending.code_verifier,
    idTokenExpected: true,
  });
  const id = tokens.claims();
  if (!id) throw new Error('no ID token');
  let info: Record<string, unknown> = {};
  // Providers often keep profile claims out of the ID token (DGA answers them at userinfo).
  if (configuration.serverMetadata().userinfo_endpoint && tokens.access_token) {
    info = await client.fetchUserInfo(configuration, tokens.access_token, id.sub);
  }
  const claims: Record<string, unknown> = { ...info, ...id };
  const given = str(claims.given_name);
  const family = str(claims.family_name);
  return {
    issuer: str(id.iss),
    subject: id.sub,
    email: str(claims.email).toLowerCase(),
    emailVerified: claims.email_verified === true || claims.email_verified === 'true',
    preferredUsername: str(claims.preferred_username),
    fullname: str(claims.name) || [given, family].filter(Boolean).join(' '),
  };
}

/** For tests that start several providers in one process. */
export function forgetOidcDiscovery(): void {
  discovered.clear();
}
