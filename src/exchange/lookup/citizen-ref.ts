import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../../config.ts';
import { isThaiId } from '../../workflow/inputs.ts';

/**
 * A citizen ID never leaves the look-up in clear: the audit and every record name the person by a
 * keyed hash (HMAC-SHA256 with a key kept in the data directory, 0600, never in the database), so
 * the same person links across audit rows while a stolen dump cannot be reversed by trying the
 * 10^12 possible IDs without the key.
 */
const KEY_FILE = 'lookup-hmac.key';
const keys = new Map<string, Buffer>();

function key(config: Pick<Config, 'dataDir'>): Buffer {
  const file = path.join(config.dataDir, KEY_FILE);
  const hit = keys.get(file);
  if (hit) return hit;
  let k: Buffer;
  try {
    k = Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'base64');
  } catch {
    fs.mkdirSync(config.dataDir, { recursive: true });
    k = crypto.randomBytes(32);
    try {
      fs.writeFileSync(file, k.toString('base64'), { mode: 0o600, flag: 'wx' });
    } catch {
      k = Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'base64'); // another process wrote it first
    }
  }
  if (k.length < 32) throw new Error(`${file} holds a key shorter than 32 bytes`);
  keys.set(file, k);
  return k;
}

export function citizenRef(config: Pick<Config, 'dataDir'>, citizenId: string): string {
  return `hmac-sha256:${crypto.createHmac('sha256', key(config)).update(`citizen:${citizenId}`).digest('hex')}`;
}

/**
 * Spaces and dashes as people type them (1-1017-00230-70-8; the en dash or minus sign a word
 * processor puts there) are dropped, and Thai (๐–๙) and full-width digits, as Thai documents and
 * input methods give them, read as 0–9; the rest must be 13 digits with a valid check digit.
 */
export function readCitizenId(v: unknown): string | null {
  if (typeof v !== 'string' || v.length > 100) return null;
  const s = v.replace(/[\s\-\u2010-\u2015\u2212]/g, '')
    .replace(/[\u0e50-\u0e59]/g, (d) => String(d.charCodeAt(0) - 0x0e50))
    .replace(/[\uff10-\uff19]/g, (d) => String(d.charCodeAt(0) - 0xff10));
  return isThaiId(s) ? s : null;
}
