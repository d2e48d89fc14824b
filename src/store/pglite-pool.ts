import type { PGlite } from '@electric-sql/pglite';

/**
 * Makes one embedded PGlite instance look like a `pg` pool to Kysely's PostgresDialect.
 * PGlite is a single connection, so a connection is a lease on a mutex: a transaction holds it
 * from BEGIN to COMMIT and other requests wait their turn instead of interleaving statements.
 */
export class PGlitePool {
  readonly pg: PGlite;
  private tail: Promise<void> = Promise.resolve();

  constructor(pg: PGlite) {
    this.pg = pg;
  }

  async connect(): Promise<PGliteClient> {
    let release!: () => void;
    const previous = this.tail;
    this.tail = new Promise<void>((resolve) => (release = resolve));
    await previous;
    return new PGliteClient(this.pg, release);
  }

  async end(): Promise<void> {
    await this.tail;
    await this.pg.close();
  }
}

const COMMAND = /^\s*(?:with\b[\s\S]*?\)\s*)?(insert|update|delete|merge|select)\b/i;

class PGliteClient {
  private readonly pg: PGlite;
  private readonly done: () => void;
  private released = false;

  constructor(pg: PGlite, done: () => void) {
    this.pg = pg;
    this.done = done;
  }

  async query(sql: string, parameters: readonly unknown[] = []) {
    const result = await this.pg.query<Record<string, unknown>>(sql, parameters as unknown[]);
    const command = (COMMAND.exec(sql)?.[1] ?? 'SELECT').toUpperCase();
    return { command, rowCount: result.affectedRows ?? result.rows.length, rows: result.rows };
  }

  release() {
    if (this.released) return;
    this.released = true;
    this.done();
  }
}
