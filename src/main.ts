import { loadConfig, ConfigError } from './config.ts';
import { ListenError, startServer } from './server.ts';
import { StoreBusyError } from './store/db.ts';
import { cliLang, say } from './cli/lang.ts';

// `npm start`: the same one-line answers as `banchi serve`, in the locale's language.
const lang = cliLang();
try {
  const config = loadConfig();
  const server = await startServer(config, { logger: process.env.LOG_LEVEL ? { level: config.logLevel } as never : false });
  const where = server.services.store.kind === 'pglite' ? `PGlite ${config.dataDir}` : 'PostgreSQL';
  process.stdout.write(`${say(lang, { th: `banchi พร้อมให้บริการที่ ${config.siteUrl} (${where})`, en: `banchi is serving ${config.siteUrl} (${where})` })}\n`);
  const stop = async () => {
    await server.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
} catch (e) {
  if (e instanceof ConfigError || e instanceof StoreBusyError || e instanceof ListenError) {
    process.stderr.write(`banchi: ${say(lang, e.msg)}\n`);
    process.exit(2);
  }
  throw e;
}
