import type { Command } from '../context.ts';
import { configFrom } from '../context.ts';
import { parse } from '../args.ts';
import { say } from '../lang.ts';
import { startServer } from '../../server.ts';

/** `banchi serve`: the portal and API until SIGINT or SIGTERM, then a clean close (the store lock is released). */
export const serve: Command = async (args, cli) => {
  const { values } = parse(args, { port: { type: 'string' }, host: { type: 'string' } }, { min: 0, max: 0 });
  const config = configFrom(cli, { ...(values.port !== undefined ? { PORT: values.port } : {}), ...(values.host !== undefined ? { HOST: values.host } : {}) });
  const server = await startServer(config, { logger: cli.env.LOG_LEVEL ? ({ level: config.logLevel } as never) : false });
  const where = server.services.store.kind === 'pglite' ? `PGlite ${config.dataDir}` : 'PostgreSQL';
  cli.out(say(cli.lang, { th: `banchi พร้อมให้บริการที่ ${server.url} (${where})`, en: `banchi is serving ${server.url} (${where})` }));
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await server.close();
  return 0;
};
