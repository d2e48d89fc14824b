import { Migrator, type Migration, type MigrationProvider } from 'kysely';
import type { Db } from './db.ts';
import * as m001 from './migrations/001_core.ts';

/** Migrations are listed here, in order, so a bundled or installed copy never depends on reading a folder. */
const migrations: Record<string, Migration> = {
  '001_core': m001,
  '002_search': await import('./migrations/002_search.ts'),
  '003_web': await import('./migrations/003_web.ts'),
  '030_audit_merkle': await import('./migrations/030_audit_merkle.ts'),
};

class StaticProvider implements MigrationProvider {
  async getMigrations() {
    return migrations;
  }
}

export async function migrateToLatest(db: Db): Promise<string[]> {
  const migrator = new Migrator({ db, provider: new StaticProvider() });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error;
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

