import type { Actor } from '../access/actor.ts';
import { policies } from '../policies/index.ts';
import { auditInsertFrom, writeAudit } from './audit.ts';
import { writeAuditBatch } from '../import/write-batch.ts';
import type { ActionContext, Disclosure, Services } from './context.ts';
import { AuthorizationError, type Lang } from './errors.ts';
import { checkActionInput } from './input-guard.ts';
import type { Tx } from '../store/db.ts';

export type ActionInput = Record<string, unknown>;

export interface ParamDoc {
  type: 'string' | 'integer' | 'boolean' | 'object' | 'array' | 'file';
  description: string;
  required?: boolean;
}

export interface ActionDef<O = unknown> {
  name: string;
  /** Read actions answer GET; write actions answer POST only. */
  readOnly: boolean;
  /** Only the server's own code may run it (pages, routes); the API neither lists nor dispatches it. */
  internal?: boolean;
  summary: string;
  params?: Record<string, ParamDoc>;
  /** Input keys whose items the action checks one by one (package_import's records fail alone, not the batch). */
  itemKeys?: readonly string[];
  /**
   * The policy rule asked before a multipart body is read: may this caller send the action a file
   * at all (in some organisation)? Without it, a file part is refused unread (src/files/upload-gate.ts).
   */
  uploadRule?: string;
  /**
   * false: a write that leaves no audit row (job bookkeeping whose effects are audited where they
   * land). Every other write that writes no row of its own gets runAction's (writeEvent below).
   */
  audit?: false;
  /**
   * 'statement' (read actions only): no surrounding transaction; each statement commits on its own.
   * For hot reads whose every write is one self-contained statement (an audit row, or a quota count
   * joined with its audit row): BEGIN and COMMIT are two round trips of the few such a call makes.
   * At READ COMMITTED each statement reads its own snapshot in a transaction too, so reads see the
   * same; a write before the policy was asked is refused (ctx.audit), not committed.
   */
  transaction?: 'statement';
  run(ctx: ActionContext, input: ActionInput): Promise<O>;
}

export function defineAction<O>(def: ActionDef<O>): ActionDef<O> {
  return def;
}

const registry = new Map<string, ActionDef>();

export function registerActions(defs: ActionDef[]): void {
  for (const d of defs) {
    if (registry.has(d.name)) throw new Error(`Action ${d.name} registered twice`);
    registry.set(d.name, d);
  }
}

/** Any registered action, internal ones included (for callers inside the server: pages, jobs). */
export function findAction(name: string): ActionDef | undefined {
  return registry.get(name);
}

/** An action the API may dispatch by name (internal ones are left out). */
export function getAction(name: string): ActionDef | undefined {
  const def = registry.get(name);
  return def?.internal ? undefined : def;
}

export function allActions(opts: { internal?: boolean } = {}): ActionDef[] {
  return [...registry.values()].filter((d) => opts.internal || !d.internal);
}

export interface Caller {
  actor: Actor;
  lang?: Lang;
  ip?: string;
}

/** Raised when an action finishes without asking its policy: a bug, never a silent allow. */
export class MissingAuthorizationError extends Error {}

/**
 * The one path for every operation: a transaction, the action, its policy, audit rows in the same
 * transaction, then after-commit work. The API, pages and CLI all come through here.
 */
export async function runAction<O = unknown>(services: Services, name: string, input: ActionInput, caller: Caller): Promise<O> {
  const def = registry.get(name);
  if (!def) throw new Error(`Unknown action ${name}`);
  checkActionInput(input, def.itemKeys);
  const afterCommit: Array<() => unknown> = [];
  const onRollback: Array<() => unknown> = [];
  let authorized = false;
  let deferredError: Error | null = null;
  let audited = false;
  const disclosures: Disclosure[] = [];
  const now = new Date();
  const perStatement = def.transaction === 'statement' && def.readOnly;
  const mustBeAuthorized = () => {
    if (perStatement && !authorized) throw new MissingAuthorizationError(`Action ${name} wrote before checking its policy`);
  };
  const body = async (db: Tx) => {
    const ctx: ActionContext = {
      db,
      actor: caller.actor,
      lang: caller.lang ?? 'th',
      now,
      ip: caller.ip ?? '',
      services,
      authorize(rule, subject) {
        authorized = true;
        if (!checkPolicy(rule, caller.actor, subject)) throw new AuthorizationError();
      },
      can(rule, subject) {
        return checkPolicy(rule, caller.actor, subject);
      },
      afterCommit(fn) {
        afterCommit.push(fn);
      },
      onRollback(fn) {
        onRollback.push(fn);
      },
      audit(event) {
        mustBeAuthorized();
        audited = true;
        return writeAudit(db, caller.actor, caller.ip ?? '', now, event);
      },
      auditFrom(event, source, extra) {
        mustBeAuthorized();
        audited = true;
        return auditInsertFrom(caller.actor, caller.ip ?? '', now, event, source, extra);
      },
      auditMany(events) {
        mustBeAuthorized();
        audited ||= events.length > 0;
        return writeAuditBatch(db, caller.actor, caller.ip ?? '', now, events);
      },
      disclosed(d) {
        disclosures.push(d);
      },
      async flushDisclosures() {
        mustBeAuthorized();
        if (disclosures.length && !audited) await writeAudit(db, caller.actor, caller.ip ?? '', now, disclosureEvent(name, disclosures.splice(0)));
      },
      failAfterCommit(error) {
        deferredError = error;
      },
    };
    const out = await def.run(ctx, input);
    if (!authorized) throw new MissingAuthorizationError(`Action ${name} returned without checking its policy`);
    if (disclosures.length && !audited) {
      audited = true;
      await writeAudit(db, caller.actor, caller.ip ?? '', now, disclosureEvent(name, disclosures));
    }
    if (!def.readOnly && !audited && def.audit !== false) await writeAudit(db, caller.actor, caller.ip ?? '', now, writeEvent(name, input));
    return out;
  };
  try {
    // Kysely's Transaction is the same query interface over one connection; per statement, the pool's.
    const result = perStatement ? await body(services.store.db as unknown as Tx) : await services.store.db.transaction().execute(body);
    for (const fn of afterCommit) await fn();
    if (deferredError) throw new CommittedError(deferredError);
    return result as O;
  } catch (e) {
    if (e instanceof CommittedError) throw e.error;
    for (const fn of onRollback) {
      try {
        await fn();
      } catch {
        /* best effort: the database is already consistent */
      }
    }
    throw e;
  }
}

/** One audit row for every disclosure of one action call: what kind, and which objects (at most 200 named). */
/** Input keys that name what a write touched; only these go into its default audit row (never secrets). */
const ID_KEYS = ['id', 'name', 'package_id', 'resource_id', 'dataset', 'user', 'user_id', 'username', 'role', 'capacity', 'object', 'object_type', 'group', 'organization', 'org', 'owner_org', 'source', 'source_id', 'job_id', 'process', 'transition', 'method', 'force'];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The audit row of a write that wrote none of its own: the action, what it named and which other
 * keys it was given (their names only). Decisions and configuration changes are never unaudited.
 */
function writeEvent(name: string, input: ActionInput) {
  const named: Record<string, unknown> = {};
  for (const k of ID_KEYS) {
    const v = input[k];
    if (typeof v === 'string') named[k] = v.slice(0, 200);
    else if (typeof v === 'number' || typeof v === 'boolean') named[k] = v;
    else if (Array.isArray(v) && k === 'id') named[k] = v.slice(0, 50).map((x) => String(x).slice(0, 200));
  }
  const ids = ['id', 'resource_id', 'package_id', 'user_id', 'object'].map((k) => input[k]).filter((v): v is string => typeof v === 'string' && UUID.test(v));
  return {
    action: name,
    object_type: name.split('_')[0]!,
    object_id: ids[0] ?? null,
    detail: { ...named, keys: Object.keys(input).filter((k) => !ID_KEYS.includes(k)).sort().slice(0, 50) },
  };
}

function disclosureEvent(name: string, list: Disclosure[]) {
  const first = list[0]!;
  const one = list.every((d) => d.object_type === first.object_type && d.object_id === first.object_id);
  return {
    action: name,
    object_type: first.object_type,
    object_id: one ? first.object_id : null,
    detail: {
      read: [...new Set(list.map((d) => d.kind))].join(','),
      count: list.length,
      objects: list.slice(0, 200).map((d) => ({ type: d.object_type, id: d.object_id, kind: d.kind, ...(d.detail ?? {}) })),
    },
  };
}

/** Carries an error past the rollback handlers: its transaction has committed on purpose. */
class CommittedError extends Error {
  readonly error: Error;
  constructor(error: Error) {
    super(error.message);
    this.error = error;
  }
}

function checkPolicy(rule: string, actor: Actor, subject: unknown): boolean {
  const allow = policies[rule];
  if (!allow) return false; // deny by default: a rule nobody wrote allows nothing
  return allow(actor, subject);
}
