import { isSysadmin } from '../../access/actor.ts';
import { ROLE_LABELS, type CaseEvent, type CaseRecord, type InputDef, type NextStep } from '../../workflow/types.ts';
import { pick, type Msg } from '../errors.ts';
import type { ActionContext } from '../context.ts';
import { ckanTime } from '../../util/time.ts';
import { mayViewCase, workflows } from './cases-engine.ts';

/** Facts nobody but staff of the case's organisation needs to read back (the ID number checked by an officer). */
const STAFF_ONLY_INPUTS = new Set(['national_id']);

function inputDict(i: InputDef, lang: 'th' | 'en') {
  return {
    name: i.name, type: i.type, label: pick(i.label, lang), required: !!i.required, ...(i.required_when ? { required_when: i.required_when } : {}),
    ...(i.min !== undefined ? { min: i.min } : {}), ...(i.max !== undefined ? { max: i.max } : {}),
    ...(i.options ? { options: i.options.map((o) => ({ value: o.value, label: pick(o.label, lang) })) } : {}),
  };
}

export function nextDict(n: NextStep, lang: 'th' | 'en') {
  return { name: n.name, label: pick(n.label, lang), to: n.to, to_label: pick(n.to_label, lang), reason_required: n.reason_required, inputs: n.inputs.map((i) => inputDict(i, lang)) };
}

const roleLabel = (r: string, lang: 'th' | 'en') => (ROLE_LABELS[r] ? pick(ROLE_LABELS[r] as Msg, lang) : r);

/**
 * A case as the API and pages answer it. Staff names in the timeline are shown to staff of the
 * organisation concerned (as member lists are); a requester from outside sees the roles that acted.
 */
export function caseDict(ctx: ActionContext, c: CaseRecord, events: readonly CaseEvent[], next: NextStep[], extra: Record<string, unknown> = {}) {
  const lang = ctx.lang;
  const proc = workflows().get(c.process);
  // Staff: holders of a duty the process names in the case's organisation (the requester alone is not).
  const staff = isSysadmin(ctx.actor) || mayViewCase(ctx.actor, { ...c, created_by: null });
  const facts = { ...c.facts };
  return {
    id: c.id,
    number: c.number,
    process: c.process,
    process_label: pick(proc.def.label, lang),
    state: c.state,
    state_label: pick(proc.states.get(c.state)!.label, lang),
    terminal: !!proc.states.get(c.state)!.terminal,
    version: c.version,
    organization_id: c.org_id,
    subjects: c.subjects,
    facts,
    created_by: c.created_by,
    mine: ctx.actor.kind === 'user' && ctx.actor.user.id === c.created_by,
    created: ckanTime(c.created),
    modified: ckanTime(c.modified),
    closed_at: c.closed_at ? ckanTime(c.closed_at) : null,
    waiting_for: workflows().waitingRoles(c).map((r) => ({ role: r, label: roleLabel(r, lang) })),
    next: next.map((n) => nextDict(n, lang)),
    events: events.map((e) => {
      const t = e.from_state === null ? proc.start : proc.outgoing.get(e.from_state)?.find((x) => x.name === e.transition);
      const inputs = { ...e.inputs };
      if (!staff) for (const k of STAFF_ONLY_INPUTS) if (k in inputs) inputs[k] = '•••••••••' + String(inputs[k]).slice(-4);
      return {
        seq: e.seq, at: ckanTime(e.at), transition: e.transition, label: t ? pick(t.label, lang) : e.transition,
        from: e.from_state, to: e.to_state, to_label: pick(proc.states.get(e.to_state)?.label ?? { th: e.to_state, en: e.to_state }, lang),
        actor: staff || e.actor_id === c.created_by ? e.actor_name : null,
        roles: e.roles, roles_label: e.roles.map((r) => roleLabel(r, lang)), reason: e.reason, inputs,
      };
    }),
    ...extra,
  };
}
