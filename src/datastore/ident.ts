/**
 * Every identifier that reaches DataStore SQL goes through `quoteIdent`; headers from files are
 * labels only and never become SQL text themselves (column ids are made here, from a safe alphabet).
 */

const SAFE_ID = /^[a-z][a-z0-9_]{0,62}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Column ids the store itself uses. */
export const RESERVED = new Set(['_id', '_full_text']);

/** A double-quoted identifier; refuses what no column id or table name of ours can hold. */
export function quoteIdent(name: string): string {
  if (!name || name.length > 63 || /[\u0000"]/.test(name)) throw new Error(`unsafe identifier ${JSON.stringify(name)}`);
  return `"${name}"`;
}

export function isResourceId(id: unknown): id is string {
  return typeof id === 'string' && UUID.test(id);
}

/** The live table of a resource: datastore."<resource id>", as CKAN names them. */
export function tableName(resourceId: string): string {
  if (!UUID.test(resourceId)) throw new Error('not a resource id');
  return `datastore.${quoteIdent(resourceId)}`;
}

export function isSafeId(id: string): boolean {
  return SAFE_ID.test(id) && !RESERVED.has(id);
}

export interface ColumnName {
  id: string;
  label: string;
}

/**
 * Column ids for a header row: an ASCII header that is a safe id keeps it (lower-cased), anything
 * else (Thai, spaces, empty) becomes field_<position>; a repeat gets _2, _3 … Deterministic, so a
 * reload of the same file gives the same ids; each change is a warning.
 */
export function columnIds(header: string[], preferred: Array<string | undefined> = []): { columns: ColumnName[]; warnings: string[] } {
  const used = new Set<string>();
  const warnings: string[] = [];
  const columns = header.map((raw, i) => {
    // Control characters (a binary file's header) would not survive as a label in JSON columns.
    const label = (raw ?? '').replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '').trim().slice(0, 200);
    let base = preferred[i]?.trim().toLowerCase() ?? '';
    if (!isSafeId(base)) base = label.toLowerCase().replace(/[\s\-.]+/g, '_');
    if (!isSafeId(base)) base = `field_${i + 1}`;
    if (!label) warnings.push(`column ${i + 1}: empty header, id ${base}`);
    let id = base;
    for (let n = 2; used.has(id); n++) id = `${base.slice(0, 56)}_${n}`;
    if (id !== base) warnings.push(`column ${i + 1}: duplicate header ${JSON.stringify(label)}, id ${id}`);
    used.add(id);
    return { id, label: label || id };
  });
  return { columns, warnings };
}
