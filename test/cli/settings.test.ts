import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { cliEnv, STORE, type CliEnv } from './cli-env.ts';
import { ConfigError, loadConfig } from '../../src/config.ts';

/**
 * Bad settings, as an operator makes them: one line saying which setting and why, exit 2, no stack
 * trace, no password echoed; and the README's settings table says what config.ts really reads.
 */

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const STACK = /\bat \S+ \(|node_modules|\.ts:\d+/;

function oneLine(r: { code: number | null; stderr: string }, pattern: RegExp): void {
  assert.equal(r.code, 2, r.stderr);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0]!, pattern);
  assert.doesNotMatch(r.stderr, STACK);
}

describe('settings', () => {
  let cli: CliEnv;
  before(async () => {
    cli = await cliEnv();
  });
  after(async () => {
    await cli.close();
  });

  test('BANCHI_SITE_URL must carry its scheme: every link and cookie is built from it', () => {
    for (const bad of ['data.agency.go.th', 'ftp://data.agency.go.th', 'https://', 'https://data.agency.go.th/?x=1', 'https://user:pw@data.agency.go.th']) {
      assert.throws(() => loadConfig({ BANCHI_SITE_URL: bad }), (e: unknown) => e instanceof ConfigError && /BANCHI_SITE_URL/.test(e.msg.en) && /BANCHI_SITE_URL/.test(e.msg.th), bad);
    }
    assert.equal(loadConfig({ BANCHI_SITE_URL: 'https://data.agency.go.th/' }).siteUrl, 'https://data.agency.go.th');
    assert.equal(loadConfig({ BANCHI_SITE_URL: 'http://127.0.0.1:5000/catalog' }).siteUrl, 'http://127.0.0.1:5000/catalog');
    assert.equal(loadConfig({ PORT: '5001' }).siteUrl, 'http://127.0.0.1:5001');
  });

  test('serve with a BANCHI_SITE_URL without scheme stops in one line, before the store is touched', { timeout: 60_000 }, async () => {
    const r = await cli.run(['serve', '--port', '0'], { lang: 'en_US.UTF-8', env: { BANCHI_SITE_URL: 'data.agency.go.th' } });
    oneLine(r, /^banchi: BANCHI_SITE_URL must be the full public address with http:\/\/ or https:\/\//);
    assert.doesNotMatch(r.stdout, /one-time password/);
  });

  test('a configuration error is Thai by default and English with an English locale', async () => {
    const th = await cli.run(['migrate'], { env: { DATABASE_URL: 'mysql://nope' } });
    oneLine(th, /^banchi: DATABASE_URL ต้องขึ้นต้นด้วย postgres:\/\//);
    const en = await cli.run(['migrate'], { lang: 'en_US.UTF-8', env: { DATABASE_URL: 'mysql://nope' } });
    oneLine(en, /^banchi: DATABASE_URL must start with postgres:\/\//);
  });

  test('a PostgreSQL server that is not there: one line naming DATABASE_URL, the password not shown', async () => {
    // Port 1 on loopback: nothing listens, the connection is refused at once.
    const env = { DATABASE_URL: 'postgres://banchi:s3cret-pw@127.0.0.1:1/banchi' };
    for (const args of [['migrate'], ['search', 'reindex'], ['backup', path.join(cli.dataDir, 'x.tar')]]) {
      const r = await cli.run(args, { lang: 'en_US.UTF-8', env });
      oneLine(r, /^banchi: cannot open the PostgreSQL database \(DATABASE_URL postgres:\/\/banchi:\*\*\*@127\.0\.0\.1:1\/banchi\): .*ECONNREFUSED/);
      assert.doesNotMatch(r.stderr, /s3cret-pw/);
    }
    const th = await cli.run(['serve', '--port', '0'], { env });
    oneLine(th, /^banchi: เปิดฐานข้อมูล PostgreSQL ไม่ได้ \(DATABASE_URL /);
  });

  test('a database that does not exist on a real server: one line', { skip: STORE !== 'postgres' }, async () => {
    const url = new URL(cli.env.DATABASE_URL!);
    url.pathname = '/banchi_no_such_database';
    const r = await cli.run(['migrate'], { lang: 'en_US.UTF-8', env: { DATABASE_URL: url.toString() } });
    oneLine(r, /^banchi: cannot open the PostgreSQL database .*"banchi_no_such_database" does not exist/);
  });

  test('a data directory that is a file: one line naming BANCHI_DATA_DIR (serve and commands)', async () => {
    const file = path.join(cli.dataDir, 'not-a-dir');
    fs.writeFileSync(file, 'x');
    const env = { BANCHI_DATA_DIR: file, DATABASE_URL: '' };
    for (const args of [['migrate'], ['serve', '--port', '0'], ['token', 'create', 'admin']]) {
      const r = await cli.run(args, { lang: 'en_US.UTF-8', env });
      oneLine(r, new RegExp(`^banchi: cannot use the data directory \\(BANCHI_DATA_DIR ${file}\\): ENOTDIR`));
    }
  });

  test('every setting the README lists is read by banchi with the default it states, and every one config.ts reads is listed', () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Settings'), readme.indexOf('## PGlite or PostgreSQL'));
    const rows = section.split('\n').filter((l) => /^\| `/.test(l));
    const listed = new Map<string, string>();
    for (const row of rows) {
      const [names, def] = row.split(' | ');
      for (const m of names!.matchAll(/`([A-Z][A-Z0-9_]+)`/g)) listed.set(m[1]!, def!.trim());
    }
    const source = fs.readFileSync(path.join(ROOT, 'src', 'config.ts'), 'utf8');
    const read = new Set([...source.matchAll(/env\.([A-Z][A-Z0-9_]+)/g), ...source.matchAll(/intSetting\(env, '([A-Z0-9_]+)'/g)].map((m) => m[1]!));
    const elsewhere = ['BANCHI_TRUST_PROXY', 'BANCHI_STANDARDS_DIR'];
    const allSource = [source, fs.readFileSync(path.join(ROOT, 'src', 'app.ts'), 'utf8'), fs.readFileSync(path.join(ROOT, 'src', 'standard', 'index.ts'), 'utf8')].join('\n');
    for (const name of listed.keys()) assert.ok(read.has(name) || (elsewhere.includes(name) && allSource.includes(name)), `README lists ${name}, which banchi does not read`);
    for (const name of read) assert.ok(listed.has(name), `config.ts reads ${name}, which the README's settings table does not list`);
    // Integer settings: the README's default is the one config.ts falls back to.
    for (const m of source.matchAll(/intSetting\(env, '([A-Z0-9_]+)', ([\d_]+),/g)) {
      assert.equal(listed.get(m[1]!), `\`${Number(m[2]!.replace(/_/g, ''))}\``, `default of ${m[1]}`);
    }
    const defaults = loadConfig({});
    assert.equal(listed.get('HOST'), `\`${defaults.host}\``);
    assert.equal(listed.get('BANCHI_SITE_TITLE'), `\`${defaults.siteTitle}\``);
    assert.equal(listed.get('BANCHI_SITE_KIND'), `\`${defaults.siteKind}\``);
  });
});
