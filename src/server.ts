import type { FastifyInstance } from 'fastify';
import type { Config } from './config.ts';
import type { Services } from './actions/context.ts';
import { openServices } from './services.ts';
import { buildApp } from './app.ts';
import { ensureFirstSysadmin } from './bootstrap.ts';
import { webPlugins } from './web/index.ts';
import { startWorkers, type Workers } from './jobs/worker.ts';

export interface RunningServer {
  app: FastifyInstance;
  services: Services;
  url: string;
  close(): Promise<void>;
}

/** Opens everything and listens; used by `npm start`, `banchi serve` and the browser tests. */
export async function startServer(config: Config, opts: { logger?: boolean; memory?: boolean; quiet?: boolean } = {}): Promise<RunningServer> {
  const services = await openServices(config, { memory: opts.memory });
  const first = await ensureFirstSysadmin(services);
  if (first && !opts.quiet) {
    process.stdout.write(
      `\nบัญชีผู้ดูแลระบบถูกสร้างขึ้นครั้งแรก / First sysadmin account created\n  username: ${first.name}\n  one-time password: ${first.password}\n  (change it at first sign-in; it is not shown again)\n\n`,
    );
  }
  const app = await buildApp(services, { logger: opts.logger ?? false, plugins: webPlugins });
  const address = await app.listen({ port: config.port, host: config.host });
  const workers: Workers = startWorkers(services);
  return {
    app,
    services,
    url: address,
    async close() {
      await workers.stop();
      await app.close();
      await services.store.close();
    },
  };
}
