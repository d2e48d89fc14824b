import crypto from 'node:crypto';
import path from 'node:path';
import type { Config } from '../config.ts';
import { readOrCreateEd25519 } from '../util/ed25519-key.ts';

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
  const { privateKey, publicKey } = readOrCreateEd25519(file, !!config.auditKeyFile);
  const key: AuditKey = {
    privateKey,
    publicKey,
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }) as string,
    keyId: crypto.hash('sha256', publicKey.export({ type: 'spki', format: 'der' }), 'hex'),
  };
  loaded.set(file, key);
  return key;
}
