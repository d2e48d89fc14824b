import type { Actor } from '../access/actor.ts';
import type { Config } from '../config.ts';
import type { FileStore } from '../files/file-store.ts';
import type { Store, Tx } from '../store/db.ts';
import type { Lang } from './errors.ts';
import type { RawBuilder } from 'kysely';
import type { ViewCounter } from '../jobs/view-counter.ts';

/** Long-lived parts an action may use; built once at boot. */
export interface Services {
  config: Config;
  store: Store;
  files: FileStore;
  views: ViewCounter;
}

export interface AuditEvent {
  action: string;
  object_type: string;
  object_id: string | null;
  detail?: Record<string, unknown>;
}

/**
 * Non-open data an action hands to its caller: metadata of an entry outside the public category, a
 * file or table rows of a non-open entry, an export. runAction turns every disclosure of one call into
 * ONE audit row, in the action's transaction (none when the action wrote its own audit row).
 */
export interface Disclosure {
  kind: 'metadata' | 'file' | 'data' | 'export';
  object_type: string;
  object_id: string | null;
  detail?: Record<string, unknown>;
}

/** Everything an action sees: the caller, the language, the transaction and the clock. No globals. */
export interface ActionContext {
  readonly db: Tx;
  readonly actor: Actor;
  readonly lang: Lang;
  readonly now: Date;
  readonly ip: string;
  readonly services: Services;
  /** Throws AuthorizationError unless the policy for `rule` allows the actor on `subject`. */
  authorize(rule: string, subject?: unknown): void;
  /** Asks the same policy without throwing (for shaping output, e.g. hiding file URLs). */
  can(rule: string, subject?: unknown): boolean;
  /** Work that must only happen once the transaction has committed (files, notifications). */
  afterCommit(fn: () => unknown): void;
  /** Work to undo outside the database if the transaction rolls back (e.g. a stored upload). */
  onRollback(fn: () => unknown): void;
  audit(event: AuditEvent): Promise<void>;
  /**
   * audit() as an INSERT … SELECT over a CTE named `source`, for a write that must be one statement
   * with its audit row (one row per row of `source`; `extra`, a jsonb expression, merged into detail).
   * The caller runs it; the event counts as this call's audit row.
   */
  auditFrom(event: AuditEvent, source: string, extra?: RawBuilder<unknown>): RawBuilder<unknown>;
  /** Many audit rows in one insert (imports), as audit() writes them one by one. */
  auditMany(events: AuditEvent[]): Promise<void>;
  /** Notes a read of non-open data (see Disclosure); open reads note nothing, so they write nothing. */
  disclosed(d: Disclosure): void;
  /** Writes the disclosure row now, before the action turns its transaction read-only (free SQL). */
  flushDisclosures(): Promise<void>;
  /**
   * Commit what was written (e.g. a failed-sign-in counter and its audit row) and then answer the
   * caller with this error, instead of rolling the attempt's traces back.
   */
  failAfterCommit(error: Error): void;
}
