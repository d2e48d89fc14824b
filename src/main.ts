import { loadConfig, ConfigError } from './config.ts';
import { ListenError, startServer } from './server.ts';
import { StoreBusyError } from './store/db.ts';

try {
  const config = loadConfig();
  const server = await startServer(config, { logger: process.env.LOG_LEVEL ? { level: config.logLevel } as never : false });
  process.stdout.write(`banchi is serving ${config.siteUrl} (${server.services.store.kind}${server.services.store.kind === 'pglite' ? ` in ${config.dataDir}` : ''})\n`);
  const stop = async () => {
    await server.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
} catch (e) {
  if (e instanceof ConfigError || e instanceof StoreBusyError || e instanceof ListenError) {
    process.stderr.write(`banchi: ${e.message}\n`);
    process.exit(2);
  }
  throw e;
}
