import type { Command } from '../context.ts';
import { configFrom } from '../context.ts';
import { parse } from '../args.ts';
import { say } from '../lang.ts';
import { ListenError, startServer, type RunningServer } from '../../server.ts';

/** `banchi serve`: the portal and API until SIGINT or SIGTERM, then a clean close (the store lock is released). */
export const serve: Command = async (args, cli) => {
  const { values } = parse(args, { port: { type: 'string' }, host: { type: 'string' } }, { min: 0, max: 0 });
  const config = configFrom(cli, { ...(values.port !== undefined ? { PORT: values.port } : {}), ...(values.host !== undefined ? { HOST: values.host } : {}) });
  let server: RunningServer;
  try {
    server = await startServer(config, { logger: cli.env.LOG_LEVEL ? ({ level: config.logLevel } as never) : false });
  } catch (e) {
    // A busy port is one line, not a stack trace (the store is closed and no account was created).
    if (!(e instanceof ListenError)) throw e;
    cli.err(`banchi: ${e.message}`);
    return 2;
  }
  const where = server.services.store.kind === 'pglite' ? `PGlite ${config.dataDir}` : 'PostgreSQL';
  cli.out(say(cli.lang, { th: `banchi พร้อมให้บริการที่ ${server.url} (${where})`, en: `banchi is serving ${server.url} (${where})` }));
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await server.close();
  return 0;
};
