import cluster, { type Worker } from 'node:cluster';
import { openingStore, type Config } from '../config.ts';
import type { Cli } from '../cli/context.ts';
import { say } from '../cli/lang.ts';
import { openServices } from '../services.ts';
import { ensureFirstSysadmin } from '../bootstrap.ts';

/** What a worker tells the primary (over the cluster's IPC channel). */
export type WorkerMessage = { banchi: 'listening'; url: string } | { banchi: 'failed'; message: string };
export const STOP_MESSAGE = 'banchi:stop';

const RESTARTS_PER_MINUTE = 5;
const STOP_GRACE_MS = 30_000;

/**
 * `banchi serve --workers N`: N app processes sharing one port (Node's cluster module) over one
 * PostgreSQL. The primary serves nothing and holds nothing the workers need: it migrates the schema
 * once before forking (so workers never race for it), creates the first sysadmin once all workers
 * listen (so a busy port never uses up the one-time password), replaces a worker that dies, and
 * passes SIGINT/SIGTERM on as a clean stop. Everything the workers share lives in the database
 * (docs/deployment.md lists each piece of state and where it is).
 */
export async function runPrimary(config: Config, count: number, cli: Cli): Promise<number> {
  const services = await openingStore(config, () => openServices(config)); // migrates
  let servicesOpen = true;
  const closeServices = async () => {
    if (servicesOpen) {
      servicesOpen = false;
      await services.store.close();
    }
  };
  const workers = new Set<Worker>();
  let stopping = false;
  const restarts: number[] = [];
  let stopAll!: (code: number) => void;
  const done = new Promise<number>((resolve) => (stopAll = resolve));

  const requestStop = (code: number) => {
    if (stopping) return;
    stopping = true;
    for (const w of workers) {
      try {
        w.send(STOP_MESSAGE);
      } catch {
        /* already gone */
      }
    }
    const force = setTimeout(() => {
      for (const w of workers) w.process.kill('SIGKILL');
    }, STOP_GRACE_MS);
    force.unref();
    const check = () => {
      if (!workers.size) stopAll(code);
    };
    cluster.on('exit', check);
    check();
  };

  const fork = (): Promise<string> =>
    new Promise((resolve, reject) => {
      const w = cluster.fork();
      workers.add(w);
      let listening = false;
      w.on('message', (m: WorkerMessage) => {
        if (m?.banchi === 'listening') {
          listening = true;
          resolve(m.url);
        } else if (m?.banchi === 'failed') reject(new Error(m.message));
      });
      w.on('exit', (code, signal) => {
        workers.delete(w);
        if (!listening) return reject(new Error(`worker ${w.process.pid} exited before listening (${signal ?? code})`));
        if (stopping) return;
        // A worker died while serving: another takes its place, unless they keep dying.
        const now = Date.now();
        restarts.push(now);
        while (restarts.length && now - restarts[0]! > 60_000) restarts.shift();
        cli.err(`banchi: worker ${w.process.pid} exited (${signal ?? code}); starting another`);
        if (restarts.length > RESTARTS_PER_MINUTE) {
          cli.err(`banchi: workers exited ${restarts.length} times in a minute; stopping`);
          return requestStop(1);
        }
        fork().catch((e: unknown) => {
          cli.err(`banchi: ${e instanceof Error ? e.message : String(e)}`);
          requestStop(1);
        });
      });
    });

  const onSignal = () => requestStop(0);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let url: string;
  try {
    url = (await Promise.all(Array.from({ length: count }, fork)))[0]!;
  } catch (e) {
    // One line, as a single process says it (a busy port, a bad address); nothing was created.
    cli.err(`banchi: ${e instanceof Error ? e.message : String(e)}`);
    requestStop(2);
    await closeServices();
    return done;
  }
  try {
    const first = await ensureFirstSysadmin(services);
    if (first) {
      cli.out(`\nบัญชีผู้ดูแลระบบถูกสร้างขึ้นครั้งแรก / First sysadmin account created\n  username: ${first.name}\n  one-time password: ${first.password}\n  (change it at first sign-in; it is not shown again)\n`);
    }
  } finally {
    await closeServices();
  }
  cli.out(say(cli.lang, { th: `banchi พร้อมให้บริการที่ ${url} (PostgreSQL, ${count} โปรเซส)`, en: `banchi is serving ${url} (PostgreSQL, ${count} worker processes)` }));
  const code = await done;
  process.removeListener('SIGINT', onSignal);
  process.removeListener('SIGTERM', onSignal);
  return code;
}
