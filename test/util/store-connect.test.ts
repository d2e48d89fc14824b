import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { sql } from 'kysely';
import { openStore, CONNECT_TIMEOUT_MS } from '../../src/store/db.ts';
import { ConfigError, openingStore } from '../../src/config.ts';
import { cliEnv, type CliEnv } from '../cli/cli-env.ts';

/**
 * A PostgreSQL address that accepts TCP and never answers (a hung server, a firewall swallowing the
 * handshake): opening a connection gives up after the connect time-out, and the CLI says so in its
 * one Thai/English line for an unusable database, instead of every request waiting forever.
 */
let silent: net.Server;
let url = '';
const sockets = new Set<net.Socket>();
let cli: CliEnv;

before(async () => {
  silent = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  url = `postgres://banchi:s3cret-pw@127.0.0.1:${(silent.address() as net.AddressInfo).port}/banchi`;
  cli = await cliEnv();
});
after(async () => {
  for (const s of sockets) s.destroy();
  silent.close();
  await cli.close();
});

test('a query on a server that never answers fails at the connect time-out as the store error', { timeout: 10_000 }, async () => {
  const started = Date.now();
  const e = await openingStore({ databaseUrl: url, dataDir: '' }, async () => {
    const store = await openStore({ databaseUrl: url, connectTimeoutMs: 300 });
    try {
      await sql`select 1`.execute(store.db);
    } finally {
      await store.close();
    }
  }).then(() => null, (x: unknown) => x);
  assert.ok(e instanceof ConfigError, String(e));
  assert.ok(Date.now() - started < 5000);
  assert.match(e.msg.en, /^cannot open the PostgreSQL database \(DATABASE_URL postgres:\/\/banchi:\*\*\*@127\.0\.0\.1:\d+\/banchi\): .*did not answer within 0\.3 s/);
  assert.match(e.msg.th, /^เปิดฐานข้อมูล PostgreSQL ไม่ได้/);
  assert.doesNotMatch(e.msg.en + e.msg.th, /s3cret-pw/);
});

test('the CLI stops in one line, exit 2, after the default connect time-out', { timeout: 60_000 }, async () => {
  const started = Date.now();
  const r = await cli.run(['migrate'], { lang: 'en_US.UTF-8', env: { DATABASE_URL: url } });
  assert.equal(r.code, 2, r.stderr);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /^banchi: cannot open the PostgreSQL database .*connect timeout/);
  assert.doesNotMatch(r.stderr, /s3cret-pw/);
  assert.ok(Date.now() - started >= CONNECT_TIMEOUT_MS - 500);
});
