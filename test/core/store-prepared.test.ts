import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { SERVER_URL } from '../helpers.ts';
import { openStore } from '../../src/store/db.ts';
import { migrateToLatest } from '../../src/store/migrate.ts';
import { createScratchDatabase } from '../../src/store/scratch.ts';
import { writeAudit } from '../../src/actions/audit.ts';
import { SYSTEM } from '../../src/access/actor.ts';

// Named prepared statements exist only on a server connection; PGlite runs the same text as is.
test('[postgres] the audit append is a named prepared statement, unless BANCHI_PG_PREPARED_STATEMENTS=off', { skip: !SERVER_URL }, async () => {
  const scratch = await createScratchDatabase(SERVER_URL!, 'banchi_test');
  try {
    for (const preparedStatements of [true, false]) {
      const store = await openStore({ databaseUrl: scratch.url, preparedStatements });
      try {
        await migrateToLatest(store.db);
        const names = await store.db.transaction().execute(async (tx) => {
          for (let i = 0; i < 3; i++) await writeAudit(tx, SYSTEM, '', new Date(), { action: 'x', object_type: 'site', object_id: null, detail: { i } });
          return (await sql<{ name: string }>`SELECT name FROM pg_prepared_statements`.execute(tx)).rows.map((r) => r.name);
        });
        assert.equal(names.some((n) => n.startsWith('banchi_')), preparedStatements, names.join(', '));
        const n = await store.db.selectFrom('audit_log').select((eb) => eb.fn.countAll<number>().as('n')).where('action', '=', 'x').executeTakeFirstOrThrow();
        assert.equal(Number(n.n), preparedStatements ? 3 : 6);
      } finally {
        await store.close();
      }
    }
  } finally {
    await scratch.drop();
  }
});
