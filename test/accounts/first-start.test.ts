import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { cliEnv, type CliEnv } from '../cli/cli-env.ts';

/**
 * `npm start` on a busy port: one line saying what is wrong, exit non-zero, no one-time password
 * consumed. The next start on a free port creates the account and prints its password.
 */
const MAIN = path.resolve(import.meta.dirname, '..', '..', 'src', 'main.ts');
let env: CliEnv;
let blocker: net.Server;
let busyPort = 0;

before(async () => {
  env = await cliEnv();
  blocker = net.createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
  busyPort = (blocker.address() as net.AddressInfo).port;
});
after(async () => {
  await new Promise<void>((r) => blocker.close(() => r()));
  await env.close();
});

function runMain(port: number, untilLine?: RegExp): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN], { env: { ...env.env, PORT: String(port), HOST: '127.0.0.1', LANG: 'en_US.UTF-8' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      if (untilLine && untilLine.test(stdout)) child.kill('SIGTERM');
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

test('a busy port: one line, non-zero exit, and the one-time password is not spent', { timeout: 120_000 }, async () => {
  const busy = await runMain(busyPort);
  assert.notEqual(busy.code, 0);
  assert.doesNotMatch(busy.stdout, /one-time password/);
  const lines = busy.stderr.trim().split('\n');
  assert.equal(lines.length, 1, busy.stderr);
  assert.match(lines[0], new RegExp(`^banchi: port ${busyPort} is already in use`));
  assert.doesNotMatch(busy.stderr, /\bat \S+ \(/); // no stack frames

  const free = await runMain(0, /banchi is serving/);
  assert.match(free.stdout, /username: admin\n\s+one-time password: \S{20}/);
});

test('banchi serve on a busy port says so in one line and exits 2', { timeout: 120_000 }, async () => {
  const r = await env.run(['serve', '--port', String(busyPort), '--host', '127.0.0.1'], { lang: 'en_US.UTF-8' });
  assert.equal(r.code, 2);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /already in use/);
});
