import { can, isSysadmin, type Actor } from '../access/actor.ts';
import type { PolicySet } from './types.ts';

/** A harvest source belongs to its owner organisation: its admins (and sysadmins) manage it and its runs. */
export interface HarvestSubject {
  owner_org: string | null;
}

const manages = (a: Actor, s: HarvestSubject) => isSysadmin(a) || can(a, 'manage_members', s?.owner_org ?? null);

export const harvestPolicies: PolicySet = {
  harvest_source_create: manages,
  harvest_source_show: manages,
  /** The list is filtered per source; anyone may ask, and sees the sources they manage. */
  harvest_source_list: () => true,
  harvest_source_update: manages,
  harvest_source_delete: manages,
  harvest_source_clear: manages,
  harvest_job_create: manages,
  harvest_job_show: manages,
  harvest_job_list: manages,
  harvest_job_abort: manages,
  harvest_object_show: manages,
  /** The pipeline's own writes: only the system (job workers, `banchi harvest run`). */
  harvest_stage: (a) => a.kind === 'system',
  // The stage actions are internal (jobs only) and ask harvest_stage; named here so each action has its rule.
  harvest_gather_start: (a) => a.kind === 'system',
  harvest_gather_page: (a) => a.kind === 'system',
  harvest_gather_finish: (a) => a.kind === 'system',
  harvest_import_batch: (a) => a.kind === 'system',
  harvest_maintain: (a) => a.kind === 'system',
};
