import { sql, type RawBuilder } from 'kysely';
import type { RowCondition, RowValue } from '../../access/row-condition.ts';
import type { DsField } from '../../datastore/meta.ts';
import { quoteIdent } from '../../datastore/ident.ts';
import { convert, SQL_TYPE } from '../../datastore/types.ts';

/**
 * An agreement's row condition (the parsed tree of src/access/row-condition.ts) as a SQL condition:
 * column names only from the table's own field ids (quoted), every value a typed parameter, the
 * operator from a fixed list. Nothing of the condition's text reaches SQL. It means what matchRow()
 * means: a missing value never matches, a number compares numerically (also with a text column whose
 * value reads as a number), anything else as text. A field the table lacks, or a value its type cannot
 * hold, matches no row: a condition can only narrow what is shown.
 */
const OPS: Record<string, string> = { '=': '=', '!=': '<>', '<': '<', '<=': '<=', '>': '>', '>=': '>=' };
const NUMERIC_TEXT = '^-?[0-9]+(\\.[0-9]+)?$';

export function conditionSql(c: RowCondition, fieldFor: (name: string) => DsField | undefined): RawBuilder<unknown> {
  if ('op' in c) {
    const parts = c.args.map((a) => conditionSql(a, fieldFor));
    return sql`(${sql.join(parts, c.op === 'and' ? sql` AND ` : sql` OR `)})`;
  }
  const f = fieldFor(c.field);
  if (!f || f.type === 'json') return sql`false`;
  const values = c.cmp === 'in' ? (c.value as RowValue[]) : [c.value as RowValue];
  const numeric = values.every((v) => typeof v === 'number');
  const col = sql.raw(quoteIdent(f.id));
  let lhs: RawBuilder<unknown>;
  let type: string;
  let typed: string[];
  if (numeric && (f.type === 'text' || f.type === 'int' || f.type === 'numeric')) {
    // matchRow compares Number(value) with the number: the same in SQL, text columns included.
    lhs = f.type === 'text' ? sql`(CASE WHEN ${col} ~ ${NUMERIC_TEXT} THEN ${col}::numeric END)` : sql`${col}::numeric`;
    type = 'numeric';
    typed = values.map((v) => String(v));
  } else if (f.type === 'text') {
    lhs = col;
    type = 'text';
    typed = values.map((v) => String(v));
  } else {
    lhs = col;
    type = SQL_TYPE[f.type];
    typed = values.map((v) => convert(f.type, String(v))).filter((v): v is string => v !== null);
    if (typed.length !== values.length && c.cmp !== 'in') return sql`false`;
  }
  if (!typed.length) return sql`false`;
  const t = sql.raw(type);
  if (c.cmp === 'in') return sql`(${lhs} = ANY(${typed}::${sql.raw(type + '[]')}))`;
  const op = OPS[c.cmp];
  if (!op) return sql`false`;
  // Text orders by code point, as matchRow's string comparison does, whatever the database's collation.
  const collate = type === 'text' && op !== '=' && op !== '<>' ? sql` COLLATE "C"` : sql``;
  return sql`(${lhs}${collate} ${sql.raw(op)} ${typed[0]}::${t}${collate})`;
}
