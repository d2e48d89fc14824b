import { defineAction } from '../registry.ts';
import { runMember } from './member-ops.ts';

/**
 * CKAN's generic member_create / member_delete: object_type "user" changes a membership (as
 * organization_member_create does), object_type "package" puts a dataset into a group or takes it out.
 */
export const memberCreate = defineAction({
  name: 'member_create',
  readOnly: false,
  summary: 'Add a user (object_type=user, capacity=role) or a dataset (object_type=package) to an organization or group.',
  run: (ctx, input) => runMember(ctx, input, 'add'),
});

export const memberDelete = defineAction({
  name: 'member_delete',
  readOnly: false,
  summary: 'Remove a user or a dataset from an organization or group.',
  run: (ctx, input) => runMember(ctx, input, 'remove'),
});
