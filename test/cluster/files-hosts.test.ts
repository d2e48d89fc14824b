import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { testEnv, STORE_KIND, type TestEnv } from '../helpers.ts';
import { sweepFiles } from '../../src/files/lifecycle.ts';
import { HOST_TAG, type LocalFileStore } from '../../src/files/file-store.ts';

/**
 * App servers on several machines may share one file directory: a pid in a temporary name is
 * then only meaningful on the machine that wrote it, so another machine's upload in flight is
 * never taken for a dead writer's leftover.
 */
let env: TestEnv;
before(async () => {
  env = await testEnv();
});
after(() => env.close());

test(`[${STORE_KIND}] the sweep leaves another machine's temporary upload alone until its grace ends, and removes this machine's dead writer's`, async () => {
  const tmp = path.join((env.services.files as LocalFileStore).root, 'tmp');
  const deadPid = 2 ** 22 + 4321; // above Linux's pid_max default: no live process here
  const other = HOST_TAG === 'abcdef01' ? 'abcdef02' : 'abcdef01';
  const theirs = `44444444-4444-4444-8444-444444444444.${deadPid}.${other}.part`;
  const ours = `55555555-5555-4555-8555-555555555555.${deadPid}.${HOST_TAG}.part`;
  fs.writeFileSync(path.join(tmp, theirs), 'uploading on another machine');
  fs.writeFileSync(path.join(tmp, ours), 'left by a dead process here');
  const first = await sweepFiles(env.services);
  assert.equal(first.removedTemp, 1);
  assert.ok(fs.existsSync(path.join(tmp, theirs)), "another machine's upload stays");
  assert.ok(!fs.existsSync(path.join(tmp, ours)), "this machine's dead writer's file goes");
  const later = await sweepFiles(env.services, { now: Date.now() + 25 * 3600_000 });
  assert.equal(later.removedTemp, 1);
  assert.ok(!fs.existsSync(path.join(tmp, theirs)), 'after the grace period it is abandoned');
});

test(`[${STORE_KIND}] a new upload's temporary name carries this machine's tag`, async () => {
  const { Readable } = await import('node:stream');
  await env.services.files.put(Readable.from([Buffer.from('x')]), 100, 'x.csv');
  const names = fs.readdirSync(path.join((env.services.files as LocalFileStore).root, 'tmp'));
  assert.ok(names.some((n) => n.endsWith(`.${process.pid}.${HOST_TAG}.part`)), names.join());
});
