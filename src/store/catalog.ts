import { sql, type RawBuilder } from 'kysely';
import type { Db, Tx } from './db.ts';

/**
 * The tables of the database as PostgreSQL describes them (the same on PGlite and a server), so a
 * backup holds every table a migration created, including ones added after this file was written.
 */
export interface TableInfo {
  name: string;
  columns: Array<{ name: string; type: string; generated: boolean; identityAlways: boolean }>;
  primaryKey: string[];
  /** Columns that reference this same table (groups.parent_id): loaded in a second pass. */
  selfReferences: string[];
  /** Serial or identity sequences of this table's columns. */
  sequences: Array<{ column: string; sequence: string }>;
}

export function ident(name: string): RawBuilder<unknown> {
  return sql.raw(`"${name.replace(/"/g, '""')}"`);
}

/** A table name as text for ::regclass and pg_get_serial_sequence (a parameter, quoted as an identifier). */
function quoted(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * Tables of the current schema, parents before children. Left out: the migration bookkeeping, and
 * `dataset_search_removed`, which tells running processes what to drop from their in-memory copy
 * (src/search/memindex): transaction ids of another database mean nothing, and a restore's
 * TRUNCATE of the search rows tells every copy to load afresh anyway.
 */
export async function describeTables(db: Db | Tx): Promise<TableInfo[]> {
  const names = (
    await sql<{ name: string }>`
      SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p') AND n.nspname = current_schema() AND c.relname NOT LIKE 'kysely\\_%' AND c.relname <> 'dataset_search_removed'
      ORDER BY c.relname`.execute(db)
  ).rows.map((r) => r.name);
  const fks = (
    await sql<{ child: string; parent: string; cols: string[] }>`
      SELECT cc.relname AS child, pc.relname AS parent,
             ARRAY(SELECT a.attname::text FROM pg_attribute a WHERE a.attrelid = con.conrelid AND a.attnum = ANY(con.conkey)) AS cols
      FROM pg_constraint con
      JOIN pg_class cc ON cc.oid = con.conrelid
      JOIN pg_class pc ON pc.oid = con.confrelid
      JOIN pg_namespace n ON n.oid = cc.relnamespace
      WHERE con.contype = 'f' AND n.nspname = current_schema()`.execute(db)
  ).rows;
  const infos = new Map<string, TableInfo>();
  for (const name of names) {
    const columns = (
      await sql<{ name: string; type: string; generated: string; identity: string }>`
        SELECT attname AS name, format_type(atttypid, atttypmod) AS type, attgenerated::text AS generated, attidentity::text AS identity
        FROM pg_attribute WHERE attrelid = ${quoted(name)}::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`.execute(db)
    ).rows;
    const primaryKey = (
      await sql<{ name: string }>`
        SELECT a.attname AS name FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
        WHERE i.indrelid = ${quoted(name)}::regclass AND i.indisprimary
        ORDER BY array_position(i.indkey::int2[], a.attnum)`.execute(db)
    ).rows.map((r) => r.name);
    const sequences: TableInfo['sequences'] = [];
    for (const c of columns) {
      const seq = (await sql<{ s: string | null }>`SELECT pg_get_serial_sequence(${quoted(name)}, ${c.name}) AS s`.execute(db)).rows[0]?.s;
      if (seq) sequences.push({ column: c.name, sequence: seq });
    }
    infos.set(name, {
      name,
      columns: columns.map((c) => ({ name: c.name, type: c.type, generated: c.generated === 's', identityAlways: c.identity === 'a' })),
      primaryKey,
      selfReferences: fks.filter((f) => f.child === name && f.parent === name).flatMap((f) => f.cols),
      sequences,
    });
  }
  // Parents first: a table comes after every table it references (self-references aside).
  const ordered: TableInfo[] = [];
  const placed = new Set<string>();
  const visiting = new Set<string>();
  const place = (name: string) => {
    if (placed.has(name) || !infos.has(name)) return;
    if (visiting.has(name)) throw new Error(`tables reference each other in a cycle through ${name}`);
    visiting.add(name);
    for (const f of fks) if (f.child === name && f.parent !== name) place(f.parent);
    visiting.delete(name);
    placed.add(name);
    ordered.push(infos.get(name)!);
  };
  for (const name of names) place(name);
  return ordered;
}

/** The names of the migrations applied to this database, in order (none on an empty one). */
export async function appliedMigrations(db: Db | Tx): Promise<string[]> {
  const exists = (await sql<{ t: string | null }>`SELECT to_regclass('kysely_migration')::text AS t`.execute(db)).rows[0]?.t;
  if (!exists) return [];
  return (await sql<{ name: string }>`SELECT name FROM kysely_migration ORDER BY name`.execute(db)).rows.map((r) => r.name);
}
