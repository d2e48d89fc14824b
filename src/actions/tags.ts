import crypto from 'node:crypto';

/** Tags are stored by name; CKAN clients expect an id, so each name maps to a stable UUID. */
export function tagId(name: string): string {
  const h = crypto.createHash('sha1').update('banchi-tag:').update(name).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h.slice(16, 17), 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
