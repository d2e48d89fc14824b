import path from 'node:path';
import type { Config } from './config.ts';
import type { Services } from './actions/context.ts';
import { openStore } from './store/db.ts';
import { migrateToLatest } from './store/migrate.ts';
import { LocalFileStore } from './files/file-store.ts';
import { loadActions } from './actions/index.ts';
import { ViewCounter } from './jobs/view-counter.ts';

/** Opens the store (migrated), the file store and the action registry: what every entry point needs. */
export async function openServices(config: Config, opts: { memory?: boolean } = {}): Promise<Services> {
  loadActions();
  const store = await openStore({ databaseUrl: config.databaseUrl, dataDir: opts.memory ? 'memory://' : config.dataDir, preparedStatements: config.pgPreparedStatements, poolSize: config.pgPoolSize });
  try {
    await migrateToLatest(store.db);
  } catch (e) {
    await store.close();
    throw e;
  }
  const files = new LocalFileStore(path.join(config.dataDir, 'files'));
  return { config, store, files, views: new ViewCounter(store.db) };
}
