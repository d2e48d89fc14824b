import type { Lang } from '../actions/errors.ts';
import type { Tx } from '../store/db.ts';
import { queueMail } from '../mail/outbox.ts';
import type { TransitionResult, Workflows } from './engine.ts';
import type { CaseRecord } from './types.ts';

export interface Recipient {
  email: string;
  name: string;
  lang?: Lang;
}

/** Who holds a role for this case (the caller knows memberships and agencies); `creator` is the case's creator. */
export type RecipientResolver = (role: string, c: CaseRecord) => Promise<Recipient[]>;

export interface NotifyOptions {
  siteTitle: string;
  caseUrl: (c: CaseRecord) => string;
}

/**
 * Queues the mail a step's definition asks for (`notify`), in the caller's transaction, so it goes
 * out only if the step commits. People who can act next get "waiting for you", a closed case gets
 * its outcome, everyone else an update. One message per address. Returns how many were queued.
 */
export async function queueTransitionMail(tx: Tx, workflows: Workflows, result: TransitionResult, resolve: RecipientResolver, opts: NotifyOptions): Promise<number> {
  const proc = workflows.get(result.case.process);
  const c = result.case;
  const state = proc.states.get(c.state)!;
  const actingRoles = new Set(workflows.waitingRoles(c));
  const transition = result.event.from_state === null ? proc.start : proc.outgoing.get(result.event.from_state)?.find((t) => t.name === result.event.transition);
  const seen = new Set<string>();
  let queued = 0;
  for (const role of result.notify) {
    for (const r of await resolve(role, c)) {
      const key = r.email.trim().toLowerCase();
      if (!key || seen.has(key)) continue;
      seen.add(key);
      const lang: Lang = r.lang === 'en' ? 'en' : 'th';
      const pick = (m: { th: string; en: string }) => (lang === 'en' ? m.en : m.th);
      const template = c.closed_at ? 'case_closed' : actingRoles.has(role) ? 'case_waiting' : 'case_update';
      await queueMail(tx, {
        to: r.email,
        template,
        lang,
        vars: {
          name: r.name,
          number: c.number,
          process: pick(proc.def.label),
          state: pick(state.label),
          transition: transition ? pick(transition.label) : result.event.transition,
          actor: result.event.actor_name,
          reason: result.event.reason ? `${lang === 'en' ? 'Reason' : 'เหตุผล'}: ${result.event.reason}` : '',
          url: opts.caseUrl(c),
          site: opts.siteTitle,
        },
      });
      queued++;
    }
  }
  return queued;
}
