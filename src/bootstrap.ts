import crypto from 'node:crypto';
import { sql } from 'kysely';
import type { Services } from './actions/context.ts';
import { hashPassword, oneTimePassword } from './access/passwords.ts';
import { writeAudit } from './actions/audit.ts';
import { SYSTEM } from './access/actor.ts';

/**
 * On the first start with an empty store, creates the sysadmin account "admin" with a one-time
 * password (it must be changed at first sign-in) and returns it so the caller can print it once.
 */
export async function ensureFirstSysadmin(services: Services): Promise<{ name: string; password: string } | null> {
  return services.store.db.transaction().execute(async (db) => {
    // App servers starting together over one empty database: one creates it, the others then see it.
    await sql`SELECT pg_advisory_xact_lock(hashtext('banchi:first_sysadmin'))`.execute(db);
    const any = await db.selectFrom('users').select('id').limit(1).executeTakeFirst();
    if (any) return null;
    const password = oneTimePassword();
    const id = crypto.randomUUID();
    const now = new Date();
    await db
      .insertInto('users')
      .values({ id, name: 'admin', fullname: 'ผู้ดูแลระบบ', email: '', sysadmin: true, password_hash: await hashPassword(password), must_change_password: true, created: now, recovery_codes: '[]' })
      .execute();
    await writeAudit(db, SYSTEM, '', now, { action: 'user_create', object_type: 'user', object_id: id, detail: { name: 'admin', sysadmin: true, bootstrap: true } });
    return { name: 'admin', password };
  });
}
