import { sql, type Kysely } from 'kysely';

/**
 * Governance workflow cases (src/workflow) and the mail outbox (src/mail).
 * A case's `version` grows by one per transition and each event takes that number as its `seq`:
 * UNIQUE(case_id, seq) makes the database itself refuse a second transition from the same version,
 * whatever the application's locking does.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE cases (
      id uuid PRIMARY KEY,
      process text NOT NULL,
      number text NOT NULL UNIQUE,
      state text NOT NULL,
      version integer NOT NULL DEFAULT 1,
      subjects jsonb NOT NULL DEFAULT '[]',
      facts jsonb NOT NULL DEFAULT '{}',
      created_by uuid REFERENCES users(id),
      org_id uuid REFERENCES groups(id),
      created timestamptz NOT NULL DEFAULT now(),
      modified timestamptz NOT NULL DEFAULT now(),
      closed_at timestamptz
    )`.execute(db);
  await sql`CREATE INDEX cases_process_state ON cases(process, state)`.execute(db);
  await sql`CREATE INDEX cases_created_by ON cases(created_by)`.execute(db);
  await sql`CREATE INDEX cases_org ON cases(org_id)`.execute(db);
  await sql`CREATE INDEX cases_subjects ON cases USING gin (subjects jsonb_path_ops)`.execute(db);
  await sql`
    CREATE TABLE case_events (
      id bigserial PRIMARY KEY,
      case_id uuid NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
      seq integer NOT NULL,
      at timestamptz NOT NULL DEFAULT now(),
      actor_id uuid REFERENCES users(id),
      actor_name text NOT NULL DEFAULT '',
      roles text[] NOT NULL DEFAULT '{}',
      transition text NOT NULL,
      from_state text,
      to_state text NOT NULL,
      reason text NOT NULL DEFAULT '',
      inputs jsonb NOT NULL DEFAULT '{}',
      UNIQUE (case_id, seq)
    )`.execute(db);
  await sql`CREATE INDEX case_events_actor ON case_events(actor_id)`.execute(db);
  // Yearly counters per number prefix (REQ-2569-000123); an upsert takes the row lock, so two
  // cases created at once never share a number.
  await sql`
    CREATE TABLE case_numbers (
      prefix text NOT NULL,
      year integer NOT NULL,
      last integer NOT NULL,
      PRIMARY KEY (prefix, year)
    )`.execute(db);
  await sql`
    CREATE TABLE mail_outbox (
      id uuid PRIMARY KEY,
      to_address text NOT NULL,
      template text NOT NULL,
      lang text NOT NULL,
      subject text NOT NULL,
      body text NOT NULL,
      state text NOT NULL CHECK (state IN ('queued','sent','held','invalid')),
      attempts integer NOT NULL DEFAULT 0,
      last_error text,
      message_id text,
      created timestamptz NOT NULL DEFAULT now(),
      sent_at timestamptz
    )`.execute(db);
  await sql`CREATE INDEX mail_outbox_state ON mail_outbox(state, created)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE mail_outbox`.execute(db);
  await sql`DROP TABLE case_numbers`.execute(db);
  await sql`DROP TABLE case_events`.execute(db);
  await sql`DROP TABLE cases`.execute(db);
}
