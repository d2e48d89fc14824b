import type { Lang } from '../actions/errors.ts';
import type { Services } from '../actions/context.ts';
import { loadConfig, type Config } from '../config.ts';
import { openServices } from '../services.ts';

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
  const services = await openServices(configFrom(cli));
  try {
    return await fn(services);
  } finally {
    await services.store.close();
  }
}
