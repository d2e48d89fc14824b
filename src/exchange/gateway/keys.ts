import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../../config.ts';

/**
 * The agency's exchange signing key (Ed25519): BANCHI_EXCHANGE_KEY_FILE, or generated into the data
 * directory on first use (mode 0600). A key of its own, not the audit key: it can be rotated or
 * handed to a hardware module without touching the audit chain. Only the public half leaves.
 */
export interface ExchangeKey {
  privateKey: crypto.KeyObject;
  publicKey: crypto.KeyObject;
  /** RFC 7638 JWK thumbprint (SHA-256, base64url). */
  kid: string;
  jwk: { kty: 'OKP'; crv: 'Ed25519'; x: string; kid: string; use: 'sig'; alg: 'EdDSA' };
}

export const EXCHANGE_KEY_FILE = 'exchange-ed25519.pem';
const loaded = new Map<string, ExchangeKey>();

export function loadExchangeKey(config: Pick<Config, 'dataDir' | 'exchangeKeyFile'>): ExchangeKey {
  const file = config.exchangeKeyFile || path.join(config.dataDir, EXCHANGE_KEY_FILE);
  const hit = loaded.get(file);
  if (hit) return hit;
  let pem: string;
  try {
    pem = fs.readFileSync(file, 'utf8');
  } catch (e) {
    // A key file named in the settings must exist: generating one there would hide a mistake.
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || config.exchangeKeyFile) throw e;
    pem = crypto.generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    fs.mkdirSync(path.dirname(file), { recursive: true });
    try {
      fs.writeFileSync(file, pem, { mode: 0o600, flag: 'wx' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      pem = fs.readFileSync(file, 'utf8'); // another process made it first
    }
  }
  const privateKey = crypto.createPrivateKey(pem);
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error(`${file} is not an Ed25519 private key`);
  const publicKey = crypto.createPublicKey(privateKey);
  const x = (publicKey.export({ format: 'jwk' }) as { x: string }).x;
  const kid = crypto.hash('sha256', `{"crv":"Ed25519","kty":"OKP","x":"${x}"}`, 'base64url');
  const key: ExchangeKey = { privateKey, publicKey, kid, jwk: { kty: 'OKP', crv: 'Ed25519', x, kid, use: 'sig', alg: 'EdDSA' } };
  loaded.set(file, key);
  return key;
}
