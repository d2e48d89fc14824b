import type { Lang } from '../actions/errors.ts';
import type { Services } from '../actions/context.ts';
import { loadConfig, openingStore, type Config } from '../config.ts';
import { openServices } from '../services.ts';
import { openStore, type Store } from '../store/db.ts';
import { sql } from 'kysely';

/** What a command gets: the language, the environment and where to write. */
export interface Cli {
  lang: Lang;
  env: NodeJS.ProcessEnv;
  out(line: string): void;
  err(line: string): void;
}

export type Command = (args: string[], cli: Cli) => Promise<number>;

export function configFrom(cli: Cli, overrides: NodeJS.ProcessEnv = {}): Config {
  return loadConfig({ ...cli.env, ...overrides });
}

/** Opens the store (migrated) for one command and always closes it, so the PGlite lock is released. */
export async function withServices<T>(cli: Cli, fn: (services: Services) => Promise<T>): Promise<T> {
  const config = configFrom(cli);
  const services = await openingStore(config, () => openServices(config));
  try {
    return await fn(services);
  } finally {
    await services.store.close();
  }
}

/**
 * The bare store (backup, restore, migrate), with one query sent at once: a PostgreSQL pool connects
 * lazily, and an unreachable server must be the one-line setting error here, not a stack trace later.
 */
export async function openStoreFor(config: Config): Promise<Store> {
  return openingStore(config, async () => {
    const store = await openStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
    try {
      await sql`SELECT 1`.execute(store.db);
    } catch (e) {
      await store.close().catch(() => undefined);
      throw e;
    }
    return store;
  });
}
