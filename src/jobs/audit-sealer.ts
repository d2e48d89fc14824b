import type { Services } from '../actions/context.ts';
import { hasUnsealed, sealPending } from '../actions/audit-seal.ts';

export interface Sealer {
  /** Stops the timer and seals once more, so a clean shutdown leaves nothing final unsealed. */
  stop(): Promise<void>;
}

/**
 * Seals audit rows every couple of seconds while any are unsealed, in the server process. Several
 * processes may run one: the sealer's advisory lock lets one seal at a time, and the others skip.
 */
export function startAuditSealer(services: Services, intervalMs = 2000): Sealer {
  let running: Promise<unknown> = Promise.resolve();
  const tick = async () => {
    if (await hasUnsealed(services.store.db)) await sealPending(services);
  };
  const warn = (e: unknown) => process.emitWarning(`audit sealer: ${e instanceof Error ? e.message : String(e)}`);
  running = running.then(tick).catch(warn); // at start: whatever the last run (or a CLI import) left
  const timer = setInterval(() => {
    running = running.then(tick).catch(warn);
  }, intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
      await sealPending(services).catch(warn);
    },
  };
}
