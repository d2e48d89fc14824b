import type { FastifyInstance } from 'fastify';
import { openingStore, type Config } from './config.ts';
import type { Services } from './actions/context.ts';
import type { Msg } from './actions/errors.ts';
import { openServices } from './services.ts';
import { buildApp } from './app.ts';
import { ensureFirstSysadmin } from './bootstrap.ts';
import { webPlugins } from './web/index.ts';
import { startWorkers, type Workers } from './jobs/worker.ts';
import { httpsOptions, TlsSetupError } from './tls.ts';

export interface RunningServer {
  app: FastifyInstance;
  services: Services;
  url: string;
  close(): Promise<void>;
}

/** The address cannot be listened on (taken, not allowed, unknown host): said in one line, no stack. */
export class ListenError extends Error {
  readonly msg: Msg;
  constructor(msg: Msg) {
    super(msg.en);
    this.msg = msg;
  }
}

function listenMessage(e: unknown, config: Config): Msg | null {
  const code = (e as { code?: string } | null)?.code;
  const where = `${config.host}:${config.port}`;
  if (code === 'EADDRINUSE') return { th: `พอร์ต ${config.port} ถูกใช้อยู่แล้ว (${where}) หยุดโปรแกรมที่ใช้อยู่ หรือตั้ง PORT เป็นพอร์ตที่ว่าง`, en: `port ${config.port} is already in use (${where}); stop the other program or set PORT to a free port` };
  if (code === 'EACCES') return { th: `ไม่มีสิทธิ์เปิดรับที่ ${where} ใช้พอร์ตที่สูงกว่า 1023 หรือตั้ง PORT`, en: `not allowed to listen on ${where}; use a port above 1023 or set PORT` };
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') return { th: `เปิดรับที่ ${where} ไม่ได้: เครื่องนี้ไม่มีที่อยู่นี้ ตรวจ HOST`, en: `cannot listen on ${where}: no such address on this machine; check HOST` };
  return null;
}

/**
 * Opens everything and listens; used by `npm start`, `banchi serve` and the browser tests.
 * The port is bound before the first sysadmin is created, so a busy port never consumes the
 * one-time password (it is printed only once the server really serves).
 */
export async function startServer(config: Config, opts: { logger?: boolean; memory?: boolean; quiet?: boolean; bootstrap?: boolean } = {}): Promise<RunningServer> {
  try {
    // TLS files are checked before the store opens: a wrong path is one line and touches nothing.
    httpsOptions(config);
  } catch (e) {
    throw e instanceof TlsSetupError ? new ListenError({ th: e.message, en: e.message }) : e;
  }
  const services = await openingStore(config, () => openServices(config, { memory: opts.memory }));
  let app: FastifyInstance | null = null;
  let address: string;
  try {
    app = await buildApp(services, { logger: opts.logger ?? false, plugins: webPlugins });
    address = await app.listen({ port: config.port, host: config.host });
  } catch (e) {
    await app?.close().catch(() => undefined);
    await services.store.close();
    const msg = e instanceof TlsSetupError ? { th: e.message, en: e.message } : listenMessage(e, config);
    if (msg) throw new ListenError(msg);
    throw e;
  }
  // Under `serve --workers N` the primary does this once, after every worker listens.
  const first = opts.bootstrap === false ? null : await ensureFirstSysadmin(services);
  if (first && !opts.quiet) {
    process.stdout.write(
      `\nบัญชีผู้ดูแลระบบถูกสร้างขึ้นครั้งแรก / First sysadmin account created\n  username: ${first.name}\n  one-time password: ${first.password}\n  (change it at first sign-in; it is not shown again)\n\n`,
    );
  }
  const workers: Workers = startWorkers(services);
  const running = app;
  return {
    app: running,
    services,
    url: address,
    async close() {
      await workers.stop();
      await running.close();
      await services.store.close();
    },
  };
}
