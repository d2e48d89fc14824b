import { sql, type Kysely } from 'kysely';

/**
 * The gateway's quota counter in slots (src/exchange/gateway/quota.ts): a period's calls are
 * counted in up to 8 rows per agreement, each admitting its share of the limit, so concurrent
 * calls under one agreement lock different rows instead of queueing on one through their commits.
 * Existing counts stay in slot 0.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE exchange_usage ADD COLUMN slot smallint NOT NULL DEFAULT 0`.execute(db);
  await sql`ALTER TABLE exchange_usage DROP CONSTRAINT exchange_usage_pkey`.execute(db);
  await sql`ALTER TABLE exchange_usage ADD PRIMARY KEY (agreement_id, period_start, slot)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`CREATE TEMP TABLE exchange_usage_sum AS SELECT agreement_id, period_start, sum(calls)::int AS calls FROM exchange_usage GROUP BY 1, 2`.execute(db);
  await sql`DELETE FROM exchange_usage`.execute(db);
  await sql`ALTER TABLE exchange_usage DROP CONSTRAINT exchange_usage_pkey`.execute(db);
  await sql`ALTER TABLE exchange_usage DROP COLUMN slot`.execute(db);
  await sql`ALTER TABLE exchange_usage ADD PRIMARY KEY (agreement_id, period_start)`.execute(db);
  await sql`INSERT INTO exchange_usage (agreement_id, period_start, calls) SELECT agreement_id, period_start, calls FROM exchange_usage_sum`.execute(db);
  await sql`DROP TABLE exchange_usage_sum`.execute(db);
}
