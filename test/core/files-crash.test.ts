import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { cliEnv, STORE, waitForLine, type CliEnv } from '../cli/cli-env.ts';
import { runAction } from '../../src/actions/registry.ts';
import { SYSTEM } from '../../src/access/actor.ts';
import { datasetInput } from '../helpers.ts';

/** Issue 7 "Robustness": kill -9 in the middle of an upload leaves no file and no row, and the next start is clean. */
let cli: CliEnv;
after(() => cli?.close());

function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((d) => d.isFile()).map((d) => path.join(d.parentPath, d.name));
}

async function until(what: string, check: () => boolean, ms = 15000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test(`[${STORE}] SIGKILL during a large multipart upload: no file, no resource, a clean restart`, async () => {
  cli = await cliEnv();
  const token = await cli.withServices(async (s) => {
    await runAction(s, 'organization_create', { name: 'nso', title: 'สำนักงานสถิติแห่งชาติ' }, { actor: SYSTEM });
    await runAction(s, 'user_create', { name: 'editor1', email: 'e@nso.go.th', password: 'correct horse battery' }, { actor: SYSTEM });
    await runAction(s, 'organization_member_create', { id: 'nso', username: 'editor1', role: 'editor' }, { actor: SYSTEM });
    await runAction(s, 'package_create', datasetInput('nso', { name: 'big-upload' }), { actor: SYSTEM });
    return (await runAction<{ token: string }>(s, 'api_token_create', { user: 'editor1', name: 't' }, { actor: SYSTEM })).token;
  });
  const filesDir = path.join(cli.dataDir, 'files');
  const server = cli.start(['serve', '--port', '0']);
  const [url] = await waitForLine(server, /http:\/\/127\.0\.0\.1:\d+/);
  const port = Number(new URL(url!).port);

  // 50 MB announced, a few MB sent, then the server is killed while it is writing the file.
  const boundary = 'KILL9';
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="package_id"\r\n\r\nbig-upload\r\n--${boundary}\r\nContent-Disposition: form-data; name="name"\r\n\r\nbig\r\n--${boundary}\r\nContent-Disposition: form-data; name="upload"; filename="big.csv"\r\nContent-Type: text/csv\r\n\r\n`);
  const sock = net.connect(port, '127.0.0.1');
  sock.on('error', () => undefined);
  await new Promise<void>((r) => sock.once('connect', () => r()));
  sock.write(`POST /api/3/action/resource_create HTTP/1.1\r\nHost: x\r\nAuthorization: ${token}\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${head.length + 50 * 1024 * 1024}\r\n\r\n`);
  sock.write(head);
  const chunk = Buffer.alloc(256 * 1024, 'a');
  for (let i = 0; i < 12; i++) await new Promise<void>((r) => sock.write(chunk, () => r()));
  await until('the partial upload on disk', () => filesUnder(filesDir).some((f) => fs.statSync(f).size > 0));
  const exited = new Promise((r) => server.once('exit', r));
  server.kill('SIGKILL');
  await exited;
  sock.destroy();
  assert.equal(filesUnder(filesDir).length, 1, 'the killed server left its partial upload (under a temporary name)');
  assert.match(filesUnder(filesDir)[0]!, /[/\\]tmp[/\\][0-9a-f-]{36}\.\d+\.[0-9a-f]{8}\.part$/);

  // The next start removes it: its writer is dead.
  const again = cli.start(['serve', '--port', '0']);
  await waitForLine(again, /http:\/\/127\.0\.0\.1:\d+/);
  await until('the start-up sweep', () => filesUnder(filesDir).length === 0);
  const stopped = new Promise((r) => again.once('exit', r));
  again.kill('SIGTERM');
  await stopped;

  await cli.withServices(async (s) => {
    const rows = await s.store.db.selectFrom('resources').select(['id', 'storage_key']).execute();
    assert.deepEqual(rows, [], 'no resource row from the interrupted upload');
    const activity = await s.store.db.selectFrom('activity').select('id').where('activity_type', '=', 'changed package').execute();
    assert.equal(activity.length, 0);
  });
  assert.deepEqual(filesUnder(filesDir), []);
});
