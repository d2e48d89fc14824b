import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Provider } from 'oidc-provider';

/** People the test identity provider knows, by subject; claims as DGA Digital ID would send them. */
export type Accounts = Record<string, Record<string, unknown>>;

export interface TestProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
  redirectUri: string;
  /** What the provider released, per request: 'id_token' or 'userinfo' and the granted scope. */
  released: Array<{ use: string; scope: string }>;
  close(): Promise<void>;
}

/** A real OpenID Provider (oidc-provider) on 127.0.0.1 at a random port, with one confidential client. */
export async function startProvider(accounts: Accounts): Promise<TestProvider> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clientId = 'banchi-test';
  const clientSecret = 'a-long-client-secret-for-the-test-provider';
  const redirectUri = 'http://127.0.0.1:5000/user/login/oidc/callback';
  const released: Array<{ use: string; scope: string }> = [];
  const provider = new Provider(issuer, {
    clients: [{ client_id: clientId, client_secret: clientSecret, redirect_uris: [redirectUri], grant_types: ['authorization_code'], response_types: ['code'] }],
    cookies: { keys: ['test-cookie-key-0123456789'] },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'given_name', 'family_name', 'preferred_username', 'citizen_id'] },
    pkce: { required: () => true },
    async findAccount(_ctx: unknown, sub: string) {
      const claims = accounts[sub];
      if (!claims) return undefined;
      return {
        accountId: sub,
        async claims(use: string, scope: string) {
          released.push({ use, scope });
          return { sub, ...claims };
        },
      };
    },
  });
  server.on('request', provider.callback());
  return {
    issuer,
    clientId,
    clientSecret,
    redirectUri,
    released,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A browser with a cookie jar, enough for the provider's own login and consent pages. */
class Browser {
  private cookies = new Map<string, string>();

  async request(url: string, init: { method?: string; form?: Record<string, string> } = {}): Promise<Response> {
    const headers: Record<string, string> = {};
    if (this.cookies.size) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    if (init.form) headers['content-type'] = 'application/x-www-form-urlencoded';
    const res = await fetch(url, { method: init.method ?? 'GET', headers, body: init.form ? new URLSearchParams(init.form).toString() : undefined, redirect: 'manual' });
    for (const c of res.headers.getSetCookie()) {
      const [pair, ...attrs] = c.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      const expired = attrs.some((a) => /expires=thu, 01 jan 1970/i.test(a.trim()));
      if (!value || expired) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return res;
  }
}

/**
 * Drives the authorization request as a user would: follows redirects, signs in as `subject` on the
 * provider's login page, accepts the consent page, and stops at the redirect back to banchi,
 * returning the callback's query string.
 */
export async function authorizeAs(authorizationUrl: string, subject: string, redirectUri: string): Promise<string> {
  const browser = new Browser();
  let url = authorizationUrl;
  let init: { method?: string; form?: Record<string, string> } = {};
  for (let hop = 0; hop < 20; hop++) {
    const res = await browser.request(url, init);
    init = {};
    const location = res.headers.get('location');
    if (location) {
      const next = new URL(location, url).href;
      if (next.startsWith(redirectUri)) return new URL(next).search;
      url = next;
      continue;
    }
    const html = await res.text();
    if (res.status !== 200) throw new Error(`provider answered ${res.status}: ${html.slice(0, 300)}`);
    const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
    const prompt = /name="prompt" value="([^"]+)"/.exec(html)?.[1];
    if (!action || !prompt) throw new Error(`no interaction form in: ${html.slice(0, 300)}`);
    url = new URL(action.replace(/&amp;/g, '&'), url).href;
    init = { method: 'POST', form: prompt === 'login' ? { prompt, login: subject, password: 'any' } : { prompt } };
  }
  throw new Error('too many redirects');
}
