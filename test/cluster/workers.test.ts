import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { BIN, cliEnv, STORE, waitForLine, type CliEnv } from '../cli/cli-env.ts';
import { runAction } from '../../src/actions/registry.ts';
import { SYSTEM } from '../../src/access/actor.ts';
import { THROTTLE } from '../../src/actions/auth/throttle.ts';
import { HIDDEN_CLASHES_PER_WINDOW } from '../../src/access/probe-budget.ts';
import { queueMail } from '../../src/mail/outbox.ts';
import { datasetInput } from '../helpers.ts';

/**
 * Issue 10, several processes over one database: two `banchi serve` processes over one PostgreSQL
 * database and one data directory, as two app servers behind a proxy. Each limit is spent half on
 * one and half on the other, so a limit kept in one process's memory would never be reached.
 */
const PASSWORD = 'correct horse battery';

describe(`serve --workers and shared state (${STORE})`, () => {
  let cli: CliEnv;
  before(async () => {
    cli = await cliEnv();
  });
  after(() => cli.close());

  test('--workers above 1 on the embedded store is refused in one line; a bad count is a usage error', async () => {
    const r = await cli.run(['serve', '--workers', '2'], { lang: 'en_US.UTF-8', env: { DATABASE_URL: '' } });
    assert.equal(r.code, 2);
    assert.equal(r.stderr.trim(), 'banchi: --workers above 1 needs PostgreSQL (DATABASE_URL): PGlite is one process');
    const bad = await cli.run(['serve', '--workers', 'many'], { lang: 'en_US.UTF-8' });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--workers must be a whole number/);
  });

  test('serve --workers 2 answers on one port and stops cleanly on SIGTERM', { skip: STORE !== 'postgres' && 'needs PostgreSQL' }, async () => {
    const server = cli.start(['serve', '--workers', '2', '--port', '0']);
    const [url] = await waitForLine(server, /http:\/\/127\.0\.0\.1:\d+/);
    for (let i = 0; i < 6; i++) {
      const r = await fetch(`${url}/api/3/action/status_show`);
      assert.equal(r.status, 200);
      await r.arrayBuffer();
    }
    server.kill('SIGTERM');
    const [code] = await once(server, 'exit');
    assert.equal(code, 0);
  });

  describe('two app processes over one database', { skip: STORE !== 'postgres' && 'needs PostgreSQL' }, () => {
    const received: string[] = [];
    let smtp: SMTPServer;
    let servers: ChildProcess[] = [];
    let urls: string[] = [];
    let editorToken = '';

    before(async () => {
      smtp = new SMTPServer({
        authOptional: true,
        hideSTARTTLS: true,
        logger: false,
        onData(stream, session, cb) {
          stream.on('data', () => undefined);
          stream.on('end', () => {
            received.push(...session.envelope.rcptTo.map((r) => r.address));
            cb();
          });
        },
      });
      await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
      const smtpUrl = `smtp://127.0.0.1:${(smtp.server.address() as AddressInfo).port}`;
      await cli.withServices(async (s) => {
        const run = (name: string, input: Record<string, unknown>) => runAction<any>(s, name, input, { actor: SYSTEM });
        await run('user_create', { name: 'alice', email: 'alice@example.go.th', password: PASSWORD });
        await run('user_create', { name: 'editor_a', email: 'editor@example.go.th', password: PASSWORD });
        await run('organization_create', { name: 'org-a', title: 'หน่วยงาน ก' });
        await run('organization_create', { name: 'org-b', title: 'หน่วยงาน ข' });
        await run('organization_member_create', { id: 'org-a', username: 'editor_a', role: 'editor' });
        editorToken = (await run('api_token_create', { user: 'editor_a', name: 'test' })).token;
        await run('package_create', datasetInput('org-b', { name: 'hidden-probe', data_category: 'ข้อมูลส่วนบุคคล', data_classification: 'ลับ' }));
      });
      const start = () => spawn(process.execPath, [BIN, 'serve', '--port', '0'], { env: { ...cli.env, BANCHI_SMTP_URL: smtpUrl }, stdio: ['ignore', 'pipe', 'pipe'] });
      servers = [start(), start()];
      urls = await Promise.all(servers.map(async (s) => (await waitForLine(s, /http:\/\/127\.0\.0\.1:\d+/))[0]));
      assert.notEqual(urls[0], urls[1]);
    });
    after(async () => {
      await Promise.all(servers.filter((s) => s.exitCode === null).map((s) => (s.kill('SIGTERM'), once(s, 'exit'))));
      await new Promise<void>((r) => smtp.close(() => r()));
    });

    const apiCall = async (i: number, action: string, body: unknown, token?: string) => {
      const res = await fetch(`${urls[i % 2]}/api/3/action/${action}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'accept-language': 'en', ...(token ? { authorization: token } : {}) },
        body: JSON.stringify(body),
      });
      return { status: res.status, json: (await res.json()) as any };
    };

    test('a sign-in lockout started on one process holds on the other', async () => {
      assert.equal((await apiCall(1, 'user_login', { login: 'alice', password: PASSWORD })).status, 200, 'the password is right');
      for (let i = 0; i < THROTTLE.pair.max; i++) {
        const r = await apiCall(i, 'user_login', { login: 'alice', password: 'wrong password here' });
        assert.equal(r.status, 409);
      }
      for (const i of [0, 1]) {
        const r = await apiCall(i, 'user_login', { login: 'alice', password: PASSWORD });
        assert.equal(r.status, 409, `process ${i} refuses the right password`);
        assert.match(JSON.stringify(r.json.error), /Sign-in is locked/);
      }
    });

    test('the sign-in page request limit counts requests on both processes together', async () => {
      const post = async (i: number) => {
        const res = await fetch(`${urls[i % 2]}/user/login`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'login=nobody&password=x', redirect: 'manual' });
        await res.arrayBuffer();
        return res.status;
      };
      // LOGIN_RATE_LIMIT: 10 a minute from one address; 5 on each process.
      for (let i = 0; i < 10; i++) assert.notEqual(await post(i), 429, `request ${i + 1} is within the limit`);
      assert.equal(await post(0), 429);
      assert.equal(await post(1), 429);
    });

    test('the hidden-name probe budget is one budget across processes', async () => {
      for (let i = 0; i < HIDDEN_CLASHES_PER_WINDOW; i++) {
        const r = await apiCall(i, 'package_create', datasetInput('org-a', { name: 'hidden-probe' }), editorToken);
        assert.equal(r.status, 409);
        assert.deepEqual(r.json.error.name, ['That URL cannot be used; please choose another.'], `probe ${i + 1}`);
      }
      // Each process answered only half of the budget, yet a free name is now refused on both.
      for (const i of [0, 1]) {
        const r = await apiCall(i, 'package_create', datasetInput('org-a', { name: `free-name-${i}` }), editorToken);
        assert.equal(r.status, 409);
        assert.deepEqual(r.json.error.name, ['Too many attempts with URLs or ids that cannot be used; please try again later']);
      }
    });

    test('each queued job runs once although both processes poll the queue', async () => {
      const n = 30;
      await cli.withServices((s) =>
        s.store.db.transaction().execute(async (tx) => {
          for (let i = 0; i < n; i++) await queueMail(tx, { to: `r${i}@example.go.th`, template: 'case_waiting', vars: { number: i, process: 'p', state: 's', name: 'n', url: 'u', site: 's' } });
        }),
      );
      const sent = await cli.withServices(async (s) => {
        for (let t = 0; t < 120; t++) {
          const r = await s.store.db.selectFrom('mail_outbox').select((eb) => eb.fn.countAll<number>().as('n')).where('state', '=', 'sent').executeTakeFirstOrThrow();
          if (Number(r.n) >= n) break;
          await new Promise((res) => setTimeout(res, 250));
        }
        return s.store.db.selectFrom('jobs').select(['attempts', 'state']).where('queue', '=', 'mail').execute();
      });
      assert.equal(sent.length, n);
      assert.ok(sent.every((j) => j.state === 'done' && j.attempts === 1), JSON.stringify(sent.filter((j) => j.state !== 'done' || j.attempts !== 1)));
      assert.equal(received.length, n, 'every message delivered exactly once');
      assert.equal(new Set(received).size, n);
    });

    test('after both processes stop, the audit log they both wrote and sealed verifies', async () => {
      await Promise.all(servers.map((s) => (s.kill('SIGTERM'), once(s, 'exit'))));
      const r = await cli.run(['audit', 'verify'], { lang: 'en_US.UTF-8' });
      assert.equal(r.code, 0, r.stdout + r.stderr);
    });
  });
});
