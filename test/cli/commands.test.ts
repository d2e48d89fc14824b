import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { cliEnv, STORE, waitForLine, writeJsonl, type CliEnv } from './cli-env.ts';
import { verifyPassword } from '../../src/access/passwords.ts';
import { actorFromToken } from '../../src/access/tokens.ts';
import { runAction } from '../../src/actions/registry.ts';
import { SYSTEM } from '../../src/access/actor.ts';

describe(`banchi commands (${STORE})`, () => {
  let cli: CliEnv;
  before(async () => {
    cli = await cliEnv();
  });
  after(() => cli.close());

  test('help shows the usage in Thai and English; a wrong command line exits 2', async () => {
    const help = await cli.run(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /การใช้งาน \/ Usage: banchi/);
    for (const cmd of ['serve', 'migrate', 'user create', 'token create', 'import FILE.jsonl', 'seed demo', 'search reindex', 'backup FILE', 'restore FILE']) assert.ok(help.stdout.includes(cmd), cmd);
    assert.equal((await cli.run(['help'])).stdout, help.stdout);

    const unknown = await cli.run(['frobnicate']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /ไม่รู้จักคำสั่ง "frobnicate"/);
    const english = await cli.run(['frobnicate'], { lang: 'en_GB.UTF-8' });
    assert.match(english.stderr, /Unknown command "frobnicate"/);
    const badOption = await cli.run(['token', 'create', 'someone', '--colour', 'red'], { lang: 'en_US.UTF-8' });
    assert.equal(badOption.code, 2);
    assert.match(badOption.stderr, /Bad option/);
    const missing = await cli.run(['import']);
    assert.equal(missing.code, 2);
  });

  test('a bad setting in the environment is a configuration error (exit 2)', async () => {
    const r = await cli.run(['migrate'], { lang: 'en_US.UTF-8', env: { DATABASE_URL: 'mysql://nope' } });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /DATABASE_URL must start with postgres:\/\//);
  });

  test('migrate brings the store up to date, and says so the second time', async () => {
    const first = await cli.run(['migrate'], { lang: 'en_US.UTF-8' });
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /applied 001_core/);
    const again = await cli.run(['migrate'], { lang: 'en_US.UTF-8' });
    assert.equal(again.code, 0);
    assert.match(again.stdout, /^The database is up to date$/m);
  });

  test('user create reads the password from stdin; token create prints the token and nothing else', async () => {
    const created = await cli.run(['user', 'create', 'somchai', '--email', 'somchai@example.go.th', '--password-stdin', '--sysadmin'], { input: 'a long enough password\n' });
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stdout, /สร้างผู้ใช้ somchai \(ผู้ดูแลระบบ\) แล้ว/);
    assert.doesNotMatch(created.stdout, /a long enough password/);

    const token = await cli.run(['token', 'create', 'somchai', '--name', 'ci']);
    assert.equal(token.code, 0, token.stderr);
    assert.match(token.stdout, /^banchi_[A-Za-z0-9_-]+\n$/);
    assert.equal(token.stderr, '');

    await cli.withServices(async (services) => {
      const db = services.store.db;
      const u = await db.selectFrom('users').selectAll().where('name', '=', 'somchai').executeTakeFirstOrThrow();
      assert.equal(u.sysadmin, true);
      assert.equal(u.must_change_password, false);
      assert.equal(await verifyPassword(u.password_hash, 'a long enough password'), true, 'the newline that ends stdin is not part of the password');
      const actor = await actorFromToken(db, token.stdout.trim());
      assert.equal(actor?.kind === 'user' && actor.user.name, 'somchai');
      const tokens = await db.selectFrom('api_tokens').select('name').where('user_id', '=', u.id).execute();
      assert.deepEqual(tokens.map((t) => t.name), ['ci']);
    });

    const again = await cli.run(['user', 'create', 'somchai', '--email', 'other@example.go.th', '--password-stdin'], { input: 'another long password' });
    assert.equal(again.code, 1);
    assert.match(again.stderr, /name: ชื่อผู้ใช้นี้ถูกใช้แล้ว/);
    const noUser = await cli.run(['token', 'create', 'nobody'], { lang: 'en_US.UTF-8' });
    assert.equal(noUser.code, 1);
    assert.match(noUser.stderr, /user: User not found/);
    assert.equal(noUser.stdout, '');
  });

  test('user create without --password-stdin prints a one-time password that must be changed', async () => {
    const r = await cli.run(['user', 'create', 'malee', '--email', 'malee@example.go.th'], { lang: 'en_US.UTF-8' });
    assert.equal(r.code, 0, r.stderr);
    const password = /one-time password: (\S+)/.exec(r.stdout)?.[1];
    assert.ok(password);
    await cli.withServices(async (services) => {
      const u = await services.store.db.selectFrom('users').selectAll().where('name', '=', 'malee').executeTakeFirstOrThrow();
      assert.equal(u.must_change_password, true);
      assert.equal(await verifyPassword(u.password_hash, password), true);
    });
  });

  test('serve answers HTTP and stops cleanly on SIGTERM; while it runs, the embedded store refuses a second process', async () => {
    const server = cli.start(['serve', '--port', '0']);
    const [url] = await waitForLine(server, /http:\/\/127\.0\.0\.1:\d+/);
    const status = await fetch(`${url}/api/3/action/status_show`);
    assert.equal(status.status, 200);
    assert.equal(((await status.json()) as { success: boolean }).success, true);

    if (STORE === 'pglite') {
      const file = writeJsonl(cli.dataDir, 'busy.jsonl', [{ name: 'x' }]);
      const busy = await cli.run(['import', file], { lang: 'en_US.UTF-8' });
      assert.equal(busy.code, 2);
      assert.match(busy.stderr, /in use by process \d+/);
      assert.match(busy.stderr, /PGlite allows one process at a time/);
      const seed = await cli.run(['seed', 'demo']);
      assert.equal(seed.code, 2);
    }
    server.kill('SIGTERM');
    const [code] = await once(server, 'exit');
    assert.equal(code, 0);
    // The lock went with the server: the store opens again.
    assert.equal((await cli.run(['migrate'])).code, 0);
  });

  test('seed demo builds the demo catalog once; a second run adds nothing', async () => {
    const first = await cli.run(['seed', 'demo'], { lang: 'en_US.UTF-8' });
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /user admin one-time password: \S{20}/);
    assert.match(first.stdout, /user editor one-time password: \S{20}/);
    assert.match(first.stdout, /user member one-time password: \S{20}/);
    assert.match(first.stdout, /created 17 organisations, 6 groups, 3 users, 3 memberships; imported 59, failed 0/);

    const counts = () =>
      cli.withServices(async (services) => {
        const db = services.store.db;
        const n = async (table: 'groups' | 'users' | 'memberships' | 'datasets' | 'resources') => Number((await db.selectFrom(table).select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
        return { groups: await n('groups'), users: await n('users'), memberships: await n('memberships'), datasets: await n('datasets'), resources: await n('resources') };
      });
    const before = await counts();
    const second = await cli.run(['seed', 'demo'], { lang: 'en_US.UTF-8' });
    assert.equal(second.code, 0, second.stderr);
    assert.doesNotMatch(second.stdout, /one-time password/);
    assert.match(second.stdout, /created 0 organisations, 0 groups, 0 users, 0 memberships; imported 0, failed 0 \(59 already there\)/);
    assert.deepEqual(await counts(), before);

    await cli.withServices(async (services) => {
      const show = (id: string) => runAction<Record<string, any>>(services, 'organization_show', { id }, { actor: SYSTEM });
      assert.equal((await show('dlt-stat')).parent.name, 'dlt');
      assert.equal((await show('dlt')).parent.name, 'mot');
      const db = services.store.db;
      const byCategory = await db.selectFrom('datasets').select(['data_category', 'state', 'data_type']).execute();
      assert.equal(byCategory.filter((d) => d.state === 'draft').length, 1);
      assert.equal(byCategory.filter((d) => d.data_category === 'ข้อมูลส่วนบุคคล').length, 1);
      assert.ok(byCategory.filter((d) => d.data_category === 'ข้อมูลใช้ภายใน').length >= 5);
      assert.ok(new Set(byCategory.map((d) => d.data_type)).size >= 4);
      const editor = await db.selectFrom('memberships as m').innerJoin('users as u', 'u.id', 'm.user_id').innerJoin('groups as g', 'g.id', 'm.group_id').select(['g.name', 'm.role']).where('u.name', '=', 'editor').execute();
      assert.deepEqual(editor.map((e) => `${e.name}:${e.role}`).sort(), ['dlt-stat:editor', 'dlt:editor']);
      const open = await runAction<{ count: number }>(services, 'package_search', { q: 'ขนส่ง' }, { actor: { kind: 'anonymous' } });
      assert.ok(open.count > 0, 'anonymous visitors find open demo data');
    });
  });

  test('search reindex rebuilds the search rows and reports how many', async () => {
    const r = await cli.run(['search', 'reindex'], { lang: 'en_US.UTF-8' });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^reindexed 59 datasets in [\d.]+ s$/m);
  });

  test('linkcheck --org checks one organisation\'s links, stores the answers and scores, exits 1 on a broken one', async () => {
    const server = http.createServer((req, res) => {
      res.writeHead(req.url === '/ok' ? 200 : 404);
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const ids = await cli.withServices(async (services) => {
        const run = (name: string, input: Record<string, unknown>) => runAction<any>(services, name, input, { actor: SYSTEM });
        await run('organization_create', { name: 'links-org', title: 'หน่วยงานตรวจลิงก์' });
        const d = await run('package_create', { name: 'links-ds', title: 'ชุดข้อมูลตรวจลิงก์', owner_org: 'links-org', data_type: 'ข้อมูลสถิติ', maintainer: 'กลุ่มงาน', maintainer_email: 'a@example.go.th', tags: ['ลิงก์'], notes: 'ทดสอบ', objective: ['พันธกิจหน่วยงาน'], update_frequency_unit: 'ปี', geo_coverage: 'ประเทศ', data_source: 'หน่วยงาน', data_format: ['CSV'], data_category: 'ข้อมูลสาธารณะ', data_classification: 'เปิดเผย', license_id: 'Open Data Common' });
        const ok = await run('resource_create', { package_id: d.id, name: 'ok', format: 'CSV', url: `${base}/ok` });
        const bad = await run('resource_create', { package_id: d.id, name: 'gone', format: 'CSV', url: `${base}/gone` });
        return { dataset: d.id as string, ok: ok.id as string, bad: bad.id as string };
      });
      const r = await cli.run(['linkcheck', '--org', 'links-org'], { lang: 'en_US.UTF-8', env: { BANCHI_LINKCHECK_ALLOW_PRIVATE: 'true' } });
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stdout, /checked 2 links: ok 1 broken 1 timeout 0/);
      await cli.withServices(async (services) => {
        const rows = await services.store.db.selectFrom('resource_links').selectAll().execute();
        assert.deepEqual(rows.map((x) => `${x.resource_id === ids.ok ? 'ok' : 'bad'}:${x.status}:${x.http_status}`).sort(), ['bad:broken:404', 'ok:ok:200']);
        const q = await services.store.db.selectFrom('dataset_quality').selectAll().where('dataset_id', '=', ids.dataset).executeTakeFirstOrThrow();
        assert.equal(q.dirty, false);
        assert.equal((q.results as Array<{ key: string; result: string }>).find((c) => c.key === 'links')?.result, 'partial');
      });
      // Without the setting, loopback addresses are refused before any request.
      const refused = await cli.run(['linkcheck', '--org', 'links-org'], { lang: 'en_US.UTF-8' });
      assert.equal(refused.code, 1);
      assert.match(refused.stdout, /checked 2 links: ok 0 broken 2/);
    } finally {
      server.close();
    }
  });
});
