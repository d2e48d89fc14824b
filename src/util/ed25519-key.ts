import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

/**
 * An Ed25519 private key read from a PEM file, or generated into it on first use (mode 0600) when
 * the file is the data directory's default. The audit and exchange keys both come from here.
 */
export function readOrCreateEd25519(file: string, named: boolean): { privateKey: crypto.KeyObject; publicKey: crypto.KeyObject } {
  let pem: string;
  try {
    pem = fs.readFileSync(file, 'utf8');
  } catch (e) {
    // A key file named in the settings must exist: generating a new one there would hide a mistake.
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || named) throw e;
    pem = crypto.generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    fs.mkdirSync(path.dirname(file), { recursive: true });
    // Written whole under a private name, then linked into place: app processes starting together
    // all end up with the first one's key, and none ever reads a half-written file.
    const tmp = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
    fs.writeFileSync(tmp, pem, { mode: 0o600 });
    try {
      fs.linkSync(tmp, file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      pem = fs.readFileSync(file, 'utf8'); // another process generated it first
    } finally {
      fs.rmSync(tmp, { force: true });
    }
  }
  const privateKey = crypto.createPrivateKey(pem);
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error(`${file} is not an Ed25519 private key`);
  return { privateKey, publicKey: crypto.createPublicKey(privateKey) };
}
