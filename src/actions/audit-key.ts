import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config.ts';

/**
 * The Ed25519 key that signs audit checkpoints. Given by BANCHI_AUDIT_KEY_FILE, or generated into
 * the data directory on first use (mode 0600). Only the public half leaves the process.
 */
export interface AuditKey {
  privateKey: crypto.KeyObject;
  publicKey: crypto.KeyObject;
  publicPem: string;
  /** sha256 of the public key (SPKI DER), hex: names the key in each checkpoint. */
  keyId: string;
}

export const AUDIT_KEY_FILE = 'audit-ed25519.pem';
const loaded = new Map<string, AuditKey>();

export function auditKeyPath(config: Pick<Config, 'dataDir' | 'auditKeyFile'>): string {
  return config.auditKeyFile || path.join(config.dataDir, AUDIT_KEY_FILE);
}

export function loadAuditKey(config: Pick<Config, 'dataDir' | 'auditKeyFile'>): AuditKey {
  const file = auditKeyPath(config);
  const hit = loaded.get(file);
  if (hit) return hit;
  let pem: string;
  try {
    pem = fs.readFileSync(file, 'utf8');
  } catch (e) {
    // A key file named in the settings must exist: generating a new one there would hide a mistake.
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || config.auditKeyFile) throw e;
    const { privateKey } = crypto.generateKeyPairSync('ed25519');
    pem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    fs.mkdirSync(path.dirname(file), { recursive: true });
    // Written whole under a private name, then linked into place: app processes starting together
    // all end up with the first one's key, and none ever reads a half-written file.
    const tmp = `${file}.${process.pid}.tmp`;
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
  const publicKey = crypto.createPublicKey(privateKey);
  const key: AuditKey = {
    privateKey,
    publicKey,
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }) as string,
    keyId: crypto.hash('sha256', publicKey.export({ type: 'spki', format: 'der' }), 'hex'),
  };
  loaded.set(file, key);
  return key;
}
