import type { Command } from '../context.ts';
import { withServices } from '../context.ts';
import { parse } from '../args.ts';
import { say } from '../lang.ts';
import { runAction } from '../../actions/registry.ts';
import { SYSTEM } from '../../access/actor.ts';
import { claim, complete, fail } from '../../jobs/queue.ts';
import { LINKCHECK_QUEUE, runLinkcheck, type LinkcheckSummary } from '../../quality/linkcheck.ts';
import { refreshDirty } from '../../quality/store.ts';

/**
 * `banchi linkcheck [--org X]`: queues a check through the action (as the server's button does),
 * then works the link-check queue here to the end and refreshes the scores it changed.
 */
export const linkcheck: Command = async (args, cli) => {
  const { values } = parse(args, { org: { type: 'string' } }, { min: 0, max: 0 });
  return withServices(cli, async (services) => {
    await runAction(services, 'linkcheck_queue', values.org ? { organization: values.org } : {}, { actor: SYSTEM, lang: cli.lang });
    const total: LinkcheckSummary = { checked: 0, ok: 0, broken: 0, timeout: 0 };
    for (;;) {
      const job = await claim(services.store.db, [LINKCHECK_QUEUE]);
      if (!job) break;
      try {
        const s = await runLinkcheck(services, job.payload);
        for (const k of Object.keys(total) as Array<keyof LinkcheckSummary>) total[k] += s[k];
        await complete(services.store.db, job);
      } catch (e) {
        await fail(services.store.db, job, e instanceof Error ? e.message : String(e));
        throw e;
      }
    }
    await refreshDirty(services);
    cli.out(say(cli.lang, { th: `ตรวจ ${total.checked} ลิงก์: ใช้ได้ ${total.ok} เสีย ${total.broken} หมดเวลา ${total.timeout}`, en: `checked ${total.checked} links: ok ${total.ok} broken ${total.broken} timeout ${total.timeout}` }));
    return total.broken || total.timeout ? 1 : 0;
  });
};
