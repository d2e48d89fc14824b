import { defineAction, type ActionDef } from '../actions/registry.ts';
import { requireDataset } from '../actions/datasets/load.ts';
import { ckanTime } from '../util/time.ts';
import { queuePush } from './push.ts';

/**
 * opendata_push_status: where a dataset stands on the open-data portal. Anyone who may see the
 * dataset sees whether and where it is published; the portal's error is for those who may edit it.
 */
export const opendataPushStatus = defineAction({
  name: 'opendata_push_status',
  readOnly: true,
  summary: 'The open-data portal push state of a dataset: queued, pushed (with the portal address), failed (editors see why) or withdrawn.',
  params: { id: { type: 'string', description: 'dataset id or name', required: true } },
  async run(ctx, input) {
    const { row, subject } = await requireDataset(ctx, input, 'opendata_push_status');
    const portal = ctx.services.config.openData;
    const push = await ctx.db.selectFrom('opendata_pushes').selectAll().where('dataset_id', '=', row.id).executeTakeFirst();
    const editor = ctx.can('opendata_push', subject);
    return {
      configured: !!portal,
      portal_url: portal?.url ?? null,
      state: push?.state ?? null,
      remote_url: push?.state === 'pushed' ? push.remote_url : null,
      pushed_at: push?.pushed_at ? ckanTime(push.pushed_at) : null,
      ...(editor ? { error: push?.error ?? null, attempts: push?.attempts ?? 0 } : {}),
    };
  },
});

/** opendata_push: send the dataset again now (after the portal was down, or its refusal was fixed there). */
export const opendataPush = defineAction({
  name: 'opendata_push',
  readOnly: false,
  summary: 'Queue a push of the dataset to the open-data portal now (editors of its organisation).',
  params: { id: { type: 'string', description: 'dataset id or name', required: true } },
  async run(ctx, input) {
    const { row } = await requireDataset(ctx, input, 'opendata_push');
    await ctx.db.updateTable('opendata_pushes').set({ payload_hash: null, state: 'queued', updated: ctx.now }).where('dataset_id', '=', row.id).execute();
    await queuePush(ctx.db, ctx.services, row.id);
    await ctx.audit({ action: 'opendata_push', object_type: 'dataset', object_id: row.id, detail: { name: row.name } });
    return { queued: !!ctx.services.config.openData };
  },
});

export const opendataActions: ActionDef[] = [opendataPushStatus, opendataPush];
