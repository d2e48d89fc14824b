import { sql, type RawBuilder } from 'kysely';

/**
 * Leaf v2: a row's leaf is sha256(0x00 ‖ domain ‖ content), where content is the text the database
 * renders of the row's own columns (contentText below): its fields as a row literal, a newline, and
 * the detail's jsonb text. The insert computes the leaf from the values it stores, and the verifier
 * has the database recompute it from the stored columns with the same expression and compare, so a
 * row costs the verifying process no text decoding and no hash. Every rendering used is fixed by the value alone (the time in
 * microseconds, jsonb's output form), not by session settings; rendering is most of the verifier's
 * database cost, and a row literal is the cheapest unambiguous form measured. Domain separation keeps a v2
 * leaf from ever matching a v1 leaf (audit.ts) or a tree node.
 */
export const LEAF_V2_DOMAIN = 'banchi.audit.leaf.v2\n';

/** The leaf of that content, computed by the database (hex), as the insert stores it. */
export function leafSql(prefix = ''): RawBuilder<string> {
  return sql.raw(`encode(sha256('\\x00'::bytea || convert_to('${LEAF_V2_DOMAIN.trimEnd()}' || E'\\n' || ${contentText(prefix)}, 'UTF8')), 'hex')`);
}

function contentText(prefix: string): string {
  const c = (n: string) => `${prefix}${n}`;
  // A row literal quotes every field that needs it, so no two rows render alike; the time goes in
  // as microseconds since the epoch, which no session setting (DateStyle, TimeZone) changes.
  return `(ROW((extract(epoch FROM ${c('at')}) * 1000000)::bigint, ${c('actor_id')}, ${c('actor_name')}, ${c('action')}, ` +
    `${c('object_type')}, ${c('object_id')}, ${c('ip')})::text || E'\\n' || ${c('detail')}::text)`;
}
