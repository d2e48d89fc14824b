import { Migrator, type Migration, type MigrationProvider } from 'kysely';
import type { Db } from './db.ts';
import * as m001 from './migrations/001_core.ts';

/** Migrations are listed here, in order, so a bundled or installed copy never depends on reading a folder. */
const migrations: Record<string, Migration> = {
  '001_core': m001,
  '002_search': await import('./migrations/002_search.ts'),
  '003_web': await import('./migrations/003_web.ts'),
  '004_auth_hardening': await import('./migrations/004_auth_hardening.ts'),
  '005_workflow': await import('./migrations/005_workflow.ts'),
  '006_audit_merkle': await import('./migrations/006_audit_merkle.ts'),
  '007_duties': await import('./migrations/007_duties.ts'),
  '008_collaborators': await import('./migrations/008_collaborators.ts'),
  '009_search_vocab': await import('./migrations/009_search_vocab.ts'),
  '010_accounts': await import('./migrations/010_accounts.ts'),
  '011_governance_cases': await import('./migrations/011_governance_cases.ts'),
  '012_agreements': await import('./migrations/012_agreements.ts'),
  '013_harvest': await import('./migrations/013_harvest.ts'),
  '014_datastore': await import('./migrations/014_datastore.ts'),
  '015_governance_documents': await import('./migrations/015_governance_documents.ts'),
  '016_registration': await import('./migrations/016_registration.ts'),
  '017_exchange_gateway': await import('./migrations/017_exchange_gateway.ts'),
  '018_exchange': await import('./migrations/018_exchange.ts'),
  '019_shared_limits': await import('./migrations/019_shared_limits.ts'),
  '020_search_scale': await import('./migrations/020_search_scale.ts'),
  '021_opendata': await import('./migrations/021_opendata.ts'),
  '022_audit_leaf_v2': await import('./migrations/022_audit_leaf_v2.ts'),
  '023_quality': await import('./migrations/023_quality.ts'),
  '024_usage_lists': await import('./migrations/024_usage_lists.ts'),
  '025_exchange_usage_slots': await import('./migrations/025_exchange_usage_slots.ts'),
  '026_exchange_mtls': await import('./migrations/026_exchange_mtls.ts'),
  '027_search_sort_titles': await import('./migrations/027_search_sort_titles.ts'),
  '028_search_spelling': await import('./migrations/028_search_spelling.ts'),
  '029_search_changes': await import('./migrations/029_search_changes.ts'),
};

class StaticProvider implements MigrationProvider {
  async getMigrations() {
    return migrations;
  }
}

/** Every migration this version knows, in order. */
export const MIGRATION_NAMES: readonly string[] = Object.keys(migrations).sort();

/** Brings the schema to exactly `name` (a restore does this before loading a backup's rows). */
export async function migrateTo(db: Db, name: string): Promise<void> {
  const migrator = new Migrator({ db, provider: new StaticProvider() });
  const { error } = await migrator.migrateTo(name);
  if (error) throw error;
}

export async function migrateToLatest(db: Db): Promise<string[]> {
  const migrator = new Migrator({ db, provider: new StaticProvider() });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error;
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

