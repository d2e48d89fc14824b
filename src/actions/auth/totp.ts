import crypto from 'node:crypto';
import { generateSecret, generateURI, verify } from 'otplib';
import QRCode from 'qrcode';
import type { Config } from '../../config.ts';

/** RFC 6238 as every authenticator app speaks it: SHA-1, 6 digits, 30-second steps. */
const PERIOD = 30;
/** One step either side of now, for clock drift and typing time. */
const TOLERANCE_SECONDS = PERIOD;
export const RECOVERY_CODE_COUNT = 10;

export function newTotpSecret(): string {
  return generateSecret({ length: 20 });
}

export function isTotpCode(code: string): boolean {
  return /^\d{6}$/.test(code);
}

/**
 * The time step a code belongs to if it is valid now and newer than the last accepted step,
 * else null. Remembering the step makes every code single-use (replay protection).
 */
export async function checkTotp(secret: string, code: string, lastStep: number | null, now: Date): Promise<number | null> {
  if (!isTotpCode(code)) return null;
  const result = await verify({
    secret,
    token: code,
    epoch: Math.floor(now.getTime() / 1000),
    epochTolerance: TOLERANCE_SECONDS,
    ...(lastStep != null ? { afterTimeStep: Number(lastStep) } : {}),
  });
  return result.valid && 'timeStep' in result ? result.timeStep : null;
}

/** Issuer "banchi (host)": the host tells catalogs apart in one app; no port, a colon would split the label. */
export function otpauthUrl(config: Config, account: string, secret: string): string {
  let host = '';
  try {
    host = new URL(config.siteUrl).hostname;
  } catch {
    /* a site URL that does not parse leaves the plain issuer */
  }
  return generateURI({ issuer: host ? `banchi (${host})` : 'banchi', label: account, secret, algorithm: 'sha1', digits: 6, period: PERIOD });
}

export function qrSvg(text: string): Promise<string> {
  return QRCode.toString(text, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
}

const RECOVERY_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';

/** Lower case, no separators, no look-alikes: what the user types is compared as this. */
export function normalizeRecoveryCode(code: string): string {
  return code.toLowerCase().replace(/[\s-]/g, '');
}

/** 50 random bits each, so a plain SHA-256 is enough to keep them (they are not guessable passwords). */
export function hashRecoveryCode(code: string): string {
  return crypto.createHash('sha256').update(`banchi-recovery:${normalizeRecoveryCode(code)}`).digest('hex');
}

export function newRecoveryCodes(): { codes: string[]; hashes: string[] } {
  const codes: string[] = [];
  for (let i = 0; i < RECOVERY_CODE_COUNT; i++) {
    const bytes = crypto.randomBytes(10);
    const chars = [...bytes].map((b) => RECOVERY_ALPHABET[b % RECOVERY_ALPHABET.length]).join('');
    codes.push(`${chars.slice(0, 5)}-${chars.slice(5)}`);
  }
  return { codes, hashes: codes.map(hashRecoveryCode) };
}

/** The stored hashes without the one this code matches, or null when it matches none. */
export function useRecoveryCode(hashes: string[], code: string): string[] | null {
  const normalized = normalizeRecoveryCode(code);
  if (!/^[a-z0-9]{10}$/.test(normalized)) return null;
  const h = hashRecoveryCode(normalized);
  const given = Buffer.from(h, 'hex');
  let index = -1;
  hashes.forEach((stored, i) => {
    const b = Buffer.from(stored, 'hex');
    if (b.length === given.length && crypto.timingSafeEqual(b, given)) index = i;
  });
  return index < 0 ? null : hashes.filter((_, i) => i !== index);
}
