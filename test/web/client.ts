import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { generate } from 'otplib';

/** A browser without JavaScript over app.inject: a cookie jar, forms posted with the page's CSRF token. */
export class PageClient {
  readonly cookies = new Map<string, string>();
  last: LightMyRequestResponse | null = null;
  private readonly app: FastifyInstance;
  /** Each client comes from its own address, as separate browsers do (the sign-in limit counts per address). */
  readonly ip: string;
  constructor(app: FastifyInstance, ip = `10.${rand()}.${rand()}.${rand()}`) {
    this.app = app;
    this.ip = ip;
  }

  private remember(res: LightMyRequestResponse): void {
    const raw = res.headers['set-cookie'];
    for (const c of Array.isArray(raw) ? raw : raw ? [raw] : []) {
      const [pair, ...attrs] = c.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      const gone = attrs.some((a) => /^\s*(max-age=0|expires=thu, 01 jan 1970)/i.test(a));
      if (!value || gone) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  async get(url: string, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
    const res = await this.app.inject({ method: 'GET', url, remoteAddress: this.ip, headers: { cookie: this.cookieHeader(), ...headers } });
    this.remember(res);
    this.last = res;
    return res;
  }

  /** The CSRF token of the last page's first form (or of a given page). */
  csrf(body = this.last?.body ?? ''): string {
    const m = /name="_csrf" value="([^"]+)"/.exec(body);
    if (!m) throw new Error('no CSRF token on the page');
    return m[1]!;
  }

  async post(url: string, fields: Record<string, string | string[]>, opts: { csrf?: string | null } = {}): Promise<LightMyRequestResponse> {
    const form = new URLSearchParams();
    const token = opts.csrf === undefined ? this.csrf() : opts.csrf;
    if (token !== null) form.append('_csrf', token);
    for (const [k, v] of Object.entries(fields)) for (const x of Array.isArray(v) ? v : [v]) form.append(k, x);
    const res = await this.app.inject({ method: 'POST', url, remoteAddress: this.ip, payload: form.toString(), headers: { cookie: this.cookieHeader(), 'content-type': 'application/x-www-form-urlencoded' } });
    this.remember(res);
    this.last = res;
    return res;
  }

  /** A multipart form with one file field named "upload". */
  async postFile(url: string, fields: Record<string, string>, file: { name: string; content: Buffer | string; type?: string } | null): Promise<LightMyRequestResponse> {
    const boundary = `----banchi${Date.now()}`;
    const parts: Buffer[] = [];
    const add = (s: string) => parts.push(Buffer.from(s));
    for (const [k, v] of Object.entries({ _csrf: this.csrf(), ...fields })) add(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`);
    if (file) {
      add(`--${boundary}\r\nContent-Disposition: form-data; name="upload"; filename="${file.name}"\r\nContent-Type: ${file.type ?? 'application/octet-stream'}\r\n\r\n`);
      parts.push(Buffer.isBuffer(file.content) ? file.content : Buffer.from(file.content));
      add('\r\n');
    }
    add(`--${boundary}--\r\n`);
    const res = await this.app.inject({ method: 'POST', url, remoteAddress: this.ip, payload: Buffer.concat(parts), headers: { cookie: this.cookieHeader(), 'content-type': `multipart/form-data; boundary=${boundary}` } });
    this.remember(res);
    this.last = res;
    return res;
  }

  /** Follows one redirect (303 after a form). */
  async follow(): Promise<LightMyRequestResponse> {
    const to = this.last?.headers.location;
    if (typeof to !== 'string') throw new Error(`expected a redirect, got ${this.last?.statusCode}`);
    return this.get(to);
  }

  async signIn(login: string, password: string): Promise<LightMyRequestResponse> {
    await this.get('/user/login');
    return this.post('/user/login', { login, password });
  }

  /**
   * Signs in an account that needs two factors: sets TOTP up on the first sign-in (the secret is
   * read from the page and kept in `secrets`), or answers the code on later ones.
   */
  async signInWith2fa(login: string, password: string, secrets: Map<string, string>): Promise<void> {
    const first = await this.signIn(login, password);
    if (first.headers.location === '/user/2fa/setup') {
      const page = await this.get('/user/2fa/setup');
      const secret = /id="totp-secret">([A-Z2-7 ]+)</.exec(page.body)![1]!.replace(/ /g, '');
      secrets.set(login, secret);
      const done = await this.post('/user/2fa/setup', { code: await generate({ secret }) });
      if (done.statusCode !== 200) throw new Error(`2FA set-up failed: ${done.statusCode}`);
    } else if (first.headers.location === '/user/2fa/verify') {
      await this.get('/user/2fa/verify');
      // A code one step ahead: the one of this step may already have been used by the set-up.
      const res = await this.post('/user/2fa/verify', { code: await generate({ secret: secrets.get(login)!, epoch: Math.floor(Date.now() / 1000) + 30 }) });
      if (res.statusCode !== 303) throw new Error(`2FA verify failed: ${res.statusCode}`);
    } else if (first.statusCode !== 303) throw new Error(`sign-in failed: ${first.statusCode}`);
    await this.get('/');
  }
}

function rand(): number {
  return 1 + Math.floor(Math.random() * 250);
}

/** Text of the element with this id, tags removed (enough to find an error beside a field). */
export function textNear(body: string, marker: string, chars = 600): string {
  const i = body.indexOf(marker);
  return i < 0 ? '' : body.slice(i, i + chars).replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');
}
