import { sql } from 'kysely';
import type { Tx } from '../../store/db.ts';
import { isSysadmin, memberOrgs, type Actor } from '../../access/actor.ts';
import { orgsWithDuty } from '../../access/duties.ts';
import { ROLE_KEYS } from '../../workflow/types.ts';
import type { Msg } from '../../actions/errors.ts';
import data from './monitoring.json' with { type: 'json' };

/**
 * The state of each linkage item (a linkage × one of its datasets; a linkage without datasets is
 * one item): delivered while the last good delivery is inside its period (+ grace), late once the
 * period and grace have passed since the last delivery (or since the linkage was registered, when
 * nothing came yet), waiting otherwise. Only active linkages become late; the others carry the
 * computed not_linked flag and wait.
 */
export type ItemState = 'delivered' | 'waiting' | 'late';
export interface FlagDef { value: string; computed: boolean; label: Msg }
export const FLAGS = data.flags as FlagDef[];
const FREQ = data.frequencies as Record<string, { period_seconds: number | null; grace_seconds: number | null }>;

export interface MonitorItem {
  key: string;
  linkage_id: string;
  number: string;
  linkage_state: string;
  direction: string;
  owner_org: string;
  owner_title: string;
  partner_org: string;
  partner_title: string;
  frequency: string;
  dataset_id: string | null;
  dataset_name: string | null;
  dataset_title: string | null;
  last_delivery: string | null;
  due_at: string | null;
  state: ItemState;
  flags: string[];
}

export function itemState(frequency: string, linkageActive: boolean, last: Date | null, registered: Date, now: Date): { state: ItemState; due: Date | null } {
  const f = FREQ[frequency] ?? FREQ.other!;
  // Not yet linked: whatever arrives for its datasets, the item waits for the linkage to start.
  if (!linkageActive) return { state: 'waiting', due: null };
  if (f.period_seconds === null) return { state: last ? 'delivered' : 'waiting', due: null };
  const span = (f.period_seconds + (f.grace_seconds ?? 0)) * 1000;
  const due = new Date((last ?? registered).getTime() + span);
  if (last && now.getTime() <= due.getTime()) return { state: 'delivered', due };
  if (now.getTime() > due.getTime()) return { state: 'late', due };
  return { state: 'waiting', due };
}

interface Row {
  linkage_id: string; number: string; linkage_state: string; direction: string; owner_org: string; owner_title: string; partner_org: string; partner_title: string;
  frequency: string; registered: Date | string; dataset_id: string | null; dataset_name: string | null; dataset_title: string | null; last_at: Date | string | null; flags: unknown;
}

/** Items the actor may see (sysadmins all; governance people of the owner; members of the partner), or every item for the system. */
export async function monitorItems(db: Tx, actor: Actor, now: Date): Promise<MonitorItem[]> {
  let scope = sql`true`;
  if (!isSysadmin(actor)) {
    const duty = [...new Set(ROLE_KEYS.flatMap((r) => orgsWithDuty(actor, r)))];
    scope = sql`(l.owner_org = ANY(${duty}::uuid[]) OR l.partner_org = ANY(${memberOrgs(actor)}::uuid[]))`;
  }
  // Three lookups, one per index (linkage, dataset, agreement), instead of one OR that no index serves.
  const t = sql`${now.toISOString()}::timestamptz`;
  const rows = await sql<Row>`
    SELECT l.id AS linkage_id, c.number, c.state AS linkage_state, l.direction, l.owner_org, oo.title AS owner_title, l.partner_org, po.title AS partner_title,
      l.frequency, l.created AS registered, i.dataset_id, ds.name AS dataset_name, ds.title AS dataset_title, f.flags,
      GREATEST(
        (SELECT max(d.at) FROM exchange_deliveries d WHERE d.linkage_id = l.id AND d.ok AND d.at <= ${t}),
        (SELECT max(d.at) FROM exchange_deliveries d WHERE d.dataset_id = i.dataset_id AND d.linkage_id IS NULL AND (d.agreement_id IS NULL OR d.agreement_id = l.agreement_id) AND d.ok AND d.at <= ${t}),
        (SELECT max(d.at) FROM exchange_deliveries d WHERE d.agreement_id = l.agreement_id AND d.dataset_id IS NULL AND d.linkage_id IS NULL AND d.ok AND d.at <= ${t})
      ) AS last_at
    FROM linkages l
    JOIN cases c ON c.id = l.case_id
    JOIN groups oo ON oo.id = l.owner_org
    JOIN groups po ON po.id = l.partner_org
    LEFT JOIN LATERAL (SELECT x::uuid AS dataset_id FROM jsonb_array_elements_text(l.datasets) x) i ON true
    LEFT JOIN datasets ds ON ds.id = i.dataset_id
    LEFT JOIN monitor_flags f ON f.item_key = l.id::text || ':' || coalesce(i.dataset_id::text, '-')
    WHERE c.state <> 'cancelled' AND ${scope}
    ORDER BY po.title, c.number, ds.name`.execute(db);
  return rows.rows.map((r) => {
    const active = r.linkage_state === 'active';
    const last = r.last_at ? new Date(r.last_at) : null;
    const { state, due } = itemState(r.frequency, active, last, new Date(r.registered), now);
    const flags = [...(active ? [] : ['not_linked']), ...((Array.isArray(r.flags) ? r.flags : []) as string[])];
    return {
      key: `${r.linkage_id}:${r.dataset_id ?? '-'}`, linkage_id: r.linkage_id, number: r.number, linkage_state: r.linkage_state, direction: r.direction,
      owner_org: r.owner_org, owner_title: r.owner_title, partner_org: r.partner_org, partner_title: r.partner_title, frequency: r.frequency,
      dataset_id: r.dataset_id, dataset_name: r.dataset_name, dataset_title: r.dataset_title,
      last_delivery: last?.toISOString() ?? null, due_at: due?.toISOString() ?? null, state, flags,
    };
  });
}
