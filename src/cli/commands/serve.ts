import cluster from 'node:cluster';
import type { Command } from '../context.ts';
import { configFrom } from '../context.ts';
import { parse } from '../args.ts';
import { say, UsageError } from '../lang.ts';
import { ListenError, startServer, type RunningServer } from '../../server.ts';
import { runPrimary, STOP_MESSAGE, type WorkerMessage } from '../../cluster/primary.ts';

const MAX_WORKERS = 64;

/**
 * `banchi serve`: the portal and API until SIGINT or SIGTERM, then a clean close (the store lock is
 * released). `--workers N` runs N app processes on one port over one PostgreSQL (src/cluster/).
 */
export const serve: Command = async (args, cli) => {
  const { values } = parse(args, { port: { type: 'string' }, host: { type: 'string' }, workers: { type: 'string' } }, { min: 0, max: 0 });
  const config = configFrom(cli, { ...(values.port !== undefined ? { PORT: values.port } : {}), ...(values.host !== undefined ? { HOST: values.host } : {}) });
  const workers = values.workers === undefined ? 1 : Number(values.workers);
  if (!Number.isInteger(workers) || workers < 1 || workers > MAX_WORKERS) {
    throw new UsageError({ th: `--workers ต้องเป็นจำนวนเต็ม 1–${MAX_WORKERS}`, en: `--workers must be a whole number from 1 to ${MAX_WORKERS}` });
  }
  const logger = cli.env.LOG_LEVEL ? ({ level: config.logLevel } as never) : false;
  if (cluster.isWorker) return serveAsWorker(config, logger);
  if (workers > 1) {
    if (!config.databaseUrl) {
      cli.err(say(cli.lang, { th: 'banchi: --workers มากกว่า 1 ต้องใช้ PostgreSQL (DATABASE_URL): PGlite ทำงานได้ทีละโปรเซสเดียว', en: 'banchi: --workers above 1 needs PostgreSQL (DATABASE_URL): PGlite is one process' }));
      return 2;
    }
    return runPrimary(config, workers, cli);
  }
  let server: RunningServer;
  try {
    server = await startServer(config, { logger });
  } catch (e) {
    // A busy port is one line, not a stack trace (the store is closed and no account was created).
    if (!(e instanceof ListenError)) throw e;
    cli.err(`banchi: ${say(cli.lang, e.msg)}`);
    return 2;
  }
  const where = server.services.store.kind === 'pglite' ? `PGlite ${config.dataDir}` : 'PostgreSQL';
  cli.out(say(cli.lang, { th: `banchi พร้อมให้บริการที่ ${server.url} (${where})`, en: `banchi is serving ${server.url} (${where})` }));
  await stopRequested();
  await server.close();
  return 0;
};

/** Resolves on the first SIGINT, SIGTERM or stop message from a cluster primary; later ones are ignored. */
function stopRequested(): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    process.on('message', (m) => m === STOP_MESSAGE && stop());
  });
}

/** One app process under `serve --workers N`: says when it listens, and leaves the first sysadmin to the primary. */
async function serveAsWorker(config: Parameters<typeof startServer>[0], logger: false | never): Promise<number> {
  const tell = (m: WorkerMessage) => process.send?.(m);
  let server: RunningServer;
  try {
    server = await startServer(config, { logger, bootstrap: false });
  } catch (e) {
    tell({ banchi: 'failed', message: e instanceof Error ? e.message : String(e) });
    return 2;
  }
  tell({ banchi: 'listening', url: server.url });
  await stopRequested();
  await server.close();
  return 0;
}
