import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readOrCreateEd25519 } from '../../src/util/ed25519-key.ts';
import { loadAuditKey } from '../../src/actions/audit-key.ts';
import { loadExchangeKey } from '../../src/exchange/gateway/keys.ts';

const MODULE = path.resolve(import.meta.dirname, '../../src/util/ed25519-key.ts');

/** Child processes that all start generating the same default key file at once. */
function racer(file: string): Promise<string> {
  const code = `import { readOrCreateEd25519 } from ${JSON.stringify(MODULE)};
    const { publicKey } = readOrCreateEd25519(${JSON.stringify(file)}, false);
    process.stdout.write(publicKey.export({ type: 'spki', format: 'der' }).toString('hex'));`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (err += c));
    child.on('close', (rc) => (rc === 0 ? resolve(out) : reject(new Error(`child failed (${rc}): ${err}`))));
  });
}

test('processes starting together on a new data directory all end up with one key', async () => {
  for (let round = 0; round < 3; round++) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'banchi-key-'));
    const file = path.join(dir, 'k.pem');
    const keys = await Promise.all(Array.from({ length: 6 }, () => racer(file)));
    assert.equal(new Set(keys).size, 1, 'every process ends up with the same key');
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    assert.deepEqual(fs.readdirSync(dir), ['k.pem'], 'no temporary files are left');
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a key file named in the settings is never generated; a non-Ed25519 key is refused', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'banchi-key-'));
  try {
    const missing = path.join(dir, 'named.pem');
    assert.throws(() => readOrCreateEd25519(missing, true), /ENOENT/);
    assert.equal(fs.existsSync(missing), false);
    assert.throws(() => loadAuditKey({ dataDir: dir, auditKeyFile: missing }), /ENOENT/);
    assert.throws(() => loadExchangeKey({ dataDir: dir, exchangeKeyFile: missing }), /ENOENT/);
    const rsa = path.join(dir, 'rsa.pem');
    fs.writeFileSync(rsa, crypto.generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
    assert.throws(() => readOrCreateEd25519(rsa, true), /not an Ed25519 private key/);
    // The default files: the audit and exchange keys are two different keys in the data directory.
    const audit = loadAuditKey({ dataDir: dir, auditKeyFile: '' });
    const exchange = loadExchangeKey({ dataDir: dir, exchangeKeyFile: '' });
    assert.notEqual(audit.publicPem, exchange.publicKey.export({ type: 'spki', format: 'pem' }));
    const sig = crypto.sign(null, Buffer.from('x'), exchange.privateKey);
    assert.ok(crypto.verify(null, Buffer.from('x'), exchange.publicKey, sig));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
