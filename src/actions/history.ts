import crypto from 'node:crypto';
import type { ActionContext } from './context.ts';
import type { FieldChange } from '../store/schema.ts';
import { userId } from '../access/actor.ts';

/**
 * Field-level differences between two package dicts; resources compared by id. A first version
 * has none: its snapshot is the record of what was created.
 */
export function diffPackages(before: Record<string, unknown> | null, after: Record<string, unknown>): FieldChange[] {
  if (!before) return [];
  const skip = new Set(['metadata_modified', 'num_resources', 'num_tags', 'organization', 'access', 'version_no']);
  const changes: FieldChange[] = [];
  const keys = new Set([...Object.keys(before ?? {}), ...Object.keys(after)]);
  for (const k of [...keys].sort()) {
    if (skip.has(k)) continue;
    if (k === 'resources') {
      changes.push(...diffResources((before?.resources as Record<string, unknown>[]) ?? [], (after.resources as Record<string, unknown>[]) ?? []));
      continue;
    }
    const a = before?.[k];
    const b = after[k];
    if (JSON.stringify(a ?? null) !== JSON.stringify(b ?? null)) changes.push({ field: k, old: a ?? null, new: b ?? null });
  }
  return changes;
}

function diffResources(before: Record<string, unknown>[], after: Record<string, unknown>[]): FieldChange[] {
  const out: FieldChange[] = [];
  const old = new Map(before.map((r) => [r.id as string, r]));
  for (const r of after) {
    const prev = old.get(r.id as string);
    old.delete(r.id as string);
    if (!prev) {
      out.push({ field: `resources[${r.id}]`, old: null, new: r.name });
      continue;
    }
    for (const k of Object.keys({ ...prev, ...r })) {
      if (k === 'metadata_modified' || k === 'last_modified' || k === 'position') continue;
      if (JSON.stringify(prev[k] ?? null) !== JSON.stringify(r[k] ?? null)) out.push({ field: `resources[${r.id}].${k}`, old: prev[k] ?? null, new: r[k] ?? null });
    }
  }
  for (const r of old.values()) out.push({ field: `resources[${r.id}]`, old: r.name, new: null });
  return out;
}

/** One version row per change, written in the same transaction as the change itself. */
export async function recordActivity(
  ctx: ActionContext,
  objectId: string,
  activityType: string,
  version: number,
  snapshot: Record<string, unknown>,
  changes: FieldChange[],
): Promise<void> {
  await ctx.db
    .insertInto('activity')
    .values({
      id: crypto.randomUUID(),
      object_id: objectId,
      object_type: 'package',
      activity_type: activityType,
      user_id: userId(ctx.actor),
      timestamp: ctx.now,
      version,
      data: JSON.stringify({ package: snapshot }),
      changes: JSON.stringify(changes),
    })
    .execute();
}
