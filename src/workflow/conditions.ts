/**
 * The small condition language of process files, compiled once at boot:
 *   category is personal           category is not personal
 *   category in [important, confidential, security]      category not in [...]
 *   has_data_dictionary is true    input.outcome is cancel
 *   clause and clause
 * A bare name reads the case's facts; `input.x` reads the step's inputs. A list value (a request
 * covering several datasets has several categories) matches when any of its items matches.
 */
export interface Scope {
  facts: Record<string, unknown>;
  input: Record<string, unknown>;
}

export type Condition = (scope: Scope) => boolean;

export class ConditionSyntaxError extends Error {}

const CLAUSE = /^([a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)?)\s+(is not|is|not in|in)\s+(.+)$/i;
const WORD = /^[A-Za-z0-9_\-]+$/;

export function compileCondition(source: string): Condition {
  const clauses = source.split(/\s+and\s+/).map((c) => c.trim());
  const tests = clauses.map((clause) => {
    const m = CLAUSE.exec(clause);
    if (!m) throw new ConditionSyntaxError(`cannot read condition "${clause}" (expected "<fact> is <value>" or "<fact> in [a, b]")`);
    const [, path, op, rawValue] = m as unknown as [string, string, string, string];
    let values: string[];
    if (op === 'in' || op === 'not in') {
      const list = /^\[(.*)\]$/.exec(rawValue.trim());
      if (!list) throw new ConditionSyntaxError(`"${clause}": "${op}" needs a list such as [a, b]`);
      values = list[1]!.split(',').map((v) => v.trim()).filter(Boolean);
      if (!values.length) throw new ConditionSyntaxError(`"${clause}": empty list`);
    } else {
      values = [rawValue.trim()];
    }
    for (const v of values) if (!WORD.test(v)) throw new ConditionSyntaxError(`"${clause}": "${v}" is not a plain value`);
    const negate = op === 'is not' || op === 'not in';
    const read = reader(path);
    return (scope: Scope) => {
      const actual = read(scope);
      const items = Array.isArray(actual) ? actual : [actual];
      const hit = items.some((a) => a !== undefined && a !== null && values.includes(String(a)));
      return negate ? !hit : hit;
    };
  });
  return (scope) => tests.every((t) => t(scope));
}

function reader(path: string): (scope: Scope) => unknown {
  if (path.startsWith('input.')) {
    const key = path.slice(6);
    return (s) => s.input[key];
  }
  const key = path.startsWith('facts.') ? path.slice(6) : path;
  return (s) => s.facts[key];
}
