import fs from 'node:fs';
import path from 'node:path';
import { compileCondition, ConditionSyntaxError, type Condition } from './conditions.ts';
import type { CompiledInput } from './inputs.ts';
import { ROLE_KEYS, type GuardDef, type InputDef, type ProcessDef, type StateDef, type TransitionDef } from './types.ts';

export const PROCESSES_DIR = path.join(import.meta.dirname, 'processes');

/** A process file that cannot run: every problem found is listed, so one boot shows them all. */
export class WorkflowDefinitionError extends Error {
  override name = 'WorkflowDefinitionError';
  readonly problems: string[];
  constructor(source: string, problems: string[]) {
    super(`Invalid workflow definition ${source}:\n  - ${problems.join('\n  - ')}`);
    this.problems = problems;
  }
}

export interface CompiledGuard extends GuardDef {
  test: Condition;
}

export interface CompiledRoute {
  when?: Condition;
  to: string;
}

export interface CompiledTransition extends Omit<TransitionDef, 'to' | 'guards' | 'inputs'> {
  routes: CompiledRoute[];
  guards: CompiledGuard[];
  inputs: CompiledInput[];
  /**
   * The step hands the case (back) to reviewers: the start, or a step without separation of its own
   * (resubmit, submit) into a state where a `not_creator` step leaves. Whoever took it counts as a
   * submitter of the case for `not_creator`, as the person who opened it does.
   */
  submits: boolean;
}

export interface CompiledProcess {
  def: ProcessDef;
  states: Map<string, StateDef>;
  start: CompiledTransition;
  /** Outgoing transitions by state, in file order. */
  outgoing: Map<string, CompiledTransition[]>;
}

/** Kinds of versioned governance documents a process may name as the rule it applies. */
export const DOCUMENT_KINDS: readonly string[] = ['security_privacy', 'quality', 'exchange', 'integration_manual'];
const TYPES = new Set(['string', 'text', 'email', 'enum', 'boolean', 'integer', 'date', 'string_list', 'thai_id']);
const ROLES = new Set<string>(ROLE_KEYS);

function isMsg(m: unknown): boolean {
  return !!m && typeof m === 'object' && typeof (m as any).th === 'string' && !!(m as any).th && typeof (m as any).en === 'string' && !!(m as any).en;
}

/** Validates one definition and compiles its conditions; throws WorkflowDefinitionError listing every problem. */
export function compileProcess(def: ProcessDef, source = def?.name ?? '?'): CompiledProcess {
  const problems: string[] = [];
  const p = (s: string) => problems.push(s);
  if (!def || typeof def !== 'object') throw new WorkflowDefinitionError(source, ['not an object']);
  if (typeof def.name !== 'string' || !/^[a-z][a-z0-9_]*$/.test(def.name)) p('name must be lower_snake_case');
  if (!isMsg(def.label)) p('label needs th and en');
  if (typeof def.number_prefix !== 'string' || !/^[A-Z]{2,6}$/.test(def.number_prefix)) p('number_prefix must be 2–6 capital letters');
  if (!Array.isArray(def.states) || !def.states.length) p('states must be a non-empty list');
  if (!Array.isArray(def.transitions)) p('transitions must be a list');
  if (!def.start || typeof def.start !== 'object') p('start is missing');
  if (def.policy !== undefined && (!Array.isArray(def.policy) || def.policy.some((k) => !DOCUMENT_KINDS.includes(k)))) p(`policy must list document kinds (${DOCUMENT_KINDS.join(', ')})`);
  if (problems.length) throw new WorkflowDefinitionError(source, problems);

  const states = new Map<string, StateDef>();
  for (const s of def.states) {
    if (typeof s.name !== 'string' || !s.name) { p('a state has no name'); continue; }
    if (states.has(s.name)) p(`duplicate state "${s.name}"`);
    if (!isMsg(s.label)) p(`state "${s.name}": label needs th and en`);
    states.set(s.name, s);
  }
  const knownState = (name: unknown, where: string) => {
    if (typeof name !== 'string' || !states.has(name)) p(`${where}: unknown state "${String(name)}"`);
  };
  const cond = (src: unknown, where: string): Condition | undefined => {
    if (typeof src !== 'string') { p(`${where}: condition must be text`); return undefined; }
    try { return compileCondition(src); } catch (e) {
      if (e instanceof ConditionSyntaxError) { p(`${where}: ${e.message}`); return undefined; }
      throw e;
    }
  };
  const inputs = (list: InputDef[] | undefined, where: string): CompiledInput[] => {
    const seen = new Set<string>();
    const out = (list ?? []).map((i) => {
      const w = `${where} input "${i.name}"`;
      if (typeof i.name !== 'string' || !/^[a-z][a-z0-9_]*$/.test(i.name)) p(`${w}: name must be lower_snake_case`);
      if (seen.has(i.name)) p(`${where}: duplicate input "${i.name}"`);
      seen.add(i.name);
      if (!TYPES.has(i.type)) p(`${w}: unknown type "${i.type}"`);
      if (!isMsg(i.label)) p(`${w}: label needs th and en`);
      if (i.type === 'enum' && (!Array.isArray(i.options) || !i.options.length || i.options.some((o) => typeof o.value !== 'string' || !isMsg(o.label)))) {
        p(`${w}: enum needs options with value and th/en label`);
      }
      const out: CompiledInput = { ...i };
      if (i.required_when !== undefined) out.requiredWhen = cond(i.required_when, `${w} required_when`);
      if (i.pattern !== undefined) {
        try { out.regex = new RegExp(i.pattern, 'u'); } catch { p(`${w}: bad pattern`); }
      }
      return out;
    });
    for (const i of out) {
      if (i.not_before === undefined) continue;
      const other = out.find((o) => o.name === i.not_before);
      if (i.type !== 'date' || other?.type !== 'date') p(`${where} input "${i.name}": not_before must join two date inputs of the same step`);
    }
    return out;
  };
  const guards = (list: GuardDef[] | undefined, where: string): CompiledGuard[] =>
    (list ?? []).map((g) => {
      if (g.message !== undefined && !isMsg(g.message)) p(`${where} guard "${g.when}": message needs th and en`);
      return { ...g, test: cond(g.when, `${where} guard`) ?? (() => false) };
    });
  const roles = (list: unknown, where: string) => {
    if (!Array.isArray(list) || !list.length) { p(`${where}: roles must be a non-empty list`); return; }
    for (const r of list) if (!ROLES.has(r)) p(`${where}: unknown role "${r}"`);
  };

  const st = def.start;
  roles(st.roles, 'start');
  knownState(st.to, 'start');
  if (!isMsg(st.label)) p('start: label needs th and en');
  const start: CompiledTransition = {
    name: st.name, from: '', label: st.label, roles: st.roles, notify: st.notify,
    routes: [{ to: st.to }], guards: guards(st.guards, 'start'), inputs: inputs(st.inputs, 'start'), submits: true,
  };

  const outgoing = new Map<string, CompiledTransition[]>();
  for (const s of states.keys()) outgoing.set(s, []);
  for (const t of def.transitions) {
    const where = `transition "${t.name}" from "${t.from}"`;
    if (typeof t.name !== 'string' || !/^[a-z][a-z0-9_]*$/.test(t.name)) p(`${where}: name must be lower_snake_case`);
    knownState(t.from, where);
    if (states.get(t.from)?.terminal) p(`${where}: "${t.from}" is terminal and cannot have transitions`);
    const list = outgoing.get(t.from);
    if (list?.some((o) => o.name === t.name)) p(`duplicate transition "${t.name}" from "${t.from}"`);
    if (!isMsg(t.label)) p(`${where}: label needs th and en`);
    roles(t.roles, where);
    if (t.optional !== undefined && typeof t.optional !== 'boolean') p(`${where}: optional must be true or false`);
    const routeDefs = typeof t.to === 'string' ? [{ to: t.to }] : Array.isArray(t.to) ? t.to : [];
    if (!routeDefs.length) p(`${where}: "to" must be a state or a list of routes`);
    const routes: CompiledRoute[] = routeDefs.map((r, i) => {
      knownState(r.to, `${where} route ${i + 1}`);
      const last = i === routeDefs.length - 1;
      if (last && r.when !== undefined) p(`${where}: the last route must have no "when", so some route always applies`);
      if (!last && r.when === undefined) p(`${where}: route ${i + 1} without "when" hides the routes after it`);
      return { to: r.to, when: r.when === undefined ? undefined : cond(r.when, `${where} route ${i + 1}`) };
    });
    for (const s of t.separation?.not_actor_of ?? []) knownState(s, `${where} separation`);
    const compiled: CompiledTransition = { ...t, routes, guards: guards(t.guards, where), inputs: inputs(t.inputs, where), submits: false };
    list?.push(compiled);
  }

  // Submitting steps: no separation of their own, and they lead where an approval barred to submitters leaves.
  for (const list of outgoing.values()) {
    for (const t of list) t.submits = !t.separation && t.routes.some((r) => (outgoing.get(r.to) ?? []).some((x) => x.separation?.not_creator));
  }

  // Reachability from the start, following every route.
  const seen = new Set<string>();
  const queue = typeof st.to === 'string' && states.has(st.to) ? [st.to] : [];
  while (queue.length) {
    const s = queue.shift()!;
    if (seen.has(s)) continue;
    seen.add(s);
    for (const t of outgoing.get(s) ?? []) for (const r of t.routes) if (states.has(r.to)) queue.push(r.to);
  }
  for (const [name, s] of states) {
    if (!seen.has(name)) p(`state "${name}" is unreachable from the start`);
    if (!s.terminal && !outgoing.get(name)?.length) p(`state "${name}" is not terminal but has no way out`);
  }
  if (![...states.values()].some((s) => s.terminal)) p('no terminal state');
  if (problems.length) throw new WorkflowDefinitionError(source, problems);
  return { def, states, start, outgoing };
}

/** Reads and compiles every `*.json` in the folder; a second file with the same process name is an error. */
export function loadProcessDir(dir = PROCESSES_DIR): Map<string, CompiledProcess> {
  const out = new Map<string, CompiledProcess>();
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
    const full = path.join(dir, file);
    let def: ProcessDef;
    try {
      def = JSON.parse(fs.readFileSync(full, 'utf8'));
    } catch (e) {
      throw new WorkflowDefinitionError(file, [`not valid JSON: ${(e as Error).message}`]);
    }
    const compiled = compileProcess(def, file);
    if (out.has(def.name)) throw new WorkflowDefinitionError(file, [`duplicate process name "${def.name}"`]);
    out.set(def.name, compiled);
  }
  return out;
}
