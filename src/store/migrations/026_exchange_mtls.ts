import { sql, type Kysely } from 'kysely';

/**
 * Mutual TLS for the exchange gateway (issue 9): the client certificates an agreement's partner may
 * call with (SHA-256 fingerprints as Node's fingerprint256 spells them, computed by the server from
 * the PEM it was given) and whether the agreement requires one. Subject, issuer and expiry are kept
 * only to show them; the gateway compares fingerprints.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE agreements ADD COLUMN mtls_required boolean NOT NULL DEFAULT false`.execute(db);
  await sql`
    CREATE TABLE agreement_client_certs (
      agreement_id uuid NOT NULL REFERENCES agreements(id) ON DELETE CASCADE,
      fingerprint text NOT NULL CHECK (fingerprint ~ '^([0-9A-F]{2}:){31}[0-9A-F]{2}$'),
      subject text NOT NULL,
      issuer text NOT NULL,
      serial text NOT NULL,
      not_before timestamptz NOT NULL,
      not_after timestamptz NOT NULL,
      added_by uuid REFERENCES users(id),
      added timestamptz NOT NULL,
      PRIMARY KEY (agreement_id, fingerprint)
    )`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`DROP TABLE agreement_client_certs`.execute(db);
  await sql`ALTER TABLE agreements DROP COLUMN mtls_required`.execute(db);
}
