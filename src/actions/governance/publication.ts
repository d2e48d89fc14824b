import { sql } from 'kysely';
import { defineAction, type ActionDef } from '../registry.ts';
import { pick } from '../errors.ts';
import { requireDataset } from '../datasets/load.ts';
import type { CaseRecord } from '../../workflow/types.ts';
import { ckanTime } from '../../util/time.ts';
import { caseRoles, workflows } from './cases-engine.ts';
import { publicationFacts } from './cases-effects.ts';

/**
 * Where a dataset stands in P1, for its page: the latest publication case (when the caller may see
 * it), whether the caller may submit it now (a start role of the process held in the dataset's
 * organisation, no case open, active, a data dictionary), and what the last approval decided.
 */
export const publicationStatus = defineAction({
  name: 'publication_status',
  readOnly: true,
  summary: 'P1 state of a dataset: its latest publication case the caller may see, whether the caller may submit it for publication now, and why not.',
  params: { id: { type: 'string', description: 'Dataset id or name', required: true } },
  async run(ctx, input) {
    const { row } = await requireDataset(ctx, { id: input.id }, 'publication_status');
    const latest = (await ctx.db
      .selectFrom('cases')
      .selectAll()
      .where('process', '=', 'publication')
      .where(sql<boolean>`subjects @> ${JSON.stringify([{ type: 'dataset', id: row.id }])}::jsonb`)
      .orderBy('created', 'desc')
      .limit(1)
      .executeTakeFirst()) as CaseRecord | undefined;
    const proc = workflows().get('publication');
    const shown = latest && ctx.can('case_show', latest) ? latest : null;
    const open = !!latest && !latest.closed_at;
    const held = new Set(caseRoles(ctx.actor, { org_id: row.owner_org }));
    const startRole = proc.start.roles.some((r) => held.has(r));
    const facts = await publicationFacts(ctx, row);
    const reasons: { th: string; en: string }[] = [];
    if (!startRole) reasons.push({ th: 'ต้องเป็นผู้จัดทำข้อมูลหรือบริกรข้อมูลของหน่วยงานเจ้าของชุดข้อมูล', en: 'Needs the data creator or steward duty in the owning organisation' });
    if (open) reasons.push({ th: 'มีเรื่องขออนุมัติเผยแพร่ค้างอยู่', en: 'A publication case is already open' });
    if (row.state !== 'active') reasons.push({ th: 'ชุดข้อมูลยังไม่เผยแพร่ในระบบ (ฉบับร่างหรือถูกลบ)', en: 'The dataset is not active (draft or deleted)' });
    if (!facts.has_data_dictionary) reasons.push({ th: 'ต้องมีพจนานุกรมข้อมูลในทรัพยากรอย่างน้อยหนึ่งรายการ', en: 'A resource needs a data dictionary' });
    const meta = row.metadata as Record<string, unknown>;
    return {
      dataset_id: row.id,
      may_submit: reasons.length === 0,
      may_start: startRole && !open && row.state === 'active',
      reasons: reasons.map((m) => pick(m, ctx.lang)),
      publication: meta.publication ?? null,
      ready_for_registration: meta.ready_for_registration === true,
      case: shown ? {
        id: shown.id, number: shown.number, state: shown.state, state_label: pick(proc.states.get(shown.state)!.label, ctx.lang),
        open: !shown.closed_at, modified: ckanTime(shown.modified),
        waiting_for: workflows().waitingRoles(shown),
      } : null,
    };
  },
});

export const publicationActions: ActionDef[] = [publicationStatus];
