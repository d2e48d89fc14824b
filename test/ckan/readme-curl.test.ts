import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { makeOrg, makeUser, testEnv, type TestEnv } from '../helpers.ts';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../..');

/** The README's curl block under "## The API", exactly as written but for the port. */
function readmeExamples(port: number): string[] {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## The API'));
  const block = /```sh\n([\s\S]*?)```/.exec(section)![1]!;
  return block
    .replace(/\\\n\s*/g, '')
    .split('\n')
    .filter((l) => l.startsWith('curl '))
    .map((l) => l.replaceAll('127.0.0.1:5000', `127.0.0.1:${port}`));
}

describe('README curl examples against a real loopback server', () => {
  let env: TestEnv;
  let port: number;
  let token: string;
  before(async () => {
    env = await testEnv({}, { web: true });
    await makeOrg(env, 'dlt', 'กรมการขนส่งทางบก');
    ({ token } = await makeUser(env, 'editor', { org: 'dlt', role: 'editor' }));
    await env.app.listen({ port: 0, host: '127.0.0.1' });
    port = (env.app.server.address() as { port: number }).port;
  });
  after(() => env.close());

  const sh = (cmd: string) => run('bash', ['-c', cmd], { cwd: path.join(ROOT, 'docs/examples'), env: { ...process.env, TOKEN: token } });

  test('every example runs as written and succeeds', async () => {
    const examples = readmeExamples(port);
    assert.equal(examples.length, 3);
    const [search, create, upload] = examples as [string, string, string];
    assert.match(search, /แรงงาน/, 'the search example sends Thai');
    const before = JSON.parse((await sh(search)).stdout);
    assert.equal(before.success, true);
    assert.ok('data_category' in before.result.search_facets);
    const created = JSON.parse((await sh(create)).stdout);
    assert.equal(created.success, true, JSON.stringify(created));
    assert.equal(created.result.name, 'my-dataset');
    const res = JSON.parse((await sh(upload)).stdout);
    assert.equal(res.success, true, JSON.stringify(res));
    assert.equal(res.result.url_type, 'upload');
    const after = JSON.parse((await sh(search)).stdout);
    assert.equal(after.result.count, 1);
    assert.equal(after.result.results[0].name, 'my-dataset');
  });

  test('raw Thai in a query string gets a CKAN-shaped 400 that says to percent-encode', async () => {
    const raw = `curl -s -w '\\n%{http_code}' 'http://127.0.0.1:${port}/api/3/action/package_search?q=แรงงาน'`;
    const out = (await sh(raw)).stdout.trim().split('\n');
    assert.equal(out.at(-1), '400');
    const body = JSON.parse(out.slice(0, -1).join('\n'));
    assert.equal(body.success, false);
    assert.equal(body.error.__type, 'Bad Request');
    assert.match(body.error.message, /percent-encode/);
    const page = (await sh(`curl -s -w '\\n%{http_code}' 'http://127.0.0.1:${port}/dataset?q=แรงงาน'`)).stdout;
    assert.match(page, /percent-encoding[\s\S]*\n400$/);
    // The server goes on answering after refusing such requests.
    const ok = JSON.parse((await sh(`curl -s http://127.0.0.1:${port}/api/3/action/status_show`)).stdout);
    assert.equal(ok.success, true);
  });
});
