import crypto from 'node:crypto';
import path from 'node:path';
import type { Config } from '../../config.ts';
import { readOrCreateEd25519 } from '../../util/ed25519-key.ts';

/**
 * The agency's exchange signing key (Ed25519): BANCHI_EXCHANGE_KEY_FILE, or generated into the data
 * directory on first use (util/ed25519-key.ts). A key of its own, not the audit key: it can be rotated or
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
  const { privateKey, publicKey } = readOrCreateEd25519(file, !!config.exchangeKeyFile);
  const x = (publicKey.export({ format: 'jwk' }) as { x: string }).x;
  const kid = crypto.hash('sha256', `{"crv":"Ed25519","kty":"OKP","x":"${x}"}`, 'base64url');
  const key: ExchangeKey = { privateKey, publicKey, kid, jwk: { kty: 'OKP', crv: 'Ed25519', x, kid, use: 'sig', alg: 'EdDSA' } };
  loaded.set(file, key);
  return key;
}
